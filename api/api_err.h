/*
 * api_err.h - the error codes of the HTTP/JSON API.
 *
 * Every failure inside api/ is described by an api_err: one of the codes of
 * the v1 contract (api/openapi.yaml) and a human sentence.  Handlers fill one and
 * return -1; api.c is the one place that turns it into the response
 * {"error": {"code": ..., "message": ...}} with the code's HTTP status.
 * Messages may quote client input: the JSON writer makes any bytes safe.
 */
#ifndef API_ERR_H
#define API_ERR_H

#include <stddef.h>

typedef enum api_code {
    API_BAD_JSON = 0,               /* 400: the body is not JSON */
    API_BAD_REQUEST,                /* 400: well-formed but not acceptable */
    API_INVALID_ADDRESS,            /* 400: an address or ban target is invalid */
    API_UNAUTHORIZED,               /* 401 */
    API_NOT_FOUND,                  /* 404 */
    API_METHOD_NOT_ALLOWED,         /* 405 */
    API_CONFLICT,                   /* 409 */
    API_PAYLOAD_TOO_LARGE,          /* 413 */
    API_UNSUPPORTED_MEDIA_TYPE,     /* 415 */
    API_INTERNAL,                   /* 500 */
    API_IO_ERROR,                   /* 500 */
    API_NOT_READY,                  /* 503: /readyz while not ready */
    API_CODE_COUNT
} api_code;

#define API_ERR_MSG_MAX 256

typedef struct api_err {
    api_code code;
    char msg[API_ERR_MSG_MAX];
} api_err;

/* The snake_case name of a code ("bad_json", ...). */
const char *api_code_name(api_code code);
/* The HTTP status of a code. */
int api_code_status(api_code code);

/* Fill `err` (printf-style message, truncated to fit); always returns -1 so
 * that callers can write `return api_fail(err, ...);`. */
int api_fail(api_err *err, api_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fill `err` from a core error code (am_error.h): AM_ERR_NOTFOUND is
 * not_found, address errors are invalid_address, AM_ERR_IO is io_error,
 * AM_ERR_EXISTS conflict, range errors bad_request, anything else internal.
 * The message is `what` followed by the core's sentence.  Returns -1.
 */
int api_fail_core(api_err *err, int am_rc, const char *what);

#endif
