/*
 * st_coredat.c - Bitcoin Core's peers.dat (see st_coredat.h).
 *
 * Three parts: Core's bucketing (its address key, network group and the
 * three hashes), the reader (a cursor over the bytes that names the field
 * and offset where the file breaks), and the writer (placing the peers
 * under a fresh key, then serializing).
 */
#include "st_coredat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "am_error.h"
#include "netaddr.h"

#define TRIED_PER_GROUP 8               /* ADDRMAN_TRIED_BUCKETS_PER_GROUP */
#define NEW_PER_SOURCE_GROUP 64         /* ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP */
#define BUCKETS_XOR (UINT32_C(1) << 30)
#define DISK_VERSION 220000u            /* Core's DISK_VERSION_INIT */
#define DISK_ADDRV2 UINT32_C(0x20000000)
#define DISK_IGNORE_MASK UINT32_C(0x7ffff)
#define ADDRV2_MAX 512                  /* Core's MAX_ADDRV2_SIZE */
#define TORV2_ID 3
#define FORMAT_BIP155 3
#define FORMAT_ASMAP 2

/* ---- Bitcoin's serialization ---------------------------------------- */

/* An output buffer sized in advance: writes never overflow it. */
typedef struct obuf {
    uint8_t *b;
    size_t n;
} obuf;

static void o_put(obuf *o, const void *p, size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void o_le(obuf *o, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

static void o_compact(obuf *o, uint64_t v)
{
    if (v < 0xfd) {
        o_le(o, v, 1);
    } else if (v <= 0xffff) {
        o_le(o, 0xfd, 1);
        o_le(o, v, 2);
    } else if (v <= 0xffffffff) {
        o_le(o, 0xfe, 1);
        o_le(o, v, 4);
    } else {
        o_le(o, 0xff, 1);
        o_le(o, v, 8);
    }
}

/* ---- Core's bucketing ------------------------------------------------ */

/* A message to hash: Bitcoin serializations appended to the key. */
typedef struct hmsg {
    uint8_t mem[128];           /* the longest: key, 'N', bucket, a key of
                                 * 1 + 34 bytes */
    obuf o;
} hmsg;

static void h_start(hmsg *h, const uint8_t key[ST_COREDAT_KEY_LEN])
{
    h->o.b = h->mem;
    h->o.n = 0;
    o_put(&h->o, key, ST_COREDAT_KEY_LEN);
}

/* A byte vector: its compact size length, then the bytes. */
static void h_vec(hmsg *h, const uint8_t *p, size_t n)
{
    o_compact(&h->o, n);
    o_put(&h->o, p, n);
}

/* Core's GetCheapHash: the first 8 bytes of SHA256d, little-endian. */
static uint64_t h_cheap(const hmsg *h)
{
    uint8_t once[SHA256_DIGEST_LENGTH], twice[SHA256_DIGEST_LENGTH];
    uint64_t v = 0;

    SHA256(h->o.b, h->o.n, once);
    SHA256(once, sizeof once, twice);
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | twice[i];
    return v;
}

/* CService::GetKey: legacy 16 bytes for IPv4/IPv6, raw bytes for the
 * others, then the port big-endian.  Returns the length. */
static size_t core_key(const am_addr *a, uint8_t out[AM_ADDR_MAXLEN + 2])
{
    size_t n = am_net_len(a->net);

    if (a->net == AM_NET_IPV4) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a->bytes, 4);
        n = 16;
    } else {
        memcpy(out, a->bytes, n);
    }
    out[n] = (uint8_t)(a->port >> 8);
    out[n + 1] = (uint8_t)a->port;
    return n + 2;
}

/* NetGroupManager::GetGroup without asmap, from am_addr_group, whose
 * prefixes are Core's: Core numbers the classes by its enum Network and
 * fills the bits past a prefix with ones. */
static size_t core_group(const am_addr *a, uint8_t out[AM_GROUP_MAXLEN])
{
    size_t n = am_addr_group(a, out);

    switch ((enum am_net)out[0]) {
    case AM_NET_IPV4:
        break;
    case AM_NET_IPV6:
        if (n == 6)                     /* he.net /36 */
            out[5] |= 0x0f;
        break;
    case AM_NET_TORV3:
    case AM_NET_I2P:
        out[0] = (uint8_t)(out[0] - 1); /* NET_ONION 3, NET_I2P 4 */
        out[1] |= 0x0f;
        break;
    case AM_NET_CJDNS:
        out[0] = 5;                     /* NET_CJDNS */
        out[2] |= 0x0f;
        break;
    }
    return n;
}

