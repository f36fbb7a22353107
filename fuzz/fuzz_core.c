/*
 * fuzz_core.c - the address manager and the shared pool, driven by a byte
 * stream read as a sequence of operations.
 *
 * Input: one config byte (table sizes, retry time), one byte for the group
 * cap, then operations, each an opcode byte and its arguments (see the
 * op_* functions; a missing byte reads as 0).  The core has small tables
 * (16 new x 4 tried buckets by default, down to 1 x 1) so that slots are
 * shared, new entries evicted and tried collisions made; a fake clock moves
 * forward with the input so that bans expire, retry waits end, leases
 * lapse and nodes time out.  Addresses come from a few groups of every
 * network plus some unroutable ones.
 *
 * After every operation: am_check and am_pool_check, and each operation
 * checks what its header promises (return codes, filters of select, sample
 * and list, bans, pool leases and diversity).  Any failure aborts with the
 * reason and the operation that broke it.  FUZZ_VERBOSE=1 in the
 * environment prints the operations as they run.
 */
#include "fuzz_common.h"

#include "addrman_persist.h"
#include "pool.h"

#define RING 64
#define SAVED 8
#define MAX_OPS 2000

typedef struct fz {
    fz_in in;
    am_man *m;
    am_pool *p;
    am_config cfg;
    uint64_t ids[RING];         /* ids seen (may be gone since) */
    size_t n_ids, ring_pos;
    am_peer saved[SAVED];       /* copies of peers, for am_restore */
    am_place saved_place[SAVED];
    size_t n_saved;
    uint64_t max_id_seen;
    const char *op;
    size_t op_index;
    int verbose;
} fz;

#define VLOG(f, ...) \
    do { if ((f)->verbose) fprintf(stderr, "    " __VA_ARGS__); } while (0)

static am_peer g_out[AM_POOL_MAX_COUNT];
static am_peer g_list[256];

/* ---- inputs ------------------------------------------------------------ */

static void remember_id(fz *f, uint64_t id)
{
    if (id == 0)
        return;
    for (size_t i = 0; i < f->n_ids; i++)
        if (f->ids[i] == id)
            return;
    if (f->n_ids < RING) {
        f->ids[f->n_ids++] = id;
    } else {
        f->ids[f->ring_pos] = id;
        f->ring_pos = (f->ring_pos + 1) % RING;
    }
    if (id > f->max_id_seen)
        f->max_id_seen = id;
}

static uint64_t pick_id(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    if (v < 220 && f->n_ids > 0)
        return f->ids[v % f->n_ids];
    if (v < 250)
        return (uint64_t)(v % 16);
    return fz_u64(&f->in);
}

static uint64_t pick_services(fz *f)
{
    static const uint64_t bits[8] = {
        0, 1, 8, 1024, 1 | 8 | 1024, 4, UINT64_C(1) << 63, 1 | 4,
    };
    uint8_t v = fz_u8(&f->in);
    if (v == 0xff)
        return fz_u64(&f->in);
    return bits[v & 7] | (v & 0x80 ? 64 : 0);
}

static uint32_t pick_networks(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    if (v < 128)
        return 0;
    if (v < 250)
        return (uint32_t)(v & 0x7f);      /* may hold unknown network bits */
    return fz_u32(&f->in);
}

/* An announced time: now, recent, old, bogus, future or anything. */
static int64_t pick_time(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    switch (v & 7) {
    case 0: return 0;
    case 1: return fz_now - (int64_t)(fz_u8(&f->in)) * 60;
    case 2: return fz_now - (int64_t)fz_u16(&f->in) * 60;
    case 3: return fz_now + (int64_t)(fz_u8(&f->in)) * 10;
    case 4: return (int64_t)fz_u32(&f->in);
    case 5: return fz_now - 40 * INT64_C(86400);
    case 6: return fz_now;
    default: {
        /* Anything, or an edge of the ranges involved. */
        static const int64_t edges[8] = {
            INT64_MAX, INT64_MIN, INT64_MAX - 600, -1,
            (int64_t)UINT32_MAX, (int64_t)UINT32_MAX + 1, 100000000, 1,
        };
        uint8_t e = fz_u8(&f->in);
        return e < 0xf0 ? (int64_t)fz_u64(&f->in) : edges[e & 7];
    }
    }
}

static int64_t pick_penalty(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    switch (v & 3) {
    case 0: return 0;
    case 1: return 2 * 3600;
    case 2: return (int64_t)fz_u16(&f->in);
    default: return (int64_t)fz_u64(&f->in);
    }
}

static void clear_tail(am_addr *a)
{
    size_t len = am_net_len(a->net);
    if (len > 0)
        memset(a->bytes + len, 0, AM_ADDR_MAXLEN - len);
}

/* An address from a few groups of each network, so that buckets, slots and
 * groups are shared; some unroutable ones too. */
static void pick_host(fz *f, am_addr *a)
{
    static const uint8_t v4[8][2] = {
        {1, 2}, {5, 9}, {80, 80}, {200, 100}, {44, 4}, {10, 0},  /* 10/8 */
        {127, 0}, {192, 168},
    };
    static const uint8_t v6[8][4] = {
        {0x2a, 0x01, 0x04, 0xf8}, {0x20, 0x01, 0x04, 0x70},    /* he.net */
        {0x20, 0x02, 0x01, 0x02}, {0x20, 0x01, 0x00, 0x00},    /* 6to4, Teredo */
        {0x00, 0x64, 0xff, 0x9b}, {0x26, 0x00, 0x1f, 0x00},
        {0xfe, 0x80, 0x00, 0x00}, {0x20, 0x01, 0x0d, 0xb8},    /* unroutable */
    };
    uint8_t sel = fz_u8(&f->in);

    memset(a, 0, sizeof *a);
    switch (sel % 8) {
    case 0: case 1: case 2: case 3:
        a->net = AM_NET_IPV4;
        memcpy(a->bytes, v4[(sel >> 3) & 7], 2);
        a->bytes[2] = fz_u8(&f->in) & 7;
        a->bytes[3] = fz_u8(&f->in);
        break;
    case 4:
        a->net = AM_NET_IPV6;
        memcpy(a->bytes, v6[(sel >> 3) & 7], 4);
        a->bytes[4] = fz_u8(&f->in) & 0x1f;
        a->bytes[12] = fz_u8(&f->in);
        a->bytes[15] = fz_u8(&f->in);
        if (sel & 0x80)
            fz_bytes(&f->in, a->bytes + 4, 12);
        break;
    case 5:
        a->net = AM_NET_TORV3;
        a->bytes[0] = fz_u8(&f->in);
        a->bytes[31] = fz_u8(&f->in);
        break;
    case 6:
        a->net = AM_NET_I2P;
        a->bytes[0] = fz_u8(&f->in);
        a->bytes[17] = fz_u8(&f->in);
        break;
    default:
        a->net = AM_NET_CJDNS;
        a->bytes[0] = 0xfc;
        a->bytes[1] = fz_u8(&f->in);
        a->bytes[15] = fz_u8(&f->in);
        break;
    }
    if (sel >= 0xf0) {
        /* Anything at all of a known network (the type's rule: zero past
         * the length), or a network nobody knows. */
        static const uint8_t nets[8] = {1, 2, 4, 5, 6, 0, 3, 7};
        a->net = nets[sel & 7];
        fz_bytes(&f->in, a->bytes, AM_ADDR_MAXLEN);
        clear_tail(a);
    }
}

