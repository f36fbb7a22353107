/*
 * st_journal.c - journal records, framing and replay (see st_journal.h).
 */
#include "st_journal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "addrman_persist.h"

/* ---------------------------------------------------------------- CRC */

/* The table of the reflected polynomial 0xEDB88320, written out so that
 * no thread ever has to build it. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau,
    0x076dc419u, 0x706af48fu, 0xe963a535u, 0x9e6495a3u,
    0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u,
    0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
    0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu,
    0x14015c4fu, 0x63066cd9u, 0xfa0f3d63u, 0x8d080df5u,
    0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
    0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u,
    0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u,
    0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u, 0xb8bda50fu,
    0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du,
    0x76dc4190u, 0x01db7106u, 0x98d220bcu, 0xefd5102au,
    0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u,
    0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
    0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u,
    0x65b0d9c6u, 0x12b7e950u, 0x8bbeb8eau, 0xfcb9887cu,
    0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
    0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu,
    0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u,
    0x5005713cu, 0x270241aau, 0xbe0b1010u, 0xc90c2086u,
    0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u,
    0x59b33d17u, 0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu,
    0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u,
    0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
    0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu,
    0xf762575du, 0x806567cbu, 0x196c3671u, 0x6e6b06e7u,
    0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
    0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u,
    0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u,
    0xdf60efc3u, 0xa867df55u, 0x316e8eefu, 0x4669be79u,
    0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu,
    0xc5ba3bbeu, 0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u,
    0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au,
    0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
    0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u,
    0x86d3d2d4u, 0xf1d4e242u, 0x68ddb3f8u, 0x1fda836eu,
    0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
    0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u,
    0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu,
    0xaed16a4au, 0xd9d65adcu, 0x40df0b66u, 0x37d83bf0u,
    0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u,
    0xbad03605u, 0xcdd70693u, 0x54de5729u, 0x23d967bfu,
    0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t st_crc32(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint32_t c = 0xffffffffu;

    while (n--)
        c = crc_table[(c ^ *s++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ------------------------------------------------------------ records */

int st_jrec_peer(am_man *m, uint64_t id, st_jrec *out)
{
    am_state stored;
    int rc;

    memset(out, 0, sizeof *out);
    out->type = ST_J_UPSERT;
    if ((rc = am_get(m, id, &out->peer)) != AM_OK ||
        (rc = am_place_of(m, id, &out->place)) != AM_OK ||
        (rc = am_stored_state(m, id, &stored)) != AM_OK)
        return rc;
    out->peer.state = stored;
    return AM_OK;
}

void st_jrec_remove(uint64_t id, st_jrec *out)
{
    memset(out, 0, sizeof *out);
    out->type = ST_J_REMOVE;
    out->id = id;
}

void st_jrec_ban(const am_ban *b, st_jrec *out)
{
    memset(out, 0, sizeof *out);
    out->type = ST_J_BAN;
    out->ban = *b;
}

void st_jrec_unban(const am_subnet *t, st_jrec *out)
{
    memset(out, 0, sizeof *out);
    out->type = ST_J_UNBAN;
    out->ban.target = *t;
}

void st_jrec_unban_all(st_jrec *out)
{
    memset(out, 0, sizeof *out);
    out->type = ST_J_UNBAN_ALL;
}

/* ----------------------------------------------------------- encoding */

typedef struct wcur {
    uint8_t buf[ST_JOURNAL_MAX_REC];
    size_t n;
} wcur;

/* Records are far below ST_JOURNAL_MAX_REC: the bound is a guard only. */
static void put(wcur *w, const void *p, size_t n)
{
    if (n > sizeof w->buf - w->n)
        n = sizeof w->buf - w->n;
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static void put_uint(wcur *w, uint64_t v, int bytes)
{
    uint8_t b[8];

    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, (size_t)bytes);
}

static void put_addr(wcur *w, const am_addr *a)
{
    put_uint(w, a->net, 1);
    put_uint(w, a->port, 2);
    put(w, a->bytes, am_net_len(a->net));
}

static void put_subnet(wcur *w, const am_subnet *s)
{
    put_addr(w, &s->base);
    put_uint(w, s->prefix, 2);
}