static uint32_t tried_bucket(const uint8_t *key, const am_addr *a)
{
    uint8_t k[AM_ADDR_MAXLEN + 2], g[AM_GROUP_MAXLEN];
    size_t kn = core_key(a, k), gn = core_group(a, g);
    hmsg h;

    h_start(&h, key);
    h_vec(&h, k, kn);
    uint64_t h1 = h_cheap(&h);
    h_start(&h, key);
    h_vec(&h, g, gn);
    o_le(&h.o, h1 % TRIED_PER_GROUP, 8);
    return (uint32_t)(h_cheap(&h) % ST_COREDAT_TRIED_BUCKETS);
}

static uint32_t new_bucket(const uint8_t *key, const am_addr *a,
                           const am_addr *src)
{
    uint8_t g[AM_GROUP_MAXLEN], sg[AM_GROUP_MAXLEN];
    size_t gn = core_group(a, g), sgn = core_group(src, sg);
    hmsg h;

    h_start(&h, key);
    h_vec(&h, g, gn);
    h_vec(&h, sg, sgn);
    uint64_t h1 = h_cheap(&h);
    h_start(&h, key);
    h_vec(&h, sg, sgn);
    o_le(&h.o, h1 % NEW_PER_SOURCE_GROUP, 8);
    return (uint32_t)(h_cheap(&h) % ST_COREDAT_NEW_BUCKETS);
}

static uint32_t bucket_pos(const uint8_t *key, int is_new, uint32_t bucket,
                           const am_addr *a)
{
    uint8_t k[AM_ADDR_MAXLEN + 2];
    size_t kn = core_key(a, k);
    hmsg h;

    h_start(&h, key);
    o_le(&h.o, is_new ? 'N' : 'K', 1);
    o_le(&h.o, bucket, 4);
    h_vec(&h, k, kn);
    return (uint32_t)(h_cheap(&h) % ST_COREDAT_BUCKET_SIZE);
}

/* The slot (bucket * 64 + position) Core gives the address in the tried
 * table. */
static size_t tried_slot(const uint8_t *key, const am_addr *a)
{
    uint32_t b = tried_bucket(key, a);

    return (size_t)b * ST_COREDAT_BUCKET_SIZE + bucket_pos(key, 0, b, a);
}

static int has_prefix(const uint8_t *b, const uint8_t *p, size_t n)
{
    return memcmp(b, p, n) == 0;
}

/* CNetAddr::IsValid for the addresses we know: not ::, not 2001:db8::/32,
 * not 0.0.0.0 or 255.255.255.255. */
static int core_valid(const am_addr *a)
{
    static const uint8_t zero[16] = {0}, doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t none[4] = {0xff, 0xff, 0xff, 0xff};

    if (a->net == AM_NET_IPV6)
        return !has_prefix(a->bytes, zero, 16) && !has_prefix(a->bytes, doc, 4);
    if (a->net == AM_NET_IPV4)
        return !has_prefix(a->bytes, zero, 4) && !has_prefix(a->bytes, none, 4);
    return 1;
}

/* ---- the reader's cursor --------------------------------------------- */

typedef struct cur {
    const uint8_t *b;
    size_t len, off;
    char where[48];             /* "entry 17 of the new table", or "" */
    char *why;
    size_t why_len;
} cur;

static int fail_at(cur *c, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(cur *c, size_t off, const char *fmt, ...)
{
    char what[ST_COREDAT_WHY_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->why, c->why_len, "%s%s%s at byte %zu", c->where,
             c->where[0] ? ": " : "", what, off);
    return AM_ERR_MALFORMED;
}

/* n bytes of `field` (NULL when the file ends first: the error is set). */
static const uint8_t *take(cur *c, size_t n, const char *field)
{
    const uint8_t *p = c->b + c->off;

    if (c->len - c->off < n) {
        fail_at(c, c->len, "truncated in %s", field);
        return NULL;
    }
    c->off += n;
    return p;
}

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    while (n-- > 0)
        v = (v << 8) | p[n];
    return v;
}

static int get_le(cur *c, size_t n, const char *field, uint64_t *v)
{
    const uint8_t *p = take(c, n, field);

    if (p == NULL)
        return AM_ERR_MALFORMED;
    *v = le(p, n);
    return AM_OK;
}

static int get_i32(cur *c, const char *field, int64_t *v)
{
    uint64_t u;
    int rc = get_le(c, 4, field, &u);

    *v = (int32_t)(uint32_t)u;
    return rc;
}