static void pick_addr(fz *f, am_addr *a)
{
    uint8_t v;
    pick_host(f, a);
    v = fz_u8(&f->in);
    a->port = v < 160 ? 8333 : v < 200 ? 18333 : v < 230 ? 8334 : fz_u16(&f->in);
}

static void pick_node(fz *f, char *name, size_t cap)
{
    uint8_t v = fz_u8(&f->in);
    if (v < 248) {
        snprintf(name, cap, "n%u", (unsigned)(v % 5));
        return;
    }
    /* Raw bytes: too long, empty, or characters nodes may not use. */
    size_t len = fz_u8(&f->in) % 80;
    if (len >= cap)
        len = cap - 1;
    fz_bytes(&f->in, (uint8_t *)name, len);
    name[len] = '\0';
}

/* A ban target around an address: a prefix of its bits, host bits clear. */
static void pick_target(fz *f, am_subnet *t)
{
    pick_host(f, &t->base);
    size_t len = am_net_len(t->base.net);
    uint8_t v = fz_u8(&f->in);
    if (len == 0 || v < 128 || t->base.net == AM_NET_TORV3 ||
        t->base.net == AM_NET_I2P)
        t->prefix = (uint16_t)(8 * len);
    else
        t->prefix = (uint16_t)(v % (8 * len + 1));
    for (size_t bit = t->prefix; bit < 8 * len; bit++)
        t->base.bytes[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
    t->base.port = 0;
}

/* ---- checks ------------------------------------------------------------ */

#define CK(f, cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            FZ_FAIL("op #%zu %s: %s: %s", (f)->op_index, (f)->op, #cond,       \
                    fz_msg(__VA_ARGS__));                                      \
    } while (0)

static void check_all(fz *f)
{
    char why[512];
    int rc;

    why[0] = '\0';
    rc = am_check(f->m, why, sizeof why);
    if (rc != AM_OK)
        FZ_FAIL("am_check after op #%zu %s: %s", f->op_index, f->op, why);
    rc = am_pool_check(f->p, why, sizeof why);
    if (rc != AM_OK)
        FZ_FAIL("am_pool_check after op #%zu %s: %s", f->op_index, f->op, why);
}

static int peer_banned_by_list(fz *f, const am_addr *a)
{
    am_ban bans[64];
    size_t n = 0;
    am_ban_list(f->m, bans, 64, &n);
    for (size_t i = 0; i < n; i++)
        if (fz_now < bans[i].until && am_subnet_contains(&bans[i].target, a))
            return 1;
    return 0;
}

/* A peer copy is consistent with the core's view of it. */
static void check_peer(fz *f, const am_peer *p)
{
    am_peer q;
    CK(f, p->id >= 1 && p->id <= AM_ID_MAX, "id %llu", (unsigned long long)p->id);
    CK(f, am_net_len(p->addr.net) > 0, "network %u", (unsigned)p->addr.net);
    CK(f, am_addr_is_routable(&p->addr), "unroutable peer %llu",
       (unsigned long long)p->id);
    CK(f, (unsigned)p->state < AM_STATE_COUNT, "state %d", (int)p->state);
    CK(f, (p->state == AM_STATE_BANNED) == am_is_banned(f->m, &p->addr),
       "peer %llu: state %d, banned %d", (unsigned long long)p->id,
       (int)p->state, am_is_banned(f->m, &p->addr));
    CK(f, p->in_tried ? p->ref_count == 0 :
                        p->ref_count >= 1 && p->ref_count <= AM_MAX_NEW_REFS,
       "peer %llu: in_tried %d ref_count %u", (unsigned long long)p->id,
       p->in_tried, p->ref_count);
    CK(f, am_find(f->m, &p->addr, &q) == AM_OK && q.id == p->id,
       "peer %llu not found by its endpoint", (unsigned long long)p->id);
}

/* Passed as am_select's skip callback: leaves out ids with a given hash. */
typedef struct skipper {
    uint8_t salt;
    uint8_t mask;
    unsigned calls;
} skipper;

static int skip_hash(const skipper *s, uint64_t id)
{
    uint64_t z = (id + s->salt) * UINT64_C(0x9e3779b97f4a7c15);
    return ((z >> 56) & s->mask) == 0;
}

static int skip_fn(void *ctx, const am_peer *cand)
{
    skipper *s = ctx;
    s->calls++;
    return skip_hash(s, cand->id);
}

/* Selected (select) or relayed (sample): not banned, filters kept; a
 * selected peer is not resting after a failure (relay does not care). */
static void check_pick(fz *f, const am_peer *p, uint64_t services,
                       uint32_t networks, int feeler, int selected)
{
    uint32_t nets = networks ? (networks & AM_NET_ALL) : AM_NET_ALL;
    check_peer(f, p);
    CK(f, nets & (1u << p->addr.net), "network %u outside %#x",
       (unsigned)p->addr.net, networks);
    if (!feeler)
        CK(f, (p->services & services) == services,
           "services %#llx lack %#llx", (unsigned long long)p->services,
           (unsigned long long)services);
    CK(f, p->state != AM_STATE_BANNED && !peer_banned_by_list(f, &p->addr),
       "banned peer %llu handed out", (unsigned long long)p->id);
    if (selected && p->state == AM_STATE_FAILED && f->cfg.retry_time > 0)
        CK(f, p->last_try + f->cfg.retry_time <= fz_now,
           "peer %llu failed at %lld, resting until %lld, now %lld",
           (unsigned long long)p->id, (long long)p->last_try,
           (long long)(p->last_try + f->cfg.retry_time), (long long)fz_now);
}

