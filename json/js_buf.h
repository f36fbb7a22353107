/*
 * js_buf.h - a growable byte buffer for building response bodies.
 *
 * Appends never fail visibly: an allocation failure makes the buffer
 * "failed", later appends are ignored, and js_buf_take() reports
 * AM_ERR_NOMEM.  That keeps the code that writes a body free of error
 * checks after every piece.  The contents are always NUL-terminated.
 */
#ifndef JS_BUF_H
#define JS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct js_buf {
    char *data;      /* NULL until the first append */
    size_t len;      /* bytes written, NUL excluded */
    size_t cap;      /* bytes allocated */
    int failed;      /* an allocation failed: the contents are incomplete */
} js_buf;

void js_buf_init(js_buf *b);
void js_buf_free(js_buf *b);

/* Room for n more bytes now, so that a body of known size grows once. */
void js_buf_reserve(js_buf *b, size_t n);
void js_buf_put(js_buf *b, const void *p, size_t n);
void js_buf_puts(js_buf *b, const char *s);
void js_buf_putc(js_buf *b, char c);
void js_buf_printf(js_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void js_buf_vprintf(js_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Hand the contents over: *out gets the malloc'd NUL-terminated string
 * (free() it), *len its length.  AM_OK, or AM_ERR_NOMEM when any append
 * failed (then *out is NULL).  The buffer is empty afterwards.
 */
int js_buf_take(js_buf *b, char **out, size_t *len);

#endif
