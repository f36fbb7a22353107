#include "am_error.h"

const char *am_strerror(int err)
{
    /* Over the enum, without default: a new code not named here is a
     * compiler warning. */
    switch ((am_err)err) {
    case AM_OK:              return "success";
    case AM_ERR_INVAL:       return "invalid argument";
    case AM_ERR_NOMEM:       return "out of memory";
    case AM_ERR_ADDR:        return "not a valid address";
    case AM_ERR_TORV2:       return "Tor v2 addresses are not supported (BIP155)";
    case AM_ERR_UNKNOWN_NET: return "unknown network";
    case AM_ERR_UNROUTABLE:  return "address is not publicly routable";
    case AM_ERR_BANNED:      return "address is banned";
    case AM_ERR_REJECTED:    return "address turned away: its table slot holds a better entry";
    case AM_ERR_NOTFOUND:    return "not found";
    case AM_ERR_EXISTS:      return "already exists";
    case AM_ERR_TRUNCATED:   return "data ends too early";
    case AM_ERR_MALFORMED:   return "malformed data";
    case AM_ERR_TOOMANY:     return "too many entries";
    case AM_ERR_RANGE:       return "number out of range";
    case AM_ERR_IO:          return "input/output error";
    case AM_ERR_FULL:        return "no room left";
    case AM_ERR_INTERNAL:    return "internal consistency check failed";
    case AM_ERR_GROUP_CAP:   return "address turned away: its network group "
                                    "holds its share of the new table";
    }
    return "unknown error";
}