/* ---- operations -------------------------------------------------------- */

static void op_add(fz *f)
{
    am_addr a, s;
    int with_src = fz_u8(&f->in) & 3;
    pick_addr(f, &a);
    if (with_src == 1) {
        s = a;
        s.port = 0;
    } else if (with_src >= 2) {
        pick_host(f, &s);
    }
    uint64_t services = pick_services(f);
    int64_t time = pick_time(f);
    int64_t penalty = pick_penalty(f);
    int banned = am_net_len(a.net) ? am_is_banned(f->m, &a) : 0;
    am_addr canon = am_addr_canon(a);   /* what the core holds */
    uint64_t next_before;
    am_stats st;
    am_stats_get(f->m, &st);
    next_before = st.next_id;

    int is_new = -1;
    uint64_t id = 0;
    int rc = am_add(f->m, &a, with_src ? &s : NULL, services, time, penalty,
                    &is_new, &id);
    switch (rc) {
    case AM_OK: {
        am_peer p;
        CK(f, is_new == 0 || is_new == 1, "is_new %d", is_new);
        CK(f, am_get(f->m, id, &p) == AM_OK, "added id %llu not there",
           (unsigned long long)id);
        CK(f, am_addr_eq(&p.addr, &canon), "id %llu has another address",
           (unsigned long long)id);
        CK(f, (p.services & services) == services, "services not OR-ed in");
        if (is_new)
            CK(f, id == next_before, "new id %llu, counter was %llu",
               (unsigned long long)id, (unsigned long long)next_before);
        CK(f, !banned, "banned address added");
        check_peer(f, &p);
        remember_id(f, id);
        break;
    }
    case AM_ERR_ADDR:
        CK(f, am_net_len(a.net) == 0 || (with_src >= 2 && am_net_len(s.net) == 0),
           "AM_ERR_ADDR for a known network");
        break;
    case AM_ERR_UNROUTABLE:
        CK(f, !am_addr_is_routable(&canon),
           "routable address refused as unroutable");
        break;
    case AM_ERR_BANNED:
        CK(f, banned, "AM_ERR_BANNED for an address no ban covers");
        break;
    case AM_ERR_REJECTED:
        break;
    case AM_ERR_GROUP_CAP:
        CK(f, f->cfg.new_group_cap > 0, "AM_ERR_GROUP_CAP without a cap");
        break;
    case AM_ERR_FULL:
        CK(f, next_before > AM_ID_MAX, "AM_ERR_FULL with ids left");
        break;
    default:
        CK(f, 0, "am_add returned %d (%s)", rc, am_strerror(rc));
    }
}

static void op_select(fz *f)
{
    am_select_opts o;
    skipper sk;
    am_peer p;
    memset(&o, 0, sizeof o);
    o.services = pick_services(f);
    o.networks = pick_networks(f);
    uint8_t v = fz_u8(&f->in);
    o.feeler = v & 1;
    sk.salt = fz_u8(&f->in);
    sk.mask = (uint8_t)((v >> 1) & 7);
    sk.calls = 0;
    if (v & 0x10) {
        o.skip = skip_fn;
        o.skip_ctx = &sk;
    }
    /* The salt's top bits (no new input byte: seeds keep their meaning). */
    o.any_services = sk.salt & 0x80 ? 1 | 1024 : 0;
    o.fast_only = (sk.salt & 0x40) != 0;
    int rc = am_select(f->m, (v & 0xe0) == 0xe0 ? NULL : &o, &p);
    VLOG(f, "select feeler %d -> %d id %llu\n", o.feeler, rc,
         rc == AM_OK ? (unsigned long long)p.id : 0ULL);
    if ((v & 0xe0) == 0xe0) {
        memset(&o, 0, sizeof o);
        o.skip = NULL;
    }
    if (rc == AM_OK) {
        check_pick(f, &p, o.services, o.networks, o.feeler, 1);
        if (!o.feeler && o.any_services)
            CK(f, (p.services & o.any_services) != 0,
               "services %#llx have none of %#llx",
               (unsigned long long)p.services,
               (unsigned long long)o.any_services);
        if (o.skip)
            CK(f, !skip_hash(&sk, p.id), "skipped peer %llu selected",
               (unsigned long long)p.id);
        remember_id(f, p.id);
    } else {
        CK(f, rc == AM_ERR_NOTFOUND, "am_select returned %d", rc);
    }
}

static void op_set_state(fz *f)
{
    uint64_t id = pick_id(f);
    uint8_t v = fz_u8(&f->in);
    am_state_op op = (am_state_op)(v % 6);    /* 5: not an operation */
    am_peer p;
    int rc = am_set_state(f->m, id, op, (v & 0x40) ? NULL : &p);
    VLOG(f, "set_state id %llu op %d -> %d\n", (unsigned long long)id, (int)op, rc);
    if ((unsigned)op > AM_OP_DISCONNECTED) {
        CK(f, rc == AM_ERR_INVAL, "invalid op %d gave %d", (int)op, rc);
        return;
    }
    if (rc == AM_ERR_NOTFOUND)
        return;
    CK(f, rc == AM_OK, "am_set_state returned %d", rc);
    if (!(v & 0x40) && am_get(f->m, id, &p) == AM_OK) {
        static const am_state want[5] = {
            AM_STATE_CONNECTED, AM_STATE_TRIED, AM_STATE_FAILED,
            AM_STATE_NEVER_TRIED, AM_STATE_TRIED,
        };
        am_state st;
        CK(f, am_stored_state(f->m, id, &st) == AM_OK, "stored state");
        CK(f, st == want[op], "op %d left stored state %d", (int)op, (int)st);
        if (op == AM_OP_CONNECTED || op == AM_OP_TRIED)
            CK(f, p.last_success == fz_now && p.attempts == 0,
               "good peer: last_success %lld attempts %u",
               (long long)p.last_success, p.attempts);
        if (op == AM_OP_FAILED)
            CK(f, p.last_try == fz_now, "failed peer: last_try %lld",
               (long long)p.last_try);
        check_peer(f, &p);
    }
    /* The pool hears about it from a node (pool.h: after set_state). */
    if (v & 0x80) {
        char node[80];
        am_peer q;
        pick_node(f, node, sizeof node);
        if (am_get(f->m, id, &q) == AM_OK) {
            rc = am_pool_report(f->p, node, &q, op);
            CK(f, rc == AM_OK || (rc == AM_ERR_INVAL && !am_node_name_valid(node)),
               "am_pool_report returned %d", rc);
        }
    }
}

