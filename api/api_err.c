#include "api_err.h"

#include <stdarg.h>
#include <stdio.h>

#include "am_error.h"

static const struct {
    const char *name;
    int status;
} api_codes[API_CODE_COUNT] = {
    [API_BAD_JSON] = {"bad_json", 400},
    [API_BAD_REQUEST] = {"bad_request", 400},
    [API_INVALID_ADDRESS] = {"invalid_address", 400},
    [API_UNAUTHORIZED] = {"unauthorized", 401},
    [API_NOT_FOUND] = {"not_found", 404},
    [API_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405},
    [API_CONFLICT] = {"conflict", 409},
    [API_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413},
    [API_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415},
    [API_INTERNAL] = {"internal", 500},
    [API_IO_ERROR] = {"io_error", 500},
    [API_NOT_READY] = {"not_ready", 503},
};

const char *api_code_name(api_code code)
{
    if ((unsigned)code >= API_CODE_COUNT)
        return "internal";
    return api_codes[code].name;
}

int api_code_status(api_code code)
{
    if ((unsigned)code >= API_CODE_COUNT)
        return 500;
    return api_codes[code].status;
}

int api_fail(api_err *err, api_code code, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static api_code code_of_core(int am_rc)
{
    switch ((am_err)am_rc) {
    case AM_ERR_NOTFOUND:
        return API_NOT_FOUND;
    case AM_ERR_ADDR:
    case AM_ERR_TORV2:
    case AM_ERR_UNKNOWN_NET:
        return API_INVALID_ADDRESS;
    case AM_ERR_EXISTS:
        return API_CONFLICT;
    case AM_ERR_IO:
        return API_IO_ERROR;
    case AM_ERR_INVAL:
    case AM_ERR_RANGE:
    case AM_ERR_TRUNCATED:
    case AM_ERR_MALFORMED:
    case AM_ERR_TOOMANY:
    case AM_ERR_UNROUTABLE:
    case AM_ERR_BANNED:
    case AM_ERR_REJECTED:
    case AM_ERR_GROUP_CAP:
    case AM_ERR_FULL:
        return API_BAD_REQUEST;
    case AM_OK:
    case AM_ERR_NOMEM:
    case AM_ERR_INTERNAL:
        break;
    }
    return API_INTERNAL;
}

int api_fail_core(api_err *err, int am_rc, const char *what)
{
    return api_fail(err, code_of_core(am_rc), "%s: %s", what,
                    am_strerror(am_rc));
}