/* CompactSize, refusing a longer form than needed as Core does. */
static int get_compact(cur *c, const char *field, uint64_t *v)
{
    static const uint64_t min[4] = {0, 0xfd, 0x10000, UINT64_C(0x100000000)};
    size_t start = c->off;
    uint64_t first;
    int size;

    if (get_le(c, 1, field, &first) != AM_OK)
        return AM_ERR_MALFORMED;
    if (first < 0xfd) {
        *v = first;
        return AM_OK;
    }
    size = first == 0xfd ? 1 : first == 0xfe ? 2 : 3;
    if (get_le(c, (size_t)1 << size, field, v) != AM_OK)
        return AM_ERR_MALFORMED;
    if (*v < min[size])
        return fail_at(c, start, "non-canonical compact size in %s", field);
    return AM_OK;
}

/* ---- reading addresses ----------------------------------------------- */

/* An address read: bytes known or not (skip). */
typedef struct raw_addr {
    int skip;
    am_addr a;
} raw_addr;

/* The 16-byte legacy form (CNetAddr::SetLegacyIPv6). */
static void legacy_addr(const uint8_t *b, raw_addr *out)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t onioncat[6] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43};
    static const uint8_t internal[6] = {0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24};
    int rc;

    if (has_prefix(b, mapped, 12))
        rc = am_addr_from_bytes(&out->a, AM_NET_IPV4, b + 12, 4, 0);
    else if (has_prefix(b, onioncat, 6))
        rc = AM_ERR_TORV2;
    else if (has_prefix(b, internal, 6))
        rc = AM_ERR_UNKNOWN_NET;
    else
        rc = am_addr_from_bytes(&out->a, AM_NET_IPV6, b, 16, 0);
    out->skip = rc;
}

static int get_addr_v2(cur *c, const char *field, raw_addr *out)
{
    static const size_t known_len[AM_NET_MAX] = {0, 4, 16, 0, 32, 32, 16};
    uint64_t net, n;
    size_t start = c->off;
    const uint8_t *p;
    char f[40];

    snprintf(f, sizeof f, "%s's network", field);
    if (get_le(c, 1, f, &net) != AM_OK)
        return AM_ERR_MALFORMED;
    snprintf(f, sizeof f, "%s's length", field);
    if (get_compact(c, f, &n) != AM_OK)
        return AM_ERR_MALFORMED;
    if (n > ADDRV2_MAX)
        return fail_at(c, start, "%s is %llu bytes long (at most %d)", field,
                       (unsigned long long)n, ADDRV2_MAX);
    if (net < AM_NET_MAX && known_len[net] != 0 && n != known_len[net])
        return fail_at(c, start, "%s of network %s is %llu bytes long "
                       "(should be %zu)", field, am_net_name((int)net),
                       (unsigned long long)n, known_len[net]);
    if ((p = take(c, (size_t)n, field)) == NULL)
        return AM_ERR_MALFORMED;
    if (net == TORV2_ID)
        out->skip = AM_ERR_TORV2;
    else if (net >= AM_NET_MAX || known_len[net] == 0)
        out->skip = AM_ERR_UNKNOWN_NET;
    else
        out->skip = am_addr_from_bytes(&out->a, (int)net, p, (size_t)n, 0);
    return AM_OK;
}

static int get_addr(cur *c, int v2, const char *field, raw_addr *out)
{
    const uint8_t *p;

    memset(out, 0, sizeof *out);
    if (v2)
        return get_addr_v2(c, field, out);
    if ((p = take(c, 16, field)) == NULL)
        return AM_ERR_MALFORMED;
    legacy_addr(p, out);
    return AM_OK;
}

/* ---- reading entries ------------------------------------------------- */

/* The entry's version: BIP155 encoding or not. */
static int get_version(cur *c, int format, int *v2)
{
    size_t start = c->off;
    uint64_t v;

    if (get_le(c, 4, "version", &v) != AM_OK)
        return AM_ERR_MALFORMED;
    v &= ~(uint64_t)DISK_IGNORE_MASK;
    *v2 = v == DISK_ADDRV2;
    if (v == 0 || (*v2 && format >= FORMAT_BIP155))
        return AM_OK;
    return fail_at(c, start, "version 0x%08llx is neither the old encoding "
                   "nor BIP155's%s", (unsigned long long)v,
                   *v2 ? " (which format 2 and below lack)" : "");
}

static int get_entry(cur *c, int format, st_coredat_entry *e)
{
    uint64_t t, services, port, last;
    int64_t attempts;
    raw_addr a, src;
    int v2, rc;

    if ((rc = get_version(c, format, &v2)) != AM_OK ||
        (rc = get_le(c, 4, "time", &t)) != AM_OK ||
        (rc = v2 ? get_compact(c, "services", &services)
                 : get_le(c, 8, "services", &services)) != AM_OK ||
        (rc = get_addr(c, v2, "address", &a)) != AM_OK ||
        (rc = get_le(c, 2, "port", &port)) != AM_OK ||
        (rc = get_addr(c, format >= FORMAT_BIP155, "source", &src)) != AM_OK ||
        (rc = get_le(c, 8, "last success", &last)) != AM_OK ||
        (rc = get_i32(c, "attempts", &attempts)) != AM_OK)
        return rc;
    e->skip = a.skip;
    e->addr = a.a;
    /* The port is big-endian: get_le read it byte-swapped. */
    e->addr.port = (uint16_t)(((port & 0xff) << 8) | (port >> 8));
    e->has_source = src.skip == AM_OK && core_valid(&src.a);
    e->source = src.a;
    e->services = services;
    e->time = (uint32_t)t;
    e->last_success = (int64_t)last;
    e->attempts = (int32_t)attempts;
    if (e->skip == AM_OK && !core_valid(&e->addr))
        e->skip = AM_ERR_ADDR;
    return AM_OK;
}