static void op_set_services(fz *f)
{
    uint64_t id = pick_id(f);
    uint64_t services = pick_services(f);
    am_peer p;
    int rc = am_set_services(f->m, id, services, &p);
    if (rc == AM_ERR_NOTFOUND)
        return;
    CK(f, rc == AM_OK, "am_set_services returned %d", rc);
    CK(f, p.services == services, "services %#llx, set %#llx",
       (unsigned long long)p.services, (unsigned long long)services);
}

static void save_peer(fz *f, uint64_t id)
{
    am_peer p;
    am_place pl;
    if (am_get(f->m, id, &p) != AM_OK || am_place_of(f->m, id, &pl) != AM_OK)
        return;
    size_t k = f->n_saved < SAVED ? f->n_saved++ : (size_t)(id % SAVED);
    f->saved[k] = p;
    f->saved_place[k] = pl;
}

static void op_remove(fz *f)
{
    uint64_t id = pick_id(f);
    save_peer(f, id);
    int rc = am_remove(f->m, id);
    if (rc == AM_ERR_NOTFOUND)
        return;
    CK(f, rc == AM_OK, "am_remove returned %d", rc);
    am_peer p;
    CK(f, am_get(f->m, id, &p) == AM_ERR_NOTFOUND, "removed peer still there");
    am_pool_forget_peer(f->p, id);
}

static void op_ban_add(fz *f)
{
    am_subnet t;
    char reason[300];
    am_ban b;
    pick_target(f, &t);
    uint8_t v = fz_u8(&f->in);
    int64_t until;
    switch (v & 3) {
    case 0: until = fz_now + 1 + fz_u8(&f->in); break;
    case 1: until = fz_now + (int64_t)fz_u16(&f->in) * 60; break;
    case 2: until = fz_now - fz_u8(&f->in); break;
    default: until = (int64_t)fz_u64(&f->in); break;
    }
    size_t rlen = (v >> 2) & 1 ? fz_u16(&f->in) % sizeof reason : 0;
    memset(reason, 'r', rlen);
    reason[rlen < sizeof reason ? rlen : sizeof reason - 1] = '\0';
    size_t len = am_net_len(t.base.net);

    int rc = am_ban_add(f->m, &t, until, (v & 0x10) ? NULL : reason, &b);
    if (len == 0) {
        CK(f, rc == AM_ERR_INVAL, "ban of network %u gave %d",
           (unsigned)t.base.net, rc);
        return;
    }
    if (until <= fz_now || ((v & 0x10) == 0 && rlen >= AM_BAN_REASON_MAX)) {
        CK(f, rc == AM_ERR_RANGE, "ban until %lld reason %zu gave %d",
           (long long)until, rlen, rc);
        return;
    }
    CK(f, rc == AM_OK, "am_ban_add returned %d", rc);
    CK(f, b.until == until, "ban until %lld, asked %lld", (long long)b.until,
       (long long)until);
    /* Every peer it covers reports banned now. */
    uint64_t after = 0, next;
    size_t n;
    do {
        if (am_list(f->m, NULL, after, g_list, 256, &n, &next) != AM_OK)
            break;
        for (size_t i = 0; i < n; i++)
            if (am_subnet_contains(&t, &g_list[i].addr))
                CK(f, g_list[i].state == AM_STATE_BANNED,
                   "peer %llu inside a new ban is %d",
                   (unsigned long long)g_list[i].id, (int)g_list[i].state);
        after = next;
    } while (next != 0);
}

static void op_ban_remove(fz *f)
{
    am_ban bans[64];
    size_t n = 0;
    am_subnet t;
    am_ban_list(f->m, bans, 64, &n);
    uint8_t v = fz_u8(&f->in);
    if (n > 0 && v < 200)
        t = bans[v % n].target;
    else
        pick_target(f, &t);
    int rc = am_ban_remove(f->m, &t);
    CK(f, rc == AM_OK || rc == AM_ERR_NOTFOUND, "am_ban_remove returned %d", rc);
    if (rc == AM_OK) {
        size_t k;
        am_ban_list(f->m, bans, 64, &n);
        for (k = 0; k < n; k++)
            CK(f, !(bans[k].target.prefix == t.prefix &&
                    am_addr_host_eq(&bans[k].target.base, &t.base)),
               "removed ban still listed");
    }
}

static void op_ban_clear(fz *f)
{
    am_ban_clear(f->m);
    CK(f, am_ban_count(f->m) == 0, "bans left after clear");
}

static void op_sample(fz *f)
{
    size_t max_count = fz_u8(&f->in) % 48;
    unsigned pct = fz_u8(&f->in) % 104;
    uint32_t nets = pick_networks(f);
    uint64_t services = pick_services(f);
    size_t n = 0, total = am_size(f->m);
    int rc = am_sample(f->m, max_count, pct, nets, services, g_list, &n);
    if (pct > 100) {
        CK(f, rc == AM_ERR_INVAL, "pct %u gave %d", pct, rc);
        return;
    }
    CK(f, rc == AM_OK, "am_sample returned %d", rc);
    CK(f, n <= max_count, "%zu relayed, max %zu", n, max_count);
    if (pct > 0)
        CK(f, n <= total * pct / 100, "%zu relayed, %u%% of %zu", n, pct, total);
    for (size_t i = 0; i < n; i++) {
        check_pick(f, &g_list[i], services, nets, 0, 0);
        CK(f, !am_peer_is_terrible(&g_list[i], fz_now), "terrible peer relayed");
        for (size_t j = 0; j < i; j++)
            CK(f, g_list[j].id != g_list[i].id, "peer relayed twice");
    }
}

static void op_advance(fz *f)
{
    static const int64_t steps[16] = {
        1, 59, 61, 600, 601, 1200, 2400, 3600, 4 * 3600, 4 * 3600 + 1,
        86400, 7 * 86400, 8 * 86400, 30 * 86400, 31 * 86400, 0,
    };
    uint8_t v = fz_u8(&f->in);
    fz_advance(steps[v & 15] ? steps[v & 15] : (int64_t)fz_u16(&f->in));
}