static void encode_upsert(wcur *w, const st_jrec *r)
{
    const am_peer *p = &r->peer;

    put_uint(w, p->id, 8);
    put_addr(w, &p->addr);
    put_uint(w, (uint64_t)p->has_source, 1);
    if (p->has_source)
        put_addr(w, &p->source);
    put_uint(w, p->services, 8);
    put_uint(w, (uint64_t)p->state, 1);
    put_uint(w, (uint64_t)p->in_tried, 1);
    put_uint(w, (uint64_t)p->time, 8);
    put_uint(w, (uint64_t)p->last_connected, 8);
    put_uint(w, (uint64_t)p->last_try, 8);
    put_uint(w, (uint64_t)p->last_success, 8);
    put_uint(w, p->attempts, 4);
    put_uint(w, (uint64_t)r->place.in_tried, 1);
    put_uint(w, r->place.n, 1);
    for (uint32_t k = 0; k < r->place.n && k < AM_MAX_NEW_REFS; k++) {
        put_uint(w, r->place.bucket[k], 4);
        put_uint(w, r->place.slot[k], 1);
    }
}

void st_journal_encode(js_buf *b, const st_jrec *r)
{
    wcur w;
    size_t rlen;
    uint8_t head[8];

    w.n = 0;
    put_uint(&w, (uint64_t)r->type, 1);
    switch (r->type) {
    case ST_J_UPSERT:
        encode_upsert(&w, r);
        break;
    case ST_J_REMOVE:
        put_uint(&w, r->id, 8);
        break;
    case ST_J_BAN:
        put_subnet(&w, &r->ban.target);
        put_uint(&w, (uint64_t)r->ban.until, 8);
        put_uint(&w, (uint64_t)r->ban.created, 8);
        rlen = strnlen(r->ban.reason, AM_BAN_REASON_MAX - 1);
        put_uint(&w, rlen, 2);
        put(&w, r->ban.reason, rlen);
        break;
    case ST_J_UNBAN:
        put_subnet(&w, &r->ban.target);
        break;
    case ST_J_UNBAN_ALL:
        break;
    }
    uint32_t crc = st_crc32(w.buf, w.n);
    for (int i = 0; i < 4; i++) {
        head[i] = (uint8_t)(w.n >> (8 * i));
        head[4 + i] = (uint8_t)(crc >> (8 * i));
    }
    js_buf_put(b, head, sizeof head);
    js_buf_put(b, w.buf, w.n);
}

/* ----------------------------------------------------------- decoding */

typedef struct rcur {
    const uint8_t *p;
    size_t n, off;
    int bad;
} rcur;

static uint64_t get_uint(rcur *c, int bytes)
{
    uint64_t v = 0;

    if (c->bad || c->n - c->off < (size_t)bytes) {
        c->bad = 1;
        return 0;
    }
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)c->p[c->off + (size_t)i] << (8 * i);
    c->off += (size_t)bytes;
    return v;
}

static void get_bytes(rcur *c, void *out, size_t n)
{
    if (c->bad || c->n - c->off < n) {
        c->bad = 1;
        return;
    }
    memcpy(out, c->p + c->off, n);
    c->off += n;
}

static void get_addr(rcur *c, am_addr *a)
{
    memset(a, 0, sizeof *a);
    a->net = (uint8_t)get_uint(c, 1);
    a->port = (uint16_t)get_uint(c, 2);
    size_t len = am_net_len(a->net);
    if (len == 0)
        c->bad = 1;
    get_bytes(c, a->bytes, len);
}

static void get_subnet(rcur *c, am_subnet *s)
{
    get_addr(c, &s->base);
    s->prefix = (uint16_t)get_uint(c, 2);
    if (s->prefix > 8 * am_net_len(s->base.net))
        c->bad = 1;
}