static int get_entries(cur *c, st_coredat *d)
{
    size_t total = (size_t)d->n_new + d->n_tried;
    int rc;

    d->e = calloc(total ? total : 1, sizeof *d->e);
    if (d->e == NULL)
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        int tried = i >= d->n_new;
        snprintf(c->where, sizeof c->where, "entry %zu of the %s table",
                 tried ? i - d->n_new : i, tried ? "tried" : "new");
        d->e[i].tried = tried;
        if ((rc = get_entry(c, d->format, &d->e[i])) != AM_OK)
            return rc;
    }
    c->where[0] = '\0';
    return AM_OK;
}

/* ---- reading the table ----------------------------------------------- */

static int get_magic(cur *c, const am_chain *want, st_coredat *d)
{
    const uint8_t *m = take(c, 4, "the network magic");

    if (m == NULL)
        return AM_ERR_MALFORMED;
    for (int id = 0; id < AM_CHAIN_COUNT; id++) {
        const am_chain *ch = am_chain_get((am_chain_id)id);
        if (memcmp(ch->magic, m, 4) == 0)
            d->chain = ch;
    }
    if (d->chain != NULL && (want == NULL || d->chain == want))
        return AM_OK;
    if (d->chain != NULL)
        return fail_at(c, 0, "the network magic is %s's, not %s's",
                       d->chain->name, want->name);
    return fail_at(c, 0, "the network magic %02x%02x%02x%02x is no chain's",
                   m[0], m[1], m[2], m[3]);
}

static int get_header(cur *c, st_coredat *d)
{
    uint64_t v;
    int64_t n_new, n_tried, n_buckets;
    size_t at;

    if (get_le(c, 1, "format", &v) != AM_OK)
        return AM_ERR_MALFORMED;
    d->format = (uint8_t)v;
    at = c->off;
    if (get_le(c, 1, "compatibility", &v) != AM_OK)
        return AM_ERR_MALFORMED;
    d->compat = (uint8_t)v;
    if (d->compat < ST_COREDAT_COMPAT_BASE)
        return fail_at(c, at, "compatibility %u is below %d", d->compat,
                       ST_COREDAT_COMPAT_BASE);
    if (d->compat - ST_COREDAT_COMPAT_BASE > ST_COREDAT_FORMAT)
        return fail_at(c, at, "the file needs a reader of format %d or "
                       "later; this one reads up to %d",
                       d->compat - ST_COREDAT_COMPAT_BASE, ST_COREDAT_FORMAT);
    const uint8_t *key = take(c, ST_COREDAT_KEY_LEN, "key");
    if (key == NULL)
        return AM_ERR_MALFORMED;
    memcpy(d->key, key, ST_COREDAT_KEY_LEN);
    at = c->off;
    if (get_i32(c, "nNew", &n_new) != AM_OK ||
        get_i32(c, "nTried", &n_tried) != AM_OK ||
        get_i32(c, "nUBuckets", &n_buckets) != AM_OK)
        return AM_ERR_MALFORMED;
    if (d->format >= 1)
        n_buckets ^= BUCKETS_XOR;
    if (n_new < 0 || n_new > ST_COREDAT_NEW_MAX)
        return fail_at(c, at, "nNew=%lld is outside 0..%d",
                       (long long)n_new, ST_COREDAT_NEW_MAX);
    if (n_tried < 0 || n_tried > ST_COREDAT_TRIED_MAX)
        return fail_at(c, at + 4, "nTried=%lld is outside 0..%d",
                       (long long)n_tried, ST_COREDAT_TRIED_MAX);
    if (n_buckets < 0 || n_buckets > ST_COREDAT_NEW_BUCKETS)
        return fail_at(c, at + 8, "nUBuckets=%lld is outside 0..%d",
                       (long long)n_buckets, ST_COREDAT_NEW_BUCKETS);
    d->n_new = (uint32_t)n_new;
    d->n_tried = (uint32_t)n_tried;
    d->n_buckets = (uint32_t)n_buckets;
    return AM_OK;
}