static void op_list(fz *f)
{
    am_filter flt;
    uint8_t v = fz_u8(&f->in);
    memset(&flt, 0, sizeof flt);
    flt.states = v & 0x80 ? 0 : fz_u8(&f->in) & 0x3f;
    flt.networks = pick_networks(f);
    flt.table = (int)(v % 3) - 1;
    flt.services = (v & 0x40) ? pick_services(f) : 0;
    /* Verified within the last 0..255 minutes (0: no such filter). */
    flt.verified_since = (v & 0x10) ? fz_now - (int64_t)fz_u8(&f->in) * 60 : 0;
    size_t cap = 1 + fz_u8(&f->in) % 17;
    uint64_t after = (v & 0x20) ? pick_id(f) : 0, next, last = after;
    size_t n, seen = 0, pages = 0;
    am_stats st;

    do {
        int rc = am_list(f->m, &flt, after, g_list, cap, &n, &next);
        CK(f, rc == AM_OK, "am_list returned %d", rc);
        CK(f, n <= cap, "page of %zu, cap %zu", n, cap);
        for (size_t i = 0; i < n; i++) {
            const am_peer *p = &g_list[i];
            CK(f, p->id > last, "id %llu after %llu", (unsigned long long)p->id,
               (unsigned long long)last);
            last = p->id;
            if (flt.states)
                CK(f, flt.states & (1u << p->state), "state filter");
            if (flt.networks)
                CK(f, flt.networks & (1u << p->addr.net), "network filter");
            if (flt.table >= 0)
                CK(f, p->in_tried == flt.table, "table filter");
            CK(f, (p->services & flt.services) == flt.services, "services filter");
            CK(f, p->last_success >= flt.verified_since, "verified_since filter");
            check_peer(f, p);
            remember_id(f, p->id);
        }
        seen += n;
        if (next != 0)
            CK(f, n == cap && next == g_list[n - 1].id,
               "next %llu after a page of %zu/%zu", (unsigned long long)next, n, cap);
        after = next;
    } while (next != 0 && ++pages < 100000);
    if (after == 0 && flt.states == 0 && flt.networks == 0 && flt.table < 0 &&
        flt.services == 0 && flt.verified_since == 0 && !(v & 0x20)) {
        am_stats_get(f->m, &st);
        CK(f, seen == st.total, "listed %zu of %zu", seen, st.total);
    }
}

static void op_lookup(fz *f)
{
    uint64_t id = pick_id(f);
    am_peer p;
    am_place pl;
    am_state st;
    int rc = am_get(f->m, id, &p);
    int rc2 = am_place_of(f->m, id, &pl);
    int rc3 = am_stored_state(f->m, id, &st);
    CK(f, rc == rc2 && rc == rc3, "get %d, place_of %d, stored_state %d", rc, rc2,
       rc3);
    if (rc != AM_OK) {
        CK(f, rc == AM_ERR_NOTFOUND, "am_get returned %d", rc);
        return;
    }
    check_peer(f, &p);
    CK(f, pl.in_tried == p.in_tried, "place table");
    CK(f, pl.n == (p.in_tried ? 1u : p.ref_count), "place has %u slots", pl.n);
    CK(f, st != AM_STATE_BANNED, "stored state banned");
    if (p.state != AM_STATE_BANNED)
        CK(f, st == p.state, "stored %d, reported %d", (int)st, (int)p.state);
    for (uint32_t k = 0; k < pl.n; k++) {
        uint64_t owner = 0;
        rc = am_slot_owner(f->m, pl.in_tried, pl.bucket[k], pl.slot[k], &owner);
        CK(f, rc == AM_OK && owner == id, "slot %u/%u owned by %llu, not %llu",
           pl.bucket[k], pl.slot[k], (unsigned long long)owner,
           (unsigned long long)id);
    }
    if (!p.in_tried && p.has_source) {
        uint32_t b, s;
        CK(f, am_home_slot(f->m, &p.addr, &p.source, &b, &s) == AM_OK,
           "am_home_slot");
        CK(f, b < f->cfg.new_buckets && s < AM_BUCKET_SIZE, "home slot %u/%u", b, s);
    }
    save_peer(f, id);
}

static void op_collision(fz *f)
{
    am_peer p;
    uint64_t ids[AM_MAX_COLLISIONS];
    size_t n = am_collision_ids(f->m, ids);
    CK(f, n <= AM_MAX_COLLISIONS, "%zu collisions", n);
    int rc = am_collision_peer(f->m, &p);
    if (rc == AM_OK) {
        CK(f, p.in_tried, "collision occupant %llu not in tried",
           (unsigned long long)p.id);
        check_peer(f, &p);
        remember_id(f, p.id);
    } else {
        CK(f, rc == AM_ERR_NOTFOUND, "am_collision_peer returned %d", rc);
    }
    if (fz_u8(&f->in) & 1)
        am_resolve_collisions(f->m);
}