static void decode_upsert(rcur *c, st_jrec *r)
{
    am_peer *p = &r->peer;

    p->id = get_uint(c, 8);
    get_addr(c, &p->addr);
    p->has_source = (int)get_uint(c, 1);
    if (p->has_source)
        get_addr(c, &p->source);
    p->services = get_uint(c, 8);
    p->state = (am_state)get_uint(c, 1);
    p->in_tried = (int)get_uint(c, 1);
    p->time = (int64_t)get_uint(c, 8);
    p->last_connected = (int64_t)get_uint(c, 8);
    p->last_try = (int64_t)get_uint(c, 8);
    p->last_success = (int64_t)get_uint(c, 8);
    p->attempts = (uint32_t)get_uint(c, 4);
    r->place.in_tried = (int)get_uint(c, 1);
    r->place.n = (uint32_t)get_uint(c, 1);
    if (r->place.n > AM_MAX_NEW_REFS || p->has_source > 1 ||
        p->in_tried > 1 || (unsigned)p->state >= AM_STATE_BANNED) {
        c->bad = 1;
        return;
    }
    for (uint32_t k = 0; k < r->place.n; k++) {
        r->place.bucket[k] = (uint32_t)get_uint(c, 4);
        r->place.slot[k] = (uint32_t)get_uint(c, 1);
    }
    p->ref_count = r->place.in_tried ? 0 : r->place.n;
}

/* A payload whose CRC matched; 0 when its contents are well-formed. */
static int decode(const uint8_t *p, size_t n, st_jrec *r)
{
    rcur c = {p, n, 0, 0};
    size_t rlen;

    memset(r, 0, sizeof *r);
    r->type = (st_jtype)get_uint(&c, 1);
    switch (r->type) {
    case ST_J_UPSERT:
        decode_upsert(&c, r);
        break;
    case ST_J_REMOVE:
        r->id = get_uint(&c, 8);
        break;
    case ST_J_BAN:
        get_subnet(&c, &r->ban.target);
        r->ban.until = (int64_t)get_uint(&c, 8);
        r->ban.created = (int64_t)get_uint(&c, 8);
        rlen = (size_t)get_uint(&c, 2);
        if (rlen >= AM_BAN_REASON_MAX)
            return -1;
        get_bytes(&c, r->ban.reason, rlen);
        break;
    case ST_J_UNBAN:
        get_subnet(&c, &r->ban.target);
        break;
    case ST_J_UNBAN_ALL:
        break;
    default:
        return -1;
    }
    return c.bad || c.off != c.n ? -1 : 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int all_zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++ != 0)
            return 0;
    return 1;
}

st_jread st_journal_next(const uint8_t *data, size_t len, size_t *off,
                           st_jrec *out)
{
    size_t rem = len - *off;
    const uint8_t *p = data + *off;

    if (rem == 0)
        return ST_JREAD_END;
    /* A crash can leave a prefix of our bytes, or zeros the filesystem
     * allocated for them: both are a torn tail. */
    if (rem < 8 || all_zero(p, rem))
        return ST_JREAD_TORN;
    uint32_t rlen = le32(p), crc = le32(p + 4);
    if (rlen == 0 || rlen > ST_JOURNAL_MAX_REC)
        return ST_JREAD_CORRUPT;
    if ((size_t)rlen > rem - 8)
        return ST_JREAD_TORN;
    if (st_crc32(p + 8, rlen) != crc)
        return (size_t)rlen == rem - 8 ? ST_JREAD_TORN : ST_JREAD_CORRUPT;
    if (decode(p + 8, rlen, out) != 0)
        return ST_JREAD_CORRUPT;
    *off += 8 + (size_t)rlen;
    return ST_JREAD_OK;
}

/* ------------------------------------------------------------- replay */

/* Take slot (b, s) from peer o, as the core's eviction did. */
static void evict(am_man *m, uint64_t o, int tried, uint32_t b, uint32_t s)
{
    am_peer p;
    am_place pl;
    am_state st;

    if (am_get(m, o, &p) != AM_OK || am_place_of(m, o, &pl) != AM_OK ||
        am_stored_state(m, o, &st) != AM_OK)
        return;
    p.state = st;
    am_remove(m, o);
    if (tried) {
        /* Pushed out of tried: to its own new slot, taking it from whoever
         * holds it, as the core does. */
        uint32_t hb, hs;
        uint64_t x;
        am_place home = {0, 1, {0}, {0}};
        if (am_home_slot(m, &p.addr, p.has_source ? &p.source : NULL, &hb,
                         &hs) != AM_OK)
            return;
        if (am_slot_owner(m, 0, hb, hs, &x) == AM_OK)
            evict(m, x, 0, hb, hs);
        home.bucket[0] = hb;
        home.slot[0] = hs;
        p.in_tried = 0;
        am_restore(m, &p, &home);
        return;
    }
    uint32_t n = 0;
    for (uint32_t k = 0; k < pl.n; k++)
        if (pl.bucket[k] != b || pl.slot[k] != s) {
            pl.bucket[n] = pl.bucket[k];
            pl.slot[n++] = pl.slot[k];
        }
    pl.n = n;
    if (n > 0)      /* with no slot left the core forgot it too */
        am_restore(m, &p, &pl);
}