static int get_bucket(cur *c, st_coredat *d, uint32_t b)
{
    int64_t count, index;
    size_t at = c->off;

    snprintf(c->where, sizeof c->where, "new bucket %u", b);
    if (get_i32(c, "its count", &count) != AM_OK)
        return AM_ERR_MALFORMED;
    if (count < 0 || count > ST_COREDAT_BUCKET_SIZE)
        return fail_at(c, at, "count %lld is outside 0..%d",
                       (long long)count, ST_COREDAT_BUCKET_SIZE);
    for (int64_t i = 0; i < count; i++) {
        at = c->off;
        if (get_i32(c, "an index", &index) != AM_OK)
            return AM_ERR_MALFORMED;
        if (index < 0 || index >= (int64_t)d->n_new)
            return fail_at(c, at, "index %lld is outside the %u new entries",
                           (long long)index, d->n_new);
        d->refs[d->n_refs].bucket = b;
        d->refs[d->n_refs++].index = (uint32_t)index;
        d->e[index].refs++;
    }
    return AM_OK;
}

static int get_buckets(cur *c, st_coredat *d)
{
    size_t cap = (size_t)d->n_buckets * ST_COREDAT_BUCKET_SIZE;
    int rc;

    d->refs = malloc((cap ? cap : 1) * sizeof *d->refs);
    if (d->refs == NULL)
        return AM_ERR_NOMEM;
    for (uint32_t b = 0; b < d->n_buckets; b++)
        if ((rc = get_bucket(c, d, b)) != AM_OK)
            return rc;
    c->where[0] = '\0';
    if (d->format >= FORMAT_ASMAP) {
        const uint8_t *p = take(c, sizeof d->asmap, "the asmap checksum");
        if (p == NULL)
            return AM_ERR_MALFORMED;
        memcpy(d->asmap, p, sizeof d->asmap);
    }
    return AM_OK;
}

static void sha256d(const uint8_t *p, size_t n, uint8_t out[32])
{
    uint8_t once[SHA256_DIGEST_LENGTH];

    SHA256(p, n, once);
    SHA256(once, sizeof once, out);
}

static int get_checksum(cur *c)
{
    uint8_t sum[32];
    size_t body = c->off;
    const uint8_t *p = take(c, 32, "the checksum");

    if (p == NULL)
        return AM_ERR_MALFORMED;
    sha256d(c->b, body, sum);
    if (memcmp(sum, p, 32) != 0)
        return fail_at(c, body, "the checksum does not match the data "
                       "(the file is corrupt)");
    if (c->off != c->len)
        return fail_at(c, c->off, "%zu bytes follow the checksum",
                       c->len - c->off);
    return AM_OK;
}

void st_coredat_free(st_coredat *d)
{
    if (d == NULL)
        return;
    free(d->e);
    free(d->refs);
    memset(d, 0, sizeof *d);
}

int st_coredat_parse(const uint8_t *buf, size_t len, const am_chain *chain,
                     int flags, st_coredat *out, st_coredat_check *check,
                     char *why, size_t why_len)
{
    cur c = {buf, len, 0, "", why, why_len};
    int rc;

    memset(out, 0, sizeof *out);
    if (why_len > 0)
        why[0] = '\0';
    if ((rc = get_magic(&c, chain, out)) == AM_OK &&
        (rc = get_header(&c, out)) == AM_OK &&
        (rc = get_entries(&c, out)) == AM_OK &&
        (rc = get_buckets(&c, out)) == AM_OK)
        rc = get_checksum(&c);
    if (rc == AM_OK && (flags & ST_COREDAT_VERIFY))
        rc = st_coredat_verify(out, check, why, why_len);
    if (rc == AM_ERR_NOMEM)
        snprintf(why, why_len, "out of memory");
    if (rc != AM_OK)
        st_coredat_free(out);
    return rc;
}

/* ---- the placement check --------------------------------------------- */

static int verify_tried(const st_coredat *d, uint8_t *taken, size_t *n,
                        char *why, size_t why_len)
{
    for (uint32_t i = 0; i < d->n_tried; i++) {
        const st_coredat_entry *e = &d->e[d->n_new + i];
        if (e->skip != AM_OK)
            continue;                   /* Core drops it */
        size_t slot = tried_slot(d->key, &e->addr);
        if (taken[slot]) {
            snprintf(why, why_len, "entry %u of the tried table falls in "
                     "tried bucket %zu position %zu, taken by an earlier one",
                     i, slot / ST_COREDAT_BUCKET_SIZE,
                     slot % ST_COREDAT_BUCKET_SIZE);
            return AM_ERR_MALFORMED;
        }
        taken[slot] = 1;
        (*n)++;
    }
    return AM_OK;
}

