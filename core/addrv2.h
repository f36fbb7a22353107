/*
 * addrv2.h - the BIP155 `addrv2` message payload codec.
 *
 * Payload: CompactSize count (at most AM_ADDRV2_MAX_ENTRIES), then per entry
 *   u32 LE time | CompactSize services | u8 network id |
 *   CompactSize length (at most AM_ADDRV2_MAX_ADDRLEN) | bytes | u16 BE port
 *
 * Decoding is all or nothing for the message's framing: a truncated payload,
 * a non-canonical CompactSize, a count over 1000, an address length over 512,
 * a known network with the wrong length, or bytes left after the last entry
 * fail the whole message (AM_ERR_TRUNCATED / AM_ERR_MALFORMED /
 * AM_ERR_TOOMANY) and nothing is returned.  Entries that are well framed but
 * not usable do not fail the message: an unknown network id is skipped
 * (status AM_ERR_UNKNOWN_NET), Tor v2 (network 3, or IPv6 with the OnionCat
 * prefix fd87:d87e:eb43::/48) is AM_ERR_TORV2, an IPv6 address with an
 * IPv4-mapped prefix or CJDNS outside fc00::/8 is AM_ERR_ADDR.  Every entry is
 * reported, in message order, so callers can report each by index.
 */
#ifndef AM_ADDRV2_H
#define AM_ADDRV2_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define AM_ADDRV2_MAX_ENTRIES 1000
#define AM_ADDRV2_MAX_ADDRLEN 512
/* Largest encoded entry of a known network: 4 + 9 + 1 + 1 + 32 + 2. */
#define AM_ADDRV2_MAX_ENTRY_SIZE 49

typedef struct am_addrv2_entry {
    uint32_t time;
    uint64_t services;
    uint8_t net_id;     /* network id as sent on the wire */
    int status;         /* AM_OK, or why the entry is not usable */
    am_addr addr;       /* valid only when status == AM_OK */
} am_addrv2_entry;

/*
 * Decode a whole payload into out[0..*n_out).  `cap` must be at least the
 * message's count (AM_ADDRV2_MAX_ENTRIES always suffices), else AM_ERR_TOOMANY.
 */
int am_addrv2_decode(const uint8_t *buf, size_t len, am_addrv2_entry *out,
                     size_t cap, size_t *n_out);

/*
 * Encode entries[0..n) (n <= 1000, each with a known network; the network
 * written is addr.net, net_id and status are not read) as one payload into
 * buf.  *len_out gets the payload size.  AM_ERR_INVAL when cap is too small
 * (AM_ADDRV2_MAX_ENTRY_SIZE * n + 3 always suffices).
 */
int am_addrv2_encode(const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                     size_t cap, size_t *len_out);

/* CompactSize helpers, exposed for tests and for other codecs. */
/* Reads a canonical CompactSize at buf[*pos]; advances *pos. */
int am_compactsize_read(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v);
/* Writes v in canonical form; returns the number of bytes (1, 3, 5, 9) or 0
 * when cap is too small. */
size_t am_compactsize_write(uint8_t *buf, size_t cap, uint64_t v);

#endif
