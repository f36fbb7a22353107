#include "js_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"

void js_buf_init(js_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void js_buf_free(js_buf *b)
{
    free(b->data);
    js_buf_init(b);
}

/* Make room for `extra` more bytes plus the NUL. */
static int buf_reserve(js_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->failed)
        return -1;
    if (extra > (size_t)-1 - b->len - 1)
        goto fail;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

void js_buf_reserve(js_buf *b, size_t n)
{
    (void)buf_reserve(b, n);
}

void js_buf_put(js_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void js_buf_puts(js_buf *b, const char *s)
{
    js_buf_put(b, s, strlen(s));
}

void js_buf_putc(js_buf *b, char c)
{
    /* The common case, room left: no call, no copy.  (A body is built a
     * character at a time in places: quotes, commas, brackets.) */
    if (b->len + 2 <= b->cap && !b->failed) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    js_buf_put(b, &c, 1);
}

void js_buf_vprintf(js_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (buf_reserve(b, (size_t)n) != 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void js_buf_printf(js_buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    js_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

int js_buf_take(js_buf *b, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->failed) {
        js_buf_free(b);
        return AM_ERR_NOMEM;
    }
    if (b->data == NULL) {
        /* Always hand out a real string, even for an empty body. */
        b->data = malloc(1);
        if (b->data == NULL)
            return AM_ERR_NOMEM;
        b->data[0] = '\0';
    }
    *out = b->data;
    *len = b->len;
    js_buf_init(b);
    return AM_OK;
}