static void op_restore(fz *f)
{
    am_peer p;
    am_place pl, *plp = NULL;
    uint8_t v = fz_u8(&f->in);

    if (f->n_saved > 0 && (v & 3) != 3) {
        size_t k = fz_u8(&f->in) % f->n_saved;
        p = f->saved[k];
        pl = f->saved_place[k];
        plp = (v & 4) ? NULL : &pl;
    } else {
        memset(&p, 0, sizeof p);
        memset(&pl, 0, sizeof pl);
        pick_addr(f, &p.addr);
        p.has_source = fz_u8(&f->in) & 1;
        if (p.has_source)
            pick_host(f, &p.source);
        p.id = pick_id(f);
        if (p.id == 0 || (v & 8))
            p.id = f->max_id_seen + 1 + fz_u8(&f->in);
        p.services = pick_services(f);
        p.state = (am_state)(fz_u8(&f->in) % 6);
        p.in_tried = fz_u8(&f->in) & 1;
        p.time = pick_time(f);
        p.last_try = pick_time(f);
        p.last_success = pick_time(f);
        p.last_connected = pick_time(f);
        p.attempts = fz_u8(&f->in) & 0x80 ? fz_u32(&f->in) : fz_u8(&f->in) % 12;
        if (v & 4) {
            pl.in_tried = p.in_tried;
            pl.n = fz_u8(&f->in) % (AM_MAX_NEW_REFS + 2);
            for (unsigned k = 0; k < AM_MAX_NEW_REFS; k++) {
                pl.bucket[k] = fz_u8(&f->in) % (f->cfg.new_buckets + 2);
                pl.slot[k] = fz_u8(&f->in) % (AM_BUCKET_SIZE + 2);
            }
            plp = &pl;
        }
    }
    if (v & 0x10) {
        /* Times a damaged file might hold. */
        p.last_try = pick_time(f);
        p.time = pick_time(f);
    }
    int exists = am_find(f->m, &p.addr, &(am_peer){0}) == AM_OK ||
                 (p.id >= 1 && p.id <= AM_ID_MAX &&
                  am_get(f->m, p.id, &(am_peer){0}) == AM_OK);
    int rc = am_restore(f->m, &p, plp);
    switch (rc) {
    case AM_OK: {
        am_peer q;
        CK(f, !exists, "restored over a known id or endpoint");
        CK(f, am_get(f->m, p.id, &q) == AM_OK, "restored peer missing");
        am_addr canon = am_addr_canon(p.addr);
        CK(f, am_addr_eq(&q.addr, &canon), "restored with another address");
        check_peer(f, &q);
        remember_id(f, p.id);
        break;
    }
    case AM_ERR_INVAL:
        CK(f, p.id == 0 || p.id > AM_ID_MAX || (unsigned)p.state >= AM_STATE_COUNT,
           "AM_ERR_INVAL for a valid peer");
        break;
    case AM_ERR_ADDR:
    case AM_ERR_UNROUTABLE:
    case AM_ERR_REJECTED:
    case AM_ERR_GROUP_CAP:
        break;
    case AM_ERR_EXISTS:
        CK(f, exists, "AM_ERR_EXISTS for an unknown id and endpoint");
        break;
    default:
        CK(f, 0, "am_restore returned %d", rc);
    }
}

static void op_pool_select(fz *f)
{
    char node[80];
    am_pool_select_opts o;
    static const int64_t leases[8] = {0, 1, 60, 120, 3600, 86400, 0, 7};
    memset(&o, 0, sizeof o);
    pick_node(f, node, sizeof node);
    uint8_t v = fz_u8(&f->in);
    o.node = (v & 0x80) ? NULL : node;
    o.count = (v & 0x40) ? fz_u16(&f->in) % (AM_POOL_MAX_COUNT + 2)
                         : 1u + fz_u8(&f->in) % 8;
    o.lease_seconds = (v & 7) == 6 ? (int64_t)fz_u32(&f->in) - 100 : leases[v & 7];
    o.exclusive = (v >> 3) & 1;
    o.diverse = (v >> 4) & 1;
    o.base.services = pick_services(f);
    o.base.networks = pick_networks(f);
    o.base.feeler = (v >> 5) & 1;
    const char *name = o.node ? o.node : "default";

    /* Who held the known peers before. */
    const char *lease_before[RING];
    size_t conn_before[RING];
    char lease_name[RING][AM_NODE_NAME_MAX + 1];
    for (size_t i = 0; i < f->n_ids; i++) {
        const char *ln = NULL;
        am_pool_peer_holders(f->p, f->ids[i], &ln, &conn_before[i]);
        lease_before[i] = ln ? lease_name[i] : NULL;
        if (ln)
            snprintf(lease_name[i], sizeof lease_name[i], "%s", ln);
    }
    uint64_t mine[256];
    size_t n_mine = 0;
    if (am_node_name_valid(name))
        am_pool_node_peers(f->p, name, 0, mine, 256, &n_mine);

    size_t n = 0;
    int rc = am_pool_select(f->p, f->m, &o, g_out, &n);
    VLOG(f, "pool_select node %s count %u lease %lld excl %d diverse %d feeler %d "
         "services %#llx networks %#x -> %d, %zu peers\n", name, o.count,
         (long long)o.lease_seconds, o.exclusive, o.diverse, o.base.feeler,
         (unsigned long long)o.base.services, o.base.networks, rc, n);
    for (size_t i = 0; i < n; i++)
        VLOG(f, "  peer %llu state %d last_try %lld\n",
             (unsigned long long)g_out[i].id, (int)g_out[i].state,
             (long long)g_out[i].last_try);
    if (!am_node_name_valid(name) || o.count < 1 || o.count > AM_POOL_MAX_COUNT ||
        o.lease_seconds < 0) {
        CK(f, rc == AM_ERR_INVAL, "bad select gave %d", rc);
        return;
    }
    CK(f, rc == AM_OK, "am_pool_select returned %d", rc);
    CK(f, n <= o.count, "%zu peers for %u", n, o.count);
    for (size_t i = 0; i < n; i++) {
        const am_peer *p = &g_out[i];
        check_pick(f, p, o.base.services, o.base.networks, o.base.feeler, 1);
        for (size_t j = 0; j < i; j++) {
            CK(f, g_out[j].id != p->id, "peer %llu handed twice",
               (unsigned long long)p->id);
            if (o.diverse)
                CK(f, am_addr_group_key(&g_out[j].addr) != am_addr_group_key(&p->addr),
                   "peers %llu and %llu share a group in a diverse select",
                   (unsigned long long)g_out[j].id, (unsigned long long)p->id);
        }
        for (size_t k = 0; k < n_mine; k++)
            CK(f, mine[k] != p->id, "peer %llu handed to node %s connected to it",
               (unsigned long long)p->id, name);
        for (size_t k = 0; k < f->n_ids; k++) {
            if (f->ids[k] != p->id)
                continue;
            CK(f, lease_before[k] == NULL,
               "peer %llu leased by %s handed to %s", (unsigned long long)p->id,
               lease_before[k], name);
            if (o.exclusive)
                CK(f, conn_before[k] == 0,
                   "peer %llu with %zu connections handed out exclusively",
                   (unsigned long long)p->id, conn_before[k]);
        }
        if (o.lease_seconds > 0) {
            const char *ln = NULL;
            size_t nc;
            am_pool_peer_holders(f->p, p->id, &ln, &nc);
            CK(f, ln != NULL && strcmp(ln, name) == 0, "peer %llu not leased to %s",
               (unsigned long long)p->id, name);
        }
        remember_id(f, p->id);
    }
}

