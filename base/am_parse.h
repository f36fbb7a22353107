/*
 * am_parse.h - the one decimal parser of addrmand.
 *
 * Every layer reads unsigned decimal numbers from text: JSON numbers (whose
 * u64 service flags and ids do not fit a double or jansson's signed
 * integers), query parameters, journal file names, command-line options.
 * They all read them here, with one rule: one or more ASCII digits and
 * nothing else (no sign, no blank, no fraction, no exponent), at most
 * UINT64_MAX.  Leading zeros are allowed ("007" is 7), as JSON readers and
 * strtoull allow them.
 */
#ifndef AM_PARSE_H
#define AM_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * text[0..len) as an unsigned decimal number: AM_OK with *out;
 * AM_ERR_MALFORMED when it is empty or holds anything but digits;
 * AM_ERR_RANGE when it exceeds `max`.  *out is unchanged on error.
 */
int am_parse_u64(const char *text, size_t len, uint64_t max, uint64_t *out);

/* The same for a NUL-terminated string. */
int am_parse_u64_str(const char *s, uint64_t max, uint64_t *out);

#endif
