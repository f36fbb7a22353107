/*
 * st_jload.h - reading JSON data files with exact 64-bit integers.
 *
 * jansson keeps integers as signed 64-bit and json_loads() FAILS on a
 * larger literal, but the files we read hold unsigned 64-bit values
 * (Floresta's random ids go up to 18446744073709551615, service flags are
 * u64).  st_jload() scans the text first with a small tokenizer that knows
 * strings and numbers, and rewrites every number token jansson would not
 * keep exactly -- an integer outside the int64 range, and every fraction or
 * exponent form -- into a string made of a NUL byte and the token's text.
 * jansson then runs with JSON_ALLOW_NUL, so the document always parses when
 * its syntax is valid, and one absurd number spoils one field, not the file.
 * The readers below turn such a marked string back into the exact value,
 * or report a wrong type / a range error.
 *
 * Only tokens that follow JSON's number grammar are rewritten: invalid
 * syntax is left for jansson to refuse.  Any top-level value is accepted;
 * duplicate keys keep the last value (as Floresta's serde does).
 */
#ifndef ST_JLOAD_H
#define ST_JLOAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse text[0..len).  AM_OK with *out (json_decref it), AM_ERR_MALFORMED
 * with a sentence (line and column) in why, or AM_ERR_NOMEM.
 */
int st_jload(const char *text, size_t len, json_t **out, char *why,
              size_t why_len);

/*
 * An integer value: AM_OK, AM_ERR_MALFORMED when v is not an integer
 * (string, fraction, NULL, ...), AM_ERR_RANGE outside [min, max].
 */
int st_jnum_u64(const json_t *v, uint64_t min, uint64_t max, uint64_t *out);
int st_jnum_i64(const json_t *v, int64_t min, int64_t max, int64_t *out);

/* A plain string (marked numbers are not strings): its text or NULL. */
const char *st_jstr(const json_t *v);

#endif
