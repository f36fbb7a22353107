#include "js_writer.h"

#include <string.h>

void js_w_init(js_w *w)
{
    js_buf_init(&w->buf);
    w->depth = 0;
    w->has_items = 0;
    w->after_key = 0;
}

void js_w_free(js_w *w)
{
    js_buf_free(&w->buf);
}

/* Before any value or key: a comma when the container already has one. */
static void jw_sep(js_w *w)
{
    uint32_t bit = UINT32_C(1) << w->depth;

    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->has_items & bit)
        js_buf_putc(&w->buf, ',');
    w->has_items |= bit;
}

static void jw_open(js_w *w, char c)
{
    jw_sep(w);
    if (w->depth >= JS_W_MAX_DEPTH) {
        w->buf.failed = 1;      /* a bug of the caller; fail the body */
        return;
    }
    js_buf_putc(&w->buf, c);
    w->depth++;
    w->has_items &= ~(UINT32_C(1) << w->depth);
}

static void jw_close(js_w *w, char c)
{
    if (w->depth == 0) {
        w->buf.failed = 1;
        return;
    }
    w->depth--;
    js_buf_putc(&w->buf, c);
}

void js_w_object(js_w *w) { jw_open(w, '{'); }
void js_w_object_end(js_w *w) { jw_close(w, '}'); }
void js_w_array(js_w *w) { jw_open(w, '['); }
void js_w_array_end(js_w *w) { jw_close(w, ']'); }

/*
 * Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
 * (bad lead byte, bad continuation, overlong form, surrogate, > U+10FFFF).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

static void jw_escape(js_buf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0, len;
    char esc[7];

    while (i < n) {
        unsigned char c = s[i];

        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            run++;
            continue;
        }
        len = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (len > 0) {
            i += len;
            run += len;
            continue;
        }
        js_buf_put(b, s + i - run, run);
        run = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            js_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            js_buf_put(b, esc, 6);
        } else {
            js_buf_puts(b, "\\ufffd");    /* not UTF-8 */
        }
        i++;
    }
    js_buf_put(b, s + i - run, run);
}

void js_w_strn(js_w *w, const char *s, size_t n)
{
    jw_sep(w);
    js_buf_putc(&w->buf, '"');
    jw_escape(&w->buf, (const unsigned char *)s, n);
    js_buf_putc(&w->buf, '"');
}

void js_w_str(js_w *w, const char *s)
{
    js_w_strn(w, s, strlen(s));
}

/* 1 when s needs no escaping: printable ASCII without '"' or '\\'. */
static int plain_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

void js_w_key(js_w *w, const char *key)
{
    size_t n = strlen(key);

    /* Keys are the program's own names: copied in one piece. */
    if (plain_ascii(key, n)) {
        jw_sep(w);
        js_buf_putc(&w->buf, '"');
        js_buf_put(&w->buf, key, n);
        js_buf_put(&w->buf, "\":", 2);
    } else {
        js_w_strn(w, key, n);
        js_buf_putc(&w->buf, ':');
    }
    w->after_key = 1;
}

/* (snprintf was a tenth of the time of writing a large peers.json.) */
void js_w_u64(js_w *w, uint64_t v)
{
    char num[24];

    jw_sep(w);
    js_buf_put(&w->buf, num, (size_t)(js_w_fmt_u64(num, v) - num));
}

void js_w_i64(js_w *w, int64_t v)
{
    char num[24];

    jw_sep(w);
    js_buf_put(&w->buf, num, (size_t)(js_w_fmt_i64(num, v) - num));
}

/* Written in place, two digits a step, once the length is known: no
 * copy, as the peer writer formats seven numbers per peer. */
char *js_w_fmt_u64(char *p, uint64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324"
        "25262728293031323334353637383940414243444546474849"
        "50515253545556575859606162636465666768697071727374"
        "75767778798081828384858687888990919293949596979899";
    unsigned n = 1;
    char *end;

    for (uint64_t t = v; t >= 10; t /= 10)
        n++;
    end = p + n;
    p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);

        v /= 100;
        p -= 2;
        p[0] = pairs[2 * r];
        p[1] = pairs[2 * r + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = pairs[2 * v];
        p[1] = pairs[2 * v + 1];
    } else {
        *--p = (char)('0' + v);
    }
    return end;
}

char *js_w_fmt_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return js_w_fmt_u64(p, UINT64_C(0) - (uint64_t)v);
    }
    return js_w_fmt_u64(p, (uint64_t)v);
}

void js_w_bool(js_w *w, int v)
{
    jw_sep(w);
    js_buf_puts(&w->buf, v ? "true" : "false");
}

void js_w_null(js_w *w)
{
    jw_sep(w);
    js_buf_puts(&w->buf, "null");
}

void js_w_raw(js_w *w, const char *json, size_t n)
{
    jw_sep(w);
    js_buf_put(&w->buf, json, n);
}

void js_w_kstr(js_w *w, const char *key, const char *s)
{
    js_w_key(w, key);
    js_w_str(w, s);
}

void js_w_ku64(js_w *w, const char *key, uint64_t v)
{
    js_w_key(w, key);
    js_w_u64(w, v);
}

void js_w_ki64(js_w *w, const char *key, int64_t v)
{
    js_w_key(w, key);
    js_w_i64(w, v);
}

void js_w_kbool(js_w *w, const char *key, int v)
{
    js_w_key(w, key);
    js_w_bool(w, v);
}

int js_w_take(js_w *w, char **out, size_t *len)
{
    if (w->depth != 0)
        w->buf.failed = 1;
    return js_buf_take(&w->buf, out, len);
}