/* Each bucket's entries in strictly increasing positions, as Core writes
 * them: a wrong hash would scramble them. */
static int verify_new(const st_coredat *d, st_coredat_check *ck, char *why,
                      size_t why_len)
{
    int64_t last = -1;
    uint32_t bucket = UINT32_MAX;

    for (size_t r = 0; r < d->n_refs; r++) {
        const st_coredat_ref *ref = &d->refs[r];
        const st_coredat_entry *e = &d->e[ref->index];
        if (ref->bucket != bucket) {
            bucket = ref->bucket;
            last = -1;
        }
        if (e->skip != AM_OK)
            continue;
        uint32_t pos = bucket_pos(d->key, 1, bucket, &e->addr);
        if ((int64_t)pos <= last) {
            snprintf(why, why_len, "new entry %u is listed in new bucket %u "
                     "at position %u, not after position %lld", ref->index,
                     bucket, pos, (long long)last);
            return AM_ERR_MALFORMED;
        }
        last = pos;
        ck->new_refs++;
        if (e->has_source &&
            new_bucket(d->key, &e->addr, &e->source) == bucket)
            ck->new_own_bucket++;
    }
    return AM_OK;
}

int st_coredat_verify(const st_coredat *d, st_coredat_check *check,
                      char *why, size_t why_len)
{
    st_coredat_check ck = {0, 0, 0};
    uint8_t *taken = calloc(ST_COREDAT_TRIED_MAX, 1);
    int rc;

    if (taken == NULL)
        return AM_ERR_NOMEM;
    rc = verify_tried(d, taken, &ck.tried, why, why_len);
    free(taken);
    if (rc == AM_OK)
        rc = verify_new(d, &ck, why, why_len);
    if (check != NULL)
        *check = ck;
    return rc;
}

/* ---- import ---------------------------------------------------------- */

static void entry_record(const st_coredat_entry *e, st_rec *rec)
{
    /* Core's legacy form and network id 2 call fc00::/8 IPv6. */
    rec->addr = am_addr_canon(e->addr);
    rec->has_source = e->has_source;
    rec->source = am_addr_canon(e->source);
    rec->source.port = 0;
    rec->services = e->services;
    rec->time = e->time;
    rec->last_success = e->last_success > 0 ? e->last_success : 0;
    rec->attempts = e->attempts > 0 ? (uint32_t)e->attempts : 0;
    if (e->tried) {
        rec->state = AM_STATE_TRIED;
        rec->in_tried = 1;
        rec->last_connected = rec->last_success;
    } else {
        rec->state = rec->attempts > 0 ? AM_STATE_FAILED
                                       : AM_STATE_NEVER_TRIED;
    }
}

/* One entry: a record, ignored, or an entry error. */
static int import_entry(const st_coredat_entry *e, size_t index, st_doc *doc,
                        st_merge_result *r)
{
    char host[AM_ADDR_STRLEN];
    st_ignore reason;
    st_rec *rec;

    if (st_ignore_of(e->skip, &reason)) {
        st_merge_ignore(r, reason);
        return AM_OK;
    }
    if (e->skip != AM_OK) {
        st_merge_error_add(r, index, ST_ENTRY_BAD_ADDRESS, "the address of "
                           "entry %zu is not valid", index);
        return AM_OK;
    }
    if (e->tried && e->last_success <= 0) {
        am_addr_format_endpoint(&e->addr, host, sizeof host);
        st_merge_error_add(r, index, ST_ENTRY_BAD, "tried entry %s has no "
                           "last success", host);
        return AM_OK;
    }
    if ((rec = st_doc_push(doc, index)) == NULL)
        return AM_ERR_NOMEM;
    entry_record(e, rec);
    return AM_OK;
}

int st_coredat_read(const uint8_t *buf, size_t len, const am_chain *chain,
                    st_doc *doc, st_merge_result *r)
{
    char why[ST_COREDAT_WHY_MAX];
    st_coredat d;
    size_t total;
    int rc = st_coredat_parse(buf, len, chain, 0, &d, NULL, why, sizeof why);

    if (rc != AM_OK) {
        st_merge_unreadable(r, "%s", why);
        return rc;
    }
    total = (size_t)d.n_new + d.n_tried;
    doc->entries = total;
    rc = st_doc_reserve(doc, total);
    /* In file order: Core's files never list one address twice. */
    for (size_t i = 0; rc == AM_OK && i < total; i++)
        rc = import_entry(&d.e[i], i, doc, r);
    st_coredat_free(&d);
    return rc;
}

/* ---- writing --------------------------------------------------------- */

