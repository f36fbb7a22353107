/*
 * am_error.h - the one error enum of addrmand.
 *
 * Every function of the core (and the modules above it) that can fail
 * returns an int: AM_OK (0) on success or one of the negative codes below.
 * Results go through out-parameters.  am_strerror() gives a short English
 * sentence for any code, including unknown ones, and never returns NULL.
 */
#ifndef AM_ERROR_H
#define AM_ERROR_H

typedef enum am_err {
    AM_OK = 0,
    AM_ERR_INVAL = -1,       /* an argument is out of its documented range */
    AM_ERR_NOMEM = -2,       /* an allocation failed; nothing was changed */
    AM_ERR_ADDR = -3,        /* text or bytes are not a valid address */
    AM_ERR_TORV2 = -4,       /* a Tor v2 address (rejected, BIP155) */
    AM_ERR_UNKNOWN_NET = -5, /* a network id this build does not know */
    AM_ERR_UNROUTABLE = -6,  /* a valid address that is not publicly routable */
    AM_ERR_BANNED = -7,      /* the address is covered by an active ban */
    AM_ERR_REJECTED = -8,    /* the table slot holds a better entry */
    AM_ERR_NOTFOUND = -9,    /* no such peer, ban or entry */
    AM_ERR_EXISTS = -10,     /* the thing is already there */
    AM_ERR_TRUNCATED = -11,  /* a message or file ends too early */
    AM_ERR_MALFORMED = -12,  /* a message or file breaks its format */
    AM_ERR_TOOMANY = -13,    /* more entries than the format allows */
    AM_ERR_RANGE = -14,      /* a number is outside its allowed range */
    AM_ERR_IO = -15,         /* a file or system call failed */
    AM_ERR_FULL = -16,       /* a fixed-size structure is full */
    AM_ERR_INTERNAL = -17,   /* an invariant is broken (am_check) */
    AM_ERR_GROUP_CAP = -18   /* the address's network group holds its
                              * share of the new table (new_group_cap) */
} am_err;

/* A short sentence describing `err`; never NULL. */
const char *am_strerror(int err);

#endif
