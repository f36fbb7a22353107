/*
 * api_buf.h - a growable byte buffer for building response bodies.
 *
 * Appends never fail visibly: an allocation failure makes the buffer
 * "failed", later appends are ignored, and api_buf_take() reports
 * AM_ERR_NOMEM.  That keeps the code that writes a body free of error
 * checks after every piece.  The contents are always NUL-terminated.
 */
#ifndef API_BUF_H
#define API_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct api_buf {
    char *data;      /* NULL until the first append */
    size_t len;      /* bytes written, NUL excluded */
    size_t cap;      /* bytes allocated */
    int failed;      /* an allocation failed: the contents are incomplete */
} api_buf;

void api_buf_init(api_buf *b);
void api_buf_free(api_buf *b);

/* Room for n more bytes now, so that a body of known size grows once. */
void api_buf_reserve(api_buf *b, size_t n);
void api_buf_put(api_buf *b, const void *p, size_t n);
void api_buf_puts(api_buf *b, const char *s);
void api_buf_putc(api_buf *b, char c);
void api_buf_printf(api_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void api_buf_vprintf(api_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Hand the contents over: *out gets the malloc'd NUL-terminated string
 * (free() it), *len its length.  AM_OK, or AM_ERR_NOMEM when any append
 * failed (then *out is NULL).  The buffer is empty afterwards.
 */
int api_buf_take(api_buf *b, char **out, size_t *len);

#endif