static void op_pool_misc(fz *f)
{
    char node[80];
    uint8_t v = fz_u8(&f->in);
    pick_node(f, node, sizeof node);
    switch (v % 3) {
    case 0: {
        int rc = am_pool_drop_node(f->p, node);
        CK(f, rc == AM_OK || rc == AM_ERR_NOTFOUND, "drop_node returned %d", rc);
        break;
    }
    case 1: {
        am_node_info info[16];
        size_t n = 0, count = am_pool_node_count(f->p);
        int rc = am_pool_nodes(f->p, info, 16, &n);
        CK(f, rc == AM_OK && n <= 16, "am_pool_nodes returned %d", rc);
        CK(f, n == (count < 16 ? count : 16), "%zu nodes listed, %zu counted", n,
           count);
        for (size_t i = 0; i < n; i++) {
            CK(f, am_node_name_valid(info[i].name), "node name '%s'", info[i].name);
            if (i > 0 && count <= 16)
                CK(f, strcmp(info[i - 1].name, info[i].name) < 0, "node order");
        }
        break;
    }
    default: {
        uint64_t ids[64];
        size_t n = 0;
        int rc = am_pool_node_peers(f->p, node, v & 8 ? 1 : 0, ids, 64, &n);
        CK(f, rc == AM_OK || rc == AM_ERR_NOTFOUND || rc == AM_ERR_INVAL,
           "am_pool_node_peers returned %d", rc);
        for (size_t i = 0; rc == AM_OK && i < n; i++) {
            const char *ln = NULL;
            size_t nc = 0;
            am_pool_peer_holders(f->p, ids[i], &ln, &nc);
            if (v & 8)
                CK(f, ln && strcmp(ln, node) == 0, "lease list of %s disagrees", node);
            else
                CK(f, nc >= 1, "connection list of %s disagrees", node);
        }
        break;
    }
    }
}

static void op_stats(fz *f)
{
    am_stats st;
    size_t sum = 0;
    am_stats_get(f->m, &st);
    CK(f, st.total == am_size(f->m), "stats total %zu, size %zu", st.total,
       am_size(f->m));
    CK(f, st.by_table[0] + st.by_table[1] == st.total, "by_table");
    for (int s = 0; s < AM_STATE_COUNT; s++)
        sum += st.by_state[s];
    CK(f, sum == st.total, "by_state sums to %zu of %zu", sum, st.total);
    CK(f, st.bans == am_ban_count(f->m), "ban count");
    CK(f, st.collisions <= AM_MAX_COLLISIONS, "collisions");
    CK(f, st.slots_used[1] == st.by_table[1], "tried slots %zu, tried peers %zu",
       st.slots_used[1], st.by_table[1]);
    CK(f, st.buckets[0] == f->cfg.new_buckets && st.buckets[1] == f->cfg.tried_buckets,
       "bucket counts");
}