/* Where each peer goes: a tried slot, a new slot, or nowhere. */
typedef struct plan {
    int32_t *tried;             /* slot -> peer index, -1 free */
    int32_t *fresh;             /* new slot -> peer index, -1 free */
    uint32_t *new_index;        /* new slot -> index among new entries */
    st_coredat_written w;
} plan;

/* The peer's source as Core hashes it: itself when unknown. */
static am_addr source_of(const am_peer *p)
{
    am_addr s = p->has_source ? p->source : p->addr;

    s.port = 0;
    return s;
}

static void place_tried(const uint8_t *key, const am_peer *peers, size_t n,
                        plan *pl, uint8_t *is_tried)
{
    for (size_t i = 0; i < n; i++) {
        const am_peer *p = &peers[i];
        if (!p->in_tried || !core_valid(&p->addr))
            continue;
        if (p->last_success <= 0) {
            pl->w.demoted++;
            continue;
        }
        size_t slot = tried_slot(key, &p->addr);
        if (pl->tried[slot] >= 0) {
            pl->w.demoted++;
            continue;
        }
        pl->tried[slot] = (int32_t)i;
        is_tried[i] = 1;
        pl->w.tried++;
    }
}

static void place_new(const uint8_t *key, const am_peer *peers, size_t n,
                      plan *pl, const uint8_t *is_tried)
{
    for (size_t i = 0; i < n; i++) {
        const am_peer *p = &peers[i];
        if (is_tried[i])
            continue;
        if (!core_valid(&p->addr)) {
            pl->w.invalid++;
            continue;
        }
        am_addr src = source_of(p);
        uint32_t b = new_bucket(key, &p->addr, &src);
        size_t slot = (size_t)b * ST_COREDAT_BUCKET_SIZE +
                      bucket_pos(key, 1, b, &p->addr);
        if (pl->fresh[slot] >= 0) {
            pl->w.left_out++;
            continue;
        }
        pl->fresh[slot] = (int32_t)i;
        pl->w.new_entries++;
    }
}

static void o_addr(obuf *o, const am_addr *a)
{
    size_t n = am_net_len(a->net);

    o_le(o, a->net, 1);
    o_compact(o, n);
    o_put(o, a->bytes, n);
}

/* The longest entry: version, time, services (9), address (1 + 1 + 32),
 * port, source (34), last success, attempts. */
#define ENTRY_MAX (4 + 4 + 9 + 34 + 2 + 34 + 8 + 4)

static void o_entry(obuf *o, const am_peer *p)
{
    am_addr src = source_of(p);
    int64_t t = p->time < 0 ? 0 : p->time > UINT32_MAX ? UINT32_MAX : p->time;

    o_le(o, DISK_VERSION | DISK_ADDRV2, 4);
    o_le(o, (uint64_t)t, 4);
    o_compact(o, p->services);
    o_addr(o, &p->addr);
    o_le(o, (uint64_t)(p->addr.port >> 8) | (uint64_t)(p->addr.port & 0xff) << 8,
         2);
    o_addr(o, &src);
    o_le(o, (uint64_t)(p->last_success < 0 ? 0 : p->last_success), 8);
    o_le(o, p->attempts > INT32_MAX ? INT32_MAX : p->attempts, 4);
}

static void o_table(obuf *o, const uint8_t *key, const am_peer *peers,
                    plan *pl)
{
    uint32_t n_new = 0;

    o_le(o, ST_COREDAT_FORMAT, 1);
    o_le(o, ST_COREDAT_COMPAT_BASE + ST_COREDAT_FORMAT, 1);
    o_put(o, key, ST_COREDAT_KEY_LEN);
    o_le(o, pl->w.new_entries, 4);
    o_le(o, pl->w.tried, 4);
    o_le(o, ST_COREDAT_NEW_BUCKETS ^ BUCKETS_XOR, 4);
    for (size_t s = 0; s < ST_COREDAT_NEW_MAX; s++)
        if (pl->fresh[s] >= 0) {
            pl->new_index[s] = n_new++;
            o_entry(o, &peers[pl->fresh[s]]);
        }
    for (size_t s = 0; s < ST_COREDAT_TRIED_MAX; s++)
        if (pl->tried[s] >= 0)
            o_entry(o, &peers[pl->tried[s]]);
    for (size_t b = 0; b < ST_COREDAT_NEW_BUCKETS; b++) {
        const int32_t *bucket = pl->fresh + b * ST_COREDAT_BUCKET_SIZE;
        uint32_t count = 0;
        for (int i = 0; i < ST_COREDAT_BUCKET_SIZE; i++)
            count += bucket[i] >= 0;
        o_le(o, count, 4);
        for (int i = 0; i < ST_COREDAT_BUCKET_SIZE; i++)
            if (bucket[i] >= 0)
                o_le(o, pl->new_index[b * ST_COREDAT_BUCKET_SIZE + i], 4);
    }
    /* No asmap: its checksum is zeros. */
    memset(o->b + o->n, 0, 32);
    o->n += 32;
}

