/*
 * addrv2.c - the BIP155 `addrv2` payload codec.
 *
 * The decoder is a bounds-checked cursor over the payload: every read states
 * how many bytes it needs before it touches them, so a truncated or hostile
 * payload can only ever produce an error code.  Framing errors fail the
 * whole message (a peer that sends them is broken or hostile, and nothing in
 * the message can be trusted); an entry that is well framed but unusable is
 * reported with its own status and the rest of the message still counts.
 */
#include "addrv2.h"

#include <string.h>

#include "am_error.h"

#define TORV2_NET_ID 3
#define TORV2_LEN 10

/* ------------------------------------------------------------------------ */
/* CompactSize. */

static uint64_t read_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

static void write_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

int am_compactsize_read(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
    static const uint64_t min_for[3] = {0xfd, 0x10000, 0x100000000};
    size_t p, width;
    uint64_t value;
    uint8_t tag;

    if (pos == NULL || v == NULL || (buf == NULL && len > 0))
        return AM_ERR_INVAL;
    p = *pos;
    if (p >= len)
        return AM_ERR_TRUNCATED;
    tag = buf[p++];
    if (tag < 0xfd) {
        *v = tag;
        *pos = p;
        return AM_OK;
    }
    width = (size_t)2 << (tag - 0xfd);      /* fd: 2, fe: 4, ff: 8 */
    if (len - p < width)
        return AM_ERR_TRUNCATED;
    value = read_le(buf + p, width);
    /* One encoding per value: a shorter form would have fitted. */
    if (value < min_for[tag - 0xfd])
        return AM_ERR_MALFORMED;
    *v = value;
    *pos = p + width;
    return AM_OK;
}

size_t am_compactsize_write(uint8_t *buf, size_t cap, uint64_t v)
{
    size_t width;
    uint8_t tag;

    if (v < 0xfd) {
        if (buf == NULL || cap < 1)
            return 0;
        buf[0] = (uint8_t)v;
        return 1;
    }
    if (v <= 0xffff) {
        tag = 0xfd;
        width = 2;
    } else if (v <= 0xffffffff) {
        tag = 0xfe;
        width = 4;
    } else {
        tag = 0xff;
        width = 8;
    }
    if (buf == NULL || cap < width + 1)
        return 0;
    buf[0] = tag;
    write_le(buf + 1, v, width);
    return width + 1;
}

/* ------------------------------------------------------------------------ */
/* Decoding. */

/* The length BIP155 fixes for a network id; 0 when the id is unknown. */
static size_t wire_len(uint8_t net_id)
{
    if (net_id == TORV2_NET_ID)
        return TORV2_LEN;
    return am_net_len(net_id);
}

static int need(size_t len, size_t pos, size_t n)
{
    return len - pos >= n ? AM_OK : AM_ERR_TRUNCATED;
}

/* One entry at buf[*pos]; framing errors are returned, usability in e->status. */
static int decode_entry(const uint8_t *buf, size_t len, size_t *pos,
                        am_addrv2_entry *e)
{
    uint64_t addr_len;
    size_t p = *pos, known;
    uint16_t port;
    int rc;

    memset(e, 0, sizeof(*e));
    if ((rc = need(len, p, 4)) != AM_OK)
        return rc;
    e->time = (uint32_t)read_le(buf + p, 4);
    p += 4;
    if ((rc = am_compactsize_read(buf, len, &p, &e->services)) != AM_OK)
        return rc;
    if ((rc = need(len, p, 1)) != AM_OK)
        return rc;
    e->net_id = buf[p++];
    if ((rc = am_compactsize_read(buf, len, &p, &addr_len)) != AM_OK)
        return rc;
    /* Length rules come before the bytes: a lying length is malformed even
     * when the payload also ends early. */
    if (addr_len > AM_ADDRV2_MAX_ADDRLEN)
        return AM_ERR_MALFORMED;
    known = wire_len(e->net_id);
    if (known != 0 && addr_len != known)
        return AM_ERR_MALFORMED;
    if ((rc = need(len, p, (size_t)addr_len + 2)) != AM_OK)
        return rc;
    port = (uint16_t)(buf[p + addr_len] << 8 | buf[p + addr_len + 1]);
    e->status = am_addr_from_bytes(&e->addr, e->net_id, buf + p,
                                   (size_t)addr_len, port);
    if (e->status == AM_ERR_MALFORMED)
        return AM_ERR_MALFORMED;    /* cannot happen after the checks above */
    if (e->status != AM_OK)
        memset(&e->addr, 0, sizeof(e->addr));
    *pos = p + (size_t)addr_len + 2;
    return AM_OK;
}

int am_addrv2_decode(const uint8_t *buf, size_t len, am_addrv2_entry *out,
                     size_t cap, size_t *n_out)
{
    uint64_t count;
    size_t pos = 0;
    int rc;

    if (n_out == NULL || (buf == NULL && len > 0) || (out == NULL && cap > 0))
        return AM_ERR_INVAL;
    *n_out = 0;
    if ((rc = am_compactsize_read(buf, len, &pos, &count)) != AM_OK)
        return rc;
    if (count > AM_ADDRV2_MAX_ENTRIES || count > cap)
        return AM_ERR_TOOMANY;
    for (size_t i = 0; i < (size_t)count; i++) {
        if ((rc = decode_entry(buf, len, &pos, &out[i])) != AM_OK)
            return rc;
    }
    if (pos != len)
        return AM_ERR_MALFORMED;
    *n_out = (size_t)count;
    return AM_OK;
}

/* ------------------------------------------------------------------------ */
/* Encoding. */

/* The network written is addr.net: addr is the data, net_id only says what
 * a decoded message carried. */
static size_t encode_entry(const am_addrv2_entry *e, uint8_t *buf, size_t cap)
{
    size_t alen = am_net_len(e->addr.net);
    size_t n, w;

    if (alen == 0 || cap < 4)
        return 0;
    write_le(buf, e->time, 4);
    n = 4;
    if ((w = am_compactsize_write(buf + n, cap - n, e->services)) == 0)
        return 0;
    n += w;
    /* net id, one-byte length (alen < 0xfd), bytes, port */
    if (cap - n < 2 + alen + 2)
        return 0;
    buf[n++] = e->addr.net;
    buf[n++] = (uint8_t)alen;
    memcpy(buf + n, e->addr.bytes, alen);
    n += alen;
    buf[n++] = (uint8_t)(e->addr.port >> 8);
    buf[n++] = (uint8_t)e->addr.port;
    return n;
}

int am_addrv2_encode(const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                     size_t cap, size_t *len_out)
{
    size_t pos, w;

    if (len_out == NULL || buf == NULL || (entries == NULL && n > 0) ||
        n > AM_ADDRV2_MAX_ENTRIES)
        return AM_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (am_net_len(entries[i].addr.net) == 0)
            return AM_ERR_INVAL;
    }
    if ((pos = am_compactsize_write(buf, cap, n)) == 0)
        return AM_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if ((w = encode_entry(&entries[i], buf + pos, cap - pos)) == 0)
            return AM_ERR_INVAL;
        pos += w;
    }
    *len_out = pos;
    return AM_OK;
}