static void op_persist(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    switch (v % 3) {
    case 0: {
        am_ban b;
        memset(&b, 0, sizeof b);
        pick_target(f, &b.target);
        b.until = fz_now + 1 + fz_u16(&f->in);
        b.created = pick_time(f);
        size_t rlen = fz_u8(&f->in);
        memset(b.reason, 'x', rlen);
        if (v & 0x80)
            memset(b.reason, 'y', sizeof b.reason);   /* no NUL */
        int rc = am_ban_restore(f->m, &b);
        CK(f, rc == AM_OK || rc == AM_ERR_INVAL || rc == AM_ERR_RANGE,
           "am_ban_restore returned %d", rc);
        if (v & 0x80)
            CK(f, rc != AM_OK, "a reason without NUL accepted");
        break;
    }
    case 1: {
        /* Near the end of the id space only now and then: once it is used
         * up, no peer can be added any more. */
        uint64_t next = (v & 0xfc) == 0xfc ? AM_ID_MAX - fz_u8(&f->in) % 4 + 1
                                           : f->max_id_seen + fz_u8(&f->in);
        int rc = am_id_floor(f->m, next);
        CK(f, rc == AM_OK || (rc == AM_ERR_RANGE && next > AM_ID_MAX + 1),
           "am_id_floor(%llu) returned %d", (unsigned long long)next, rc);
        break;
    }
    default: {
        uint64_t id = 0;
        uint32_t b = fz_u8(&f->in), s = fz_u8(&f->in);
        int tried = (v >> 2) & 3;
        int rc = am_slot_owner(f->m, tried, b, s, &id);
        if (tried > 1 || s >= AM_BUCKET_SIZE ||
            b >= (tried ? f->cfg.tried_buckets : f->cfg.new_buckets))
            CK(f, rc == AM_ERR_INVAL, "slot owner outside the table gave %d", rc);
        else if (rc == AM_OK)
            remember_id(f, id);
        else
            CK(f, rc == AM_ERR_NOTFOUND, "am_slot_owner returned %d", rc);
        break;
    }
    }
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Many adds from a few input bytes, so that tables fill up: new slots are
 * fought over, entries evicted, group caps reached. */
static void op_bulk_add(fz *f)
{
    size_t n = 1 + fz_u8(&f->in) % 64;
    uint64_t x = 0x9e3779b97f4a7c15u ^ fz_u16(&f->in);
    uint8_t mode = fz_u8(&f->in);
    am_addr srcs[4];
    for (int k = 0; k < 4; k++) {
        memset(&srcs[k], 0, sizeof srcs[k]);
        srcs[k].net = AM_NET_IPV4;
        srcs[k].bytes[0] = (uint8_t)(20 + 30 * k);
        srcs[k].bytes[1] = (uint8_t)(mode & 0x0f);
        srcs[k].bytes[3] = 7;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t r = xorshift(&x);
        am_addr a;
        memset(&a, 0, sizeof a);
        switch ((mode >> 4) & 3) {
        case 0:     /* IPv4 from a few /16s */
            a.net = AM_NET_IPV4;
            a.bytes[0] = (uint8_t)(1 + (r & 3) * 50);
            a.bytes[1] = (uint8_t)(r >> 2 & 3);
            a.bytes[2] = (uint8_t)(r >> 8);
            a.bytes[3] = (uint8_t)(r >> 16);
            break;
        case 1:     /* IPv4 from one /16 (group cap) */
            a.net = AM_NET_IPV4;
            a.bytes[0] = 93;
            a.bytes[1] = 184;
            a.bytes[2] = (uint8_t)(r >> 8);
            a.bytes[3] = (uint8_t)(r >> 16);
            break;
        case 2:     /* IPv6 from a few /32s */
            a.net = AM_NET_IPV6;
            a.bytes[0] = 0x2a;
            a.bytes[1] = 0x01;
            a.bytes[3] = (uint8_t)(r & 7);
            memcpy(a.bytes + 8, &r, 8);
            break;
        default:    /* every network */
            a.net = (uint8_t)((const uint8_t[]){1, 2, 4, 5, 6}[r % 5]);
            memcpy(a.bytes, &r, 8);
            a.bytes[8] = (uint8_t)(r >> 7);
            if (a.net == AM_NET_IPV4)
                a.bytes[0] = (uint8_t)(1 + a.bytes[0] % 9);
            if (a.net == AM_NET_IPV6)
                a.bytes[0] = 0x2a;
            if (a.net == AM_NET_CJDNS)
                a.bytes[0] = 0xfc;
            clear_tail(&a);
            break;
        }
        a.port = (r >> 40) & 1 ? 8333 : (uint16_t)(r >> 48);
        const am_addr *src = (mode & 0x40) ? NULL : &srcs[(r >> 24) & 3];
        int is_new;
        uint64_t id = 0;
        int rc = am_add(f->m, &a, src, (r >> 32) & 1 ? 1033 : 9,
                        fz_now - (int64_t)((r >> 33) % 300000),
                        (mode & 0x80) ? 7200 : 0, &is_new, &id);
        CK(f, rc == AM_OK || rc == AM_ERR_REJECTED ||
                  rc == AM_ERR_GROUP_CAP || rc == AM_ERR_BANNED ||
                  rc == AM_ERR_UNROUTABLE || rc == AM_ERR_FULL,
           "bulk am_add returned %d", rc);
        if (rc == AM_OK && (r >> 56) < 16)
            remember_id(f, id);
    }
}

/* One state report for many peers (moves to tried make collisions). */
static void op_bulk_state(fz *f)
{
    uint8_t v = fz_u8(&f->in);
    am_state_op op = (am_state_op)(v % 5);
    uint64_t x = 0x2545f4914f6cdd1du ^ fz_u16(&f->in);
    unsigned every = 1 + (v >> 3) % 4;
    size_t n = 0;
    uint64_t next;
    if (am_list(f->m, NULL, 0, g_list, 256, &n, &next) != AM_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (xorshift(&x) % every != 0)
            continue;
        am_peer p;
        int rc = am_set_state(f->m, g_list[i].id, op, &p);
        VLOG(f, "set_state id %llu op %d -> %d\n",
             (unsigned long long)g_list[i].id, (int)op, rc);
        CK(f, rc == AM_OK || rc == AM_ERR_NOTFOUND, "bulk am_set_state returned %d",
           rc);
        if (rc == AM_OK && (v & 0x80) && am_get(f->m, g_list[i].id, &p) == AM_OK)
            CK(f, am_pool_report(f->p, "n0", &p, op) == AM_OK, "bulk report");
    }
}

typedef struct op_def {
    const char *name;
    void (*fn)(fz *f);
} op_def;

static const op_def ops[] = {
    {"add", op_add},           {"add", op_add},
    {"add", op_add},           {"add", op_add},
    {"select", op_select},     {"select", op_select},
    {"set_state", op_set_state}, {"set_state", op_set_state},
    {"set_state", op_set_state}, {"set_services", op_set_services},
    {"remove", op_remove},     {"ban_add", op_ban_add},
    {"ban_remove", op_ban_remove}, {"ban_clear", op_ban_clear},
    {"sample", op_sample},     {"advance", op_advance},
    {"advance", op_advance},   {"list", op_list},
    {"lookup", op_lookup},     {"collision", op_collision},
    {"restore", op_restore},   {"pool_select", op_pool_select},
    {"pool_select", op_pool_select}, {"pool_misc", op_pool_misc},
    {"stats", op_stats},       {"persist", op_persist},
    {"bulk_add", op_bulk_add}, {"bulk_add", op_bulk_add},
    {"bulk_state", op_bulk_state},
};
#define N_OPS (sizeof ops / sizeof ops[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t new_b[8] = {16, 16, 1, 2, 4, 8, 32, 16};
    static const uint32_t tried_b[8] = {4, 4, 1, 2, 8, 4, 4, 1};
    static const int64_t retry[4] = {600, 0, 60, 600};
    static const uint32_t caps[4] = {0, 2, 8, 256};
    static int verbose = -1;
    fz f;
    am_pool_config pc;

    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    memset(&f, 0, sizeof f);
    f.verbose = verbose;
    fz_init(&f.in, data, size);
    fz_now = FZ_T0;
    uint8_t c = fz_u8(&f.in), g = fz_u8(&f.in);
    fz_config(&f.cfg, new_b[c & 7], tried_b[(c >> 3) & 7]);
    f.cfg.retry_time = retry[(c >> 6) & 3];
    f.cfg.new_group_cap = caps[g & 3];
    if (am_new(&f.cfg, &f.m) != AM_OK)
        FZ_FAIL("am_new");
    am_pool_config_default(&pc);
    pc.node_timeout = (g & 4) ? 900 : 120;
    pc.clock = fz_clock;
    if (am_pool_new(&pc, &f.p) != AM_OK)
        FZ_FAIL("am_pool_new");

    f.op = "start";
    check_all(&f);
    for (f.op_index = 0; fz_more(&f.in) && f.op_index < MAX_OPS; f.op_index++) {
        const op_def *d = &ops[fz_u8(&f.in) % N_OPS];
        f.op = d->name;
        if (verbose)
            fprintf(stderr, "op #%zu %s (now %lld, %zu peers)\n", f.op_index,
                    d->name, (long long)fz_now, am_size(f.m));
        d->fn(&f);
        check_all(&f);
    }
    if (verbose) {
        am_stats st;
        am_stats_get(f.m, &st);
        fprintf(stderr, "end: %zu ops, %zu peers (%zu new, %zu tried), %zu bans, "
                "%zu collisions, %zu resting, %zu nodes, next id %llu\n",
                f.op_index, st.total, st.by_table[0], st.by_table[1], st.bans,
                st.collisions, st.cooling, am_pool_node_count(f.p),
                (unsigned long long)st.next_id);
    }
    am_pool_free(f.p);
    am_free(f.m);
    return 0;
}