static int fresh_key(uint8_t key[ST_COREDAT_KEY_LEN])
{
    static const uint8_t zero[ST_COREDAT_KEY_LEN] = {0};

    /* Core refuses a null key (CheckAddrman). */
    do {
        if (RAND_bytes(key, ST_COREDAT_KEY_LEN) != 1)
            return AM_ERR_IO;
    } while (memcmp(key, zero, ST_COREDAT_KEY_LEN) == 0);
    return AM_OK;
}

static void plan_free(plan *pl)
{
    free(pl->tried);
    free(pl->fresh);
    free(pl->new_index);
}

static int plan_make(const uint8_t *key, const am_peer *peers, size_t n,
                     plan *pl)
{
    uint8_t *is_tried = calloc(n ? n : 1, 1);

    memset(pl, 0, sizeof *pl);
    pl->tried = malloc(ST_COREDAT_TRIED_MAX * sizeof *pl->tried);
    pl->fresh = malloc(ST_COREDAT_NEW_MAX * sizeof *pl->fresh);
    pl->new_index = malloc(ST_COREDAT_NEW_MAX * sizeof *pl->new_index);
    if (is_tried == NULL || pl->tried == NULL || pl->fresh == NULL ||
        pl->new_index == NULL || n > INT32_MAX) {
        free(is_tried);
        plan_free(pl);
        return AM_ERR_NOMEM;
    }
    memset(pl->tried, 0xff, ST_COREDAT_TRIED_MAX * sizeof *pl->tried);
    memset(pl->fresh, 0xff, ST_COREDAT_NEW_MAX * sizeof *pl->fresh);
    place_tried(key, peers, n, pl, is_tried);
    place_new(key, peers, n, pl, is_tried);
    free(is_tried);
    return AM_OK;
}

/* The plan of the fresh key, of up to ST_COREDAT_KEY_TRIES, that leaves
 * the fewest peers out.  Which peers share a slot depends on the key
 * alone, so a small pool that collided under one key is written whole
 * under another.  A pool of more than a quarter of Core's new table loses
 * about as many under any key (100k peers: 0.35 s a plan, 0.4% fewer
 * left out after 4), so it takes the first. */
static int plan_best(uint8_t key[ST_COREDAT_KEY_LEN], const am_peer *peers,
                     size_t n, plan *best)
{
    uint8_t k[ST_COREDAT_KEY_LEN];
    plan pl;
    int rc, i;

    if ((rc = fresh_key(key)) != AM_OK ||
        (rc = plan_make(key, peers, n, best)) != AM_OK)
        return rc;
    for (i = 1; i < ST_COREDAT_KEY_TRIES && best->w.left_out > 0 &&
                n <= ST_COREDAT_NEW_MAX / 4; i++) {
        if ((rc = fresh_key(k)) != AM_OK ||
            (rc = plan_make(k, peers, n, &pl)) != AM_OK) {
            plan_free(best);
            return rc;
        }
        if (pl.w.left_out < best->w.left_out) {
            plan_free(best);
            *best = pl;
            memcpy(key, k, sizeof k);
        } else {
            plan_free(&pl);
        }
    }
    return AM_OK;
}

int st_coredat_write(const am_chain *chain, const uint8_t *key,
                     const am_peer *peers, size_t n, uint8_t **out,
                     size_t *len, st_coredat_written *w)
{
    uint8_t k[ST_COREDAT_KEY_LEN];
    obuf o = {NULL, 0};
    plan pl;
    int rc;

    *out = NULL;
    *len = 0;
    if (chain == NULL)
        return AM_ERR_INVAL;
    if (key != NULL) {
        memcpy(k, key, sizeof k);
        if ((rc = plan_make(k, peers, n, &pl)) != AM_OK)
            return rc;
    } else if ((rc = plan_best(k, peers, n, &pl)) != AM_OK) {
        return rc;
    }
    size_t entries = pl.w.tried + pl.w.new_entries;
    o.b = malloc(4 + 2 + 32 + 12 + entries * ENTRY_MAX +
                 4 * (ST_COREDAT_NEW_BUCKETS + pl.w.new_entries) + 32 + 32);
    if (o.b == NULL) {
        plan_free(&pl);
        return AM_ERR_NOMEM;
    }
    o_put(&o, chain->magic, 4);
    o_table(&o, k, peers, &pl);
    sha256d(o.b, o.n, o.b + o.n);
    o.n += 32;
    if (w != NULL)
        *w = pl.w;
    plan_free(&pl);
    *out = o.b;
    *len = o.n;
    return AM_OK;
}
