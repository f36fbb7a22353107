#include "api_jw.h"

#include <string.h>

void api_jw_init(api_jw *w)
{
    api_buf_init(&w->buf);
    w->depth = 0;
    w->has_items = 0;
    w->after_key = 0;
}

void api_jw_free(api_jw *w)
{
    api_buf_free(&w->buf);
}

/* Before any value or key: a comma when the container already has one. */
static void jw_sep(api_jw *w)
{
    uint32_t bit = UINT32_C(1) << w->depth;

    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->has_items & bit)
        api_buf_putc(&w->buf, ',');
    w->has_items |= bit;
}

static void jw_open(api_jw *w, char c)
{
    jw_sep(w);
    if (w->depth >= API_JW_MAX_DEPTH) {
        w->buf.failed = 1;      /* a bug of the caller; fail the body */
        return;
    }
    api_buf_putc(&w->buf, c);
    w->depth++;
    w->has_items &= ~(UINT32_C(1) << w->depth);
}

static void jw_close(api_jw *w, char c)
{
    if (w->depth == 0) {
        w->buf.failed = 1;
        return;
    }
    w->depth--;
    api_buf_putc(&w->buf, c);
}

void api_jw_object(api_jw *w) { jw_open(w, '{'); }
void api_jw_object_end(api_jw *w) { jw_close(w, '}'); }
void api_jw_array(api_jw *w) { jw_open(w, '['); }
void api_jw_array_end(api_jw *w) { jw_close(w, ']'); }

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

static void jw_escape(api_buf *b, const unsigned char *s, size_t n)
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
        api_buf_put(b, s + i - run, run);
        run = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            api_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            api_buf_put(b, esc, 6);
        } else {
            api_buf_puts(b, "\\ufffd");    /* not UTF-8 */
        }
        i++;
    }
    api_buf_put(b, s + i - run, run);
}

void api_jw_strn(api_jw *w, const char *s, size_t n)
{
    jw_sep(w);
    api_buf_putc(&w->buf, '"');
    jw_escape(&w->buf, (const unsigned char *)s, n);
    api_buf_putc(&w->buf, '"');
}

void api_jw_str(api_jw *w, const char *s)
{
    api_jw_strn(w, s, strlen(s));
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

void api_jw_key(api_jw *w, const char *key)
{
    size_t n = strlen(key);

    /* Keys are the program's own names: copied in one piece. */
    if (plain_ascii(key, n)) {
        jw_sep(w);
        api_buf_putc(&w->buf, '"');
        api_buf_put(&w->buf, key, n);
        api_buf_put(&w->buf, "\":", 2);
    } else {
        api_jw_strn(w, key, n);
        api_buf_putc(&w->buf, ':');
    }
    w->after_key = 1;
}

/* (snprintf was a tenth of the time of writing a large peers.json.) */
void api_jw_u64(api_jw *w, uint64_t v)
{
    char num[24];

    jw_sep(w);
    api_buf_put(&w->buf, num, (size_t)(api_jw_fmt_u64(num, v) - num));
}

void api_jw_i64(api_jw *w, int64_t v)
{
    char num[24];

    jw_sep(w);
    api_buf_put(&w->buf, num, (size_t)(api_jw_fmt_i64(num, v) - num));
}

/* Written in place, two digits a step, once the length is known: no
 * copy, as the peer writer formats seven numbers per peer. */
char *api_jw_fmt_u64(char *p, uint64_t v)
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

char *api_jw_fmt_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return api_jw_fmt_u64(p, UINT64_C(0) - (uint64_t)v);
    }
    return api_jw_fmt_u64(p, (uint64_t)v);
}

void api_jw_bool(api_jw *w, int v)
{
    jw_sep(w);
    api_buf_puts(&w->buf, v ? "true" : "false");
}

void api_jw_null(api_jw *w)
{
    jw_sep(w);
    api_buf_puts(&w->buf, "null");
}

void api_jw_raw(api_jw *w, const char *json, size_t n)
{
    jw_sep(w);
    api_buf_put(&w->buf, json, n);
}

void api_jw_kstr(api_jw *w, const char *key, const char *s)
{
    api_jw_key(w, key);
    api_jw_str(w, s);
}

void api_jw_ku64(api_jw *w, const char *key, uint64_t v)
{
    api_jw_key(w, key);
    api_jw_u64(w, v);
}

void api_jw_ki64(api_jw *w, const char *key, int64_t v)
{
    api_jw_key(w, key);
    api_jw_i64(w, v);
}

void api_jw_kbool(api_jw *w, const char *key, int v)
{
    api_jw_key(w, key);
    api_jw_bool(w, v);
}

int api_jw_take(api_jw *w, char **out, size_t *len)
{
    if (w->depth != 0)
        w->buf.failed = 1;
    return api_buf_take(&w->buf, out, len);
}