static int apply_upsert(am_man *m, const st_jrec *r, int places_valid)
{
    am_peer old;
    uint64_t o;

    if (r->peer.id == 0 || r->peer.id > AM_ID_MAX)
        return AM_ERR_INVAL;
    /* The adding rule holds for replayed peers too: a record no request
     * could have made (port 0 outside I2P) is refused, as a snapshot
     * holding it would be at the next start. */
    if (!am_addr_port_usable(&r->peer.addr))
        return AM_ERR_ADDR;
    am_id_floor(m, r->peer.id + 1);
    if (am_get(m, r->peer.id, &old) == AM_OK)
        am_remove(m, r->peer.id);
    if (am_find(m, &r->peer.addr, &old) == AM_OK)
        am_remove(m, old.id);
    if (!places_valid)
        return am_restore(m, &r->peer, NULL);
    for (uint32_t k = 0; k < r->place.n; k++)
        if (am_slot_owner(m, r->place.in_tried, r->place.bucket[k],
                          r->place.slot[k], &o) == AM_OK)
            evict(m, o, r->place.in_tried, r->place.bucket[k],
                  r->place.slot[k]);
    return am_restore(m, &r->peer, &r->place);
}

int st_journal_apply(am_man *m, const st_jrec *r, int places_valid)
{
    int rc;

    switch (r->type) {
    case ST_J_UPSERT:
        return apply_upsert(m, r, places_valid);
    case ST_J_REMOVE:
        if (r->id > 0 && r->id <= AM_ID_MAX)
            am_id_floor(m, r->id + 1);
        rc = am_remove(m, r->id);
        return rc == AM_ERR_NOTFOUND ? AM_OK : rc;
    case ST_J_BAN:
        rc = am_ban_restore(m, &r->ban);
        return rc == AM_ERR_RANGE ? AM_OK : rc;    /* expired since */
    case ST_J_UNBAN:
        rc = am_ban_remove(m, &r->ban.target);
        return rc == AM_ERR_NOTFOUND ? AM_OK : rc;
    case ST_J_UNBAN_ALL:
        am_ban_clear(m);
        return AM_OK;
    }
    return AM_ERR_INVAL;
}

int st_journal_replay(am_man *m, const uint8_t *data, size_t len,
                       int places_valid, st_replay *out)
{
    st_jrec r;
    size_t off = ST_JOURNAL_HDR;

    memset(out, 0, sizeof *out);
    if (len < ST_JOURNAL_HDR) {
        if (len > 0 && memcmp(data, ST_JOURNAL_MAGIC, len) != 0) {
            out->bad_header = 1;
            return AM_ERR_MALFORMED;
        }
        out->status = ST_JREAD_TORN;
        return AM_OK;
    }
    if (memcmp(data, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR) != 0) {
        out->bad_header = 1;
        return AM_ERR_MALFORMED;
    }
    for (;;) {
        out->status = st_journal_next(data, len, &off, &r);
        if (out->status != ST_JREAD_OK)
            break;
        out->records++;
        int rc = st_journal_apply(m, &r, places_valid);
        if (rc == AM_ERR_NOMEM)
            return rc;
        if (rc != AM_OK)
            out->failed++;
    }
    out->good_end = off;
    return AM_OK;
}

int st_journal_write(int fd, const void *p, size_t n, int do_fsync)
{
    const char *s = p;

    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return AM_ERR_IO;
        s += w;
        n -= (size_t)w;
    }
    if (do_fsync && fdatasync(fd) != 0)
        return AM_ERR_IO;
    return AM_OK;
}
