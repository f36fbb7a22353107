/*
 * addrman.c - records, placement, adding, state changes, lookups, listing.
 *
 * Selection and sampling are in addrman_select.c, bans in addrman_ban.c,
 * the consistency check in addrman_check.c.
 */
#include "addrman_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bits.h"
#include "siphash.h"

#define HOUR 3600
#define DAY (24 * HOUR)
#define NEW_BUCKETS_PER_SOURCE_GROUP 64
#define TRIED_BUCKETS_PER_GROUP 8
#define MAX_FUTURE 600               /* an add time beyond now + 10 min is bogus */
#define OLD_TIME_FLOOR 100000000     /* announced times this small are bogus */
#define BOGUS_TIME_AGE (5 * DAY)
#define HORIZON (30 * DAY)
#define REPLACEMENT_HOURS (4 * HOUR)
#define COLLISION_TIMEOUT (40 * 60)
#define CONNECTED_UPDATE (20 * 60)

/* ------------------------------------------------------------------ time */

static int64_t real_clock(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

int64_t am__now(am_man *m)
{
    return m->cfg.clock(m->cfg.clock_ctx);
}

int64_t am_now(am_man *m)
{
    return am__now(m);
}

static uint32_t t32(int64_t t)
{
    if (t < 0)
        return 0;
    if (t > (int64_t)UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)t;
}

/* ------------------------------------------------------------- hashing */

static uint64_t hash_buf(const am_man *m, const uint8_t *buf, size_t len)
{
    return am_siphash(m->key, buf, len);
}

/* Append the host bytes and port of a; returns the new length. */
static size_t put_endpoint(uint8_t *buf, size_t n, const am_addr *a, int port)
{
    size_t len = am_net_len(a->net);
    buf[n++] = a->net;
    memcpy(buf + n, a->bytes, len);
    n += len;
    if (port) {
        buf[n++] = (uint8_t)(a->port >> 8);
        buf[n++] = (uint8_t)a->port;
    }
    return n;
}

static size_t put_group(uint8_t *buf, size_t n, const am_addr *a)
{
    uint8_t g[AM_GROUP_MAXLEN];
    size_t len = am_addr_group(a, g);
    buf[n++] = (uint8_t)len;
    memcpy(buf + n, g, len);
    return n + len;
}

static size_t put_u64(uint8_t *buf, size_t n, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        buf[n++] = (uint8_t)(v >> (8 * i));
    return n;
}

uint32_t am__tried_bucket(const am_man *m, const am_addr *a)
{
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 'T';
    n = put_endpoint(buf, n, a, 1);
    uint64_t h1 = hash_buf(m, buf, n) % TRIED_BUCKETS_PER_GROUP;
    n = 0;
    buf[n++] = 'U';
    n = put_group(buf, n, a);
    n = put_u64(buf, n, h1);
    return (uint32_t)(hash_buf(m, buf, n) & (m->tables[1].nb - 1));
}

uint32_t am__new_bucket(const am_man *m, const am_addr *a, const am_addr *src)
{
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 'A';
    n = put_group(buf, n, a);
    n = put_group(buf, n, src);
    uint64_t h1 = hash_buf(m, buf, n) % NEW_BUCKETS_PER_SOURCE_GROUP;
    n = 0;
    buf[n++] = 'B';
    n = put_group(buf, n, src);
    n = put_u64(buf, n, h1);
    return (uint32_t)(hash_buf(m, buf, n) & (m->tables[0].nb - 1));
}

unsigned am__slot(const am_man *m, int tried, uint32_t bucket, const am_addr *a)
{
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 'P';
    buf[n++] = (uint8_t)tried;
    n = put_u64(buf, n, bucket);
    n = put_endpoint(buf, n, a, 1);
    return (unsigned)(hash_buf(m, buf, n) % AM_TABLE_SLOTS);
}

/* Endpoint map: entries keyed by address + port. */
/* 32 bits are plenty for a map index and fit in the entry's padding. */
static uint32_t endpoint_hash(const am_man *m, const am_addr *a)
{
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 'E';
    n = put_endpoint(buf, n, a, 1);
    return (uint32_t)hash_buf(m, buf, n);
}

static uint64_t endpoint_hash_idx(void *ctx, uint32_t idx)
{
    am_man *m = ctx;
    return E(m, idx)->ep_hash;
}

static int endpoint_eq(void *ctx, uint32_t idx, const void *key)
{
    am_man *m = ctx;
    return am_addr_eq(&E(m, idx)->addr, key);
}

uint32_t am__find_endpoint(const am_man *m, const am_addr *a)
{
    return am_idxmap_find(&m->endpoints, endpoint_hash(m, a), a);
}

/* Source map: interned source hosts. */
static uint64_t source_hash(const am_man *m, const am_addr *host)
{
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 'S';
    n = put_endpoint(buf, n, host, 0);
    return hash_buf(m, buf, n);
}

static uint64_t source_hash_idx(void *ctx, uint32_t idx)
{
    am_man *m = ctx;
    return source_hash(m, &m->s[idx].host);
}

static int source_eq(void *ctx, uint32_t idx, const void *key)
{
    am_man *m = ctx;
    return am_addr_host_eq(&m->s[idx].host, key);
}

/* ---------------------------------------------------------- lifecycle */

void am_config_default(am_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->new_buckets = 1024;
    cfg->tried_buckets = 256;
    cfg->retry_time = 600;
    cfg->new_group_cap = 256;
}

static int pow2_ok(uint32_t n)
{
    return n > 0 && n <= AM_MAX_BUCKETS && (n & (n - 1)) == 0;
}

int am_new(const am_config *cfg, am_man **out)
{
    am_config def;
    if (!cfg) {
        am_config_default(&def);
        cfg = &def;
    }
    if (!out || !pow2_ok(cfg->new_buckets) || !pow2_ok(cfg->tried_buckets) ||
        cfg->retry_time < 0)
        return AM_ERR_INVAL;
    am_man *m = calloc(1, sizeof *m);
    if (!m)
        return AM_ERR_NOMEM;
    m->cfg = *cfg;
    if (!m->cfg.clock)
        m->cfg.clock = real_clock;

    uint64_t seed = cfg->seed;
    if (cfg->have_key)
        memcpy(m->key, cfg->key, sizeof m->key);
    if ((!cfg->have_key && am_os_random(m->key, sizeof m->key) != 0) ||
        (seed == 0 && am_os_random(&seed, sizeof seed) != 0)) {
        free(m);
        return AM_ERR_IO;
    }
    am_rng_seed(&m->rng, seed);

    m->e_free = m->s_free = m->last_src = AM_IDX_NONE;
    m->next_id = 1;
    m->last_good = 1;
    m->next_ban_expiry = INT64_MAX;
    am_idxmap_init(&m->endpoints, endpoint_hash_idx, endpoint_eq, m);
    am_idxmap_init(&m->srcmap, source_hash_idx, source_eq, m);
    am_timerq_init(&m->cooling);
    am_counter_init(&m->new_groups);
    if (am_table_init(&m->tables[0], cfg->new_buckets) != 0 ||
        am_table_init(&m->tables[1], cfg->tried_buckets) != 0) {
        am_free(m);
        return AM_ERR_NOMEM;
    }
    *out = m;
    return AM_OK;
}

void am_free(am_man *m)
{
    if (!m)
        return;
    am_table_free(&m->tables[0]);
    am_table_free(&m->tables[1]);
    am_idxmap_free(&m->endpoints);
    am_idxmap_free(&m->srcmap);
    am_timerq_free(&m->cooling);
    am_counter_free(&m->new_groups);
    for (uint32_t c = 0; c < m->n_chunks; c++)
        free(m->chunks[c]);
    free(m->chunks);
    free(m->s);
    free(m->rnd);
    free(m->ids);
    free(m->bans);
    free(m);
}

void am_get_key(const am_man *m, uint8_t key[16])
{
    memcpy(key, m->key, 16);
}

size_t am_size(const am_man *m)
{
    return m->count;
}

/* ------------------------------------------------------------ sources */

const am_addr *am__source_of(const am_man *m, const entry *e)
{
    return e->src == AM_IDX_NONE ? &e->addr : &m->s[e->src].host;
}

static int source_ref(am_man *m, const am_addr *src, uint32_t *out)
{
    am_addr host = *src;
    host.port = 0;
    uint32_t i = m->last_src;
    if (i == AM_IDX_NONE || m->s[i].refs == 0 || !am_addr_host_eq(&m->s[i].host, &host))
        i = am_idxmap_find(&m->srcmap, source_hash(m, &host), &host);
    if (i != AM_IDX_NONE) {
        m->s[i].refs++;
        *out = m->last_src = i;
        return AM_OK;
    }
    if (m->s_free != AM_IDX_NONE) {
        i = m->s_free;
        m->s_free = m->s[i].next_free;
    } else {
        if (m->s_high == m->s_cap) {
            uint32_t cap = m->s_cap ? m->s_cap * 2 : 256;
            srcrec *s = realloc(m->s, (size_t)cap * sizeof *s);
            if (!s)
                return AM_ERR_NOMEM;
            m->s = s;
            m->s_cap = cap;
        }
        i = m->s_high++;
    }
    m->s[i].host = host;
    m->s[i].refs = 1;
    if (am_idxmap_insert(&m->srcmap, i) != 0) {
        m->s[i].refs = 0;
        m->s[i].next_free = m->s_free;
        m->s_free = i;
        return AM_ERR_NOMEM;
    }
    *out = m->last_src = i;
    return AM_OK;
}

static void source_unref(am_man *m, uint32_t i)
{
    if (i == AM_IDX_NONE || --m->s[i].refs > 0)
        return;
    am_idxmap_remove(&m->srcmap, i);
    m->s[i].next_free = m->s_free;
    m->s_free = i;
}

/* ------------------------------------------------------------ entries */

int am__eligible(const entry *e)
{
    return (e->flags & (F_BANNED | F_COOLING | F_HELD)) == 0;
}

static am_state effective_state(const entry *e)
{
    return (e->flags & F_BANNED) ? AM_STATE_BANNED : (am_state)e->state;
}

/* Counters follow an entry: take it out before a change, back in after. */
static void account(am_man *m, const entry *e, int sign)
{
    size_t d = (size_t)(sign < 0 ? -1 : 1);
    m->by_state[effective_state(e)] += d;
    m->by_net_table[e->addr.net][e->in_tried ? 1 : 0] += d;
}

/* Set or clear the eligibility marks of every slot the entry holds. */
static void mark_slots(am_man *m, const entry *e, int on)
{
    if (e->in_tried) {
        am_table_mark(&m->tables[1], LOC_BUCKET(e->loc[0]), LOC_SLOT(e->loc[0]),
                      e->addr.net, e->services, on);
        return;
    }
    for (unsigned i = 0; i < e->ref_count; i++)
        am_table_mark(&m->tables[0], LOC_BUCKET(e->loc[i]), LOC_SLOT(e->loc[i]),
                      e->addr.net, e->services, on);
}

void am__set_flag(am_man *m, entry *e, int flag, int on)
{
    int was = (e->flags & flag) != 0;
    if (was == !!on)
        return;
    int was_eligible = am__eligible(e);
    account(m, e, -1);
    if (on)
        e->flags |= (uint8_t)flag;
    else
        e->flags &= (uint8_t)~flag;
    account(m, e, +1);
    if (flag == F_COOLING)
        m->n_cooling += on ? 1 : (size_t)-1;
    if (was_eligible != am__eligible(e))
        mark_slots(m, e, am__eligible(e));
}

void am__to_peer(const am_man *m, const entry *e, am_peer *out)
{
    memset(out, 0, sizeof *out);
    out->id = e->id;
    out->addr = e->addr;
    out->has_source = e->src != AM_IDX_NONE || (e->flags & F_SELF_SRC);
    if (e->src != AM_IDX_NONE) {
        out->source = m->s[e->src].host;
    } else if (e->flags & F_SELF_SRC) {
        out->source = e->addr;
        out->source.port = 0;
    }
    out->services = e->services;
    out->state = effective_state(e);
    out->in_tried = e->in_tried;
    out->time = e->time;
    out->last_connected = e->last_connected;
    out->last_try = e->last_try;
    out->last_success = e->last_success;
    out->attempts = e->attempts;
    out->ref_count = e->ref_count;
}

static int ids_append(am_man *m, uint64_t id, uint32_t idx)
{
    if (m->n_ids == m->ids_cap) {
        if (m->n_dead_ids * 2 > m->n_ids) {
            am__ids_compact(m);
        } else {
            size_t cap = m->ids_cap ? m->ids_cap * 2 : 256;
            idrec *ids = realloc(m->ids, cap * sizeof *ids);
            if (!ids)
                return AM_ERR_NOMEM;
            m->ids = ids;
            m->ids_cap = cap;
        }
    }
    /* >=: the last record may be the tombstone of this very id (a peer
     * removed and restored), which lookups must not find first. */
    if (m->n_ids > 0 && m->ids[m->n_ids - 1].id >= id)
        m->ids_unsorted = 1;
    m->ids[m->n_ids].id = id;
    m->ids[m->n_ids].idx = idx;
    m->n_ids++;
    return AM_OK;
}

static int idrec_cmp(const void *a, const void *b)
{
    uint64_t x = ((const idrec *)a)->id, y = ((const idrec *)b)->id;
    return x < y ? -1 : x > y;
}

/* Drop tombstones and restore id order. */
void am__ids_compact(am_man *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_ids; i++)
        if (m->ids[i].idx != AM_IDX_NONE)
            m->ids[n++] = m->ids[i];
    m->n_ids = n;
    m->n_dead_ids = 0;
    if (m->ids_unsorted)
        qsort(m->ids, n, sizeof *m->ids, idrec_cmp);
    m->ids_unsorted = 0;
}

/* Position in ids of the first record with id >= `id`. */
static size_t ids_lower_bound(am_man *m, uint64_t id)
{
    if (m->ids_unsorted)
        am__ids_compact(m);
    size_t lo = 0, hi = m->n_ids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t am__find_id(am_man *m, uint64_t id)
{
    size_t i = ids_lower_bound(m, id);
    if (i < m->n_ids && m->ids[i].id == id)
        return m->ids[i].idx;
    return AM_IDX_NONE;
}

static void ids_kill(am_man *m, uint64_t id)
{
    size_t i = ids_lower_bound(m, id);
    if (i < m->n_ids && m->ids[i].id == id && m->ids[i].idx != AM_IDX_NONE) {
        m->ids[i].idx = AM_IDX_NONE;
        m->n_dead_ids++;
    }
}

/* Make room for one more entry in every per-entry array. */
static int reserve_entry(am_man *m)
{
    uint32_t cap = m->n_chunks * AM_CHUNK;
    if (m->e_free != AM_IDX_NONE || m->e_high < cap)
        return AM_OK;
    if (cap >= UINT32_MAX / 2)
        return AM_ERR_FULL;
    entry **chunks = realloc(m->chunks, (m->n_chunks + 1) * sizeof *chunks);
    if (!chunks)
        return AM_ERR_NOMEM;
    m->chunks = chunks;
    uint32_t *rnd = realloc(m->rnd, (size_t)(cap + AM_CHUNK) * sizeof *rnd);
    if (!rnd)
        return AM_ERR_NOMEM;
    m->rnd = rnd;
    if (!(m->chunks[m->n_chunks] = malloc(AM_CHUNK * sizeof(entry))))
        return AM_ERR_NOMEM;
    m->n_chunks++;
    return AM_OK;
}

/* A new record, not yet in any table. */
static int entry_create(am_man *m, uint64_t id, const am_addr *addr,
                        uint32_t ep_hash, const am_addr *src,
                        uint64_t services, uint32_t time, uint32_t *out)
{
    if (id == 0 || id > AM_ID_MAX)
        return AM_ERR_FULL;
    int rc = reserve_entry(m);
    if (rc != AM_OK)
        return rc;
    /* Most peers are their own source: flag them rather than intern. */
    int self = src && am_addr_host_eq(src, addr);
    uint32_t srci = AM_IDX_NONE;
    if (src && !self && (rc = source_ref(m, src, &srci)) != AM_OK)
        return rc;
    int reused = m->e_free != AM_IDX_NONE;
    uint32_t i = reused ? m->e_free : m->e_high;
    entry *e = E(m, i);
    uint32_t next_free = reused ? e->rpos : AM_IDX_NONE;
    memset(e, 0, sizeof *e);
    e->addr = *addr;
    e->src = srci;
    e->ep_hash = ep_hash;
    e->id = id;
    e->services = services;
    e->time = time;
    e->state = AM_STATE_NEVER_TRIED;
    e->flags = F_LIVE | (self ? F_SELF_SRC : 0);
    if (am_idxmap_insert_hashed(&m->endpoints, i, ep_hash) != 0 ||
        ids_append(m, e->id, i) != AM_OK) {
        am_idxmap_remove(&m->endpoints, i);
        source_unref(m, srci);
        e->flags = 0;
        e->rpos = next_free;
        return AM_ERR_NOMEM;
    }
    if (reused)
        m->e_free = next_free;
    else
        m->e_high++;
    if (id >= m->next_id)
        m->next_id = id + 1;
    e->rpos = (uint32_t)m->count;
    m->rnd[m->count++] = i;
    if (am__banned(m, addr))
        e->flags |= F_BANNED;
    account(m, e, +1);
    *out = i;
    return AM_OK;
}

static void collision_forget(am_man *m, uint64_t id)
{
    for (size_t i = 0; i < m->n_collisions; i++)
        if (m->collisions[i] == id) {
            m->collisions[i] = m->collisions[--m->n_collisions];
            return;
        }
}

/* Take the entry out of one new slot. */
static void new_slot_drop(am_man *m, entry *e, unsigned k)
{
    uint32_t l = e->loc[k];
    if (am__eligible(e))
        am_table_mark(&m->tables[0], LOC_BUCKET(l), LOC_SLOT(l), e->addr.net,
                      e->services, 0);
    am_table_clear(&m->tables[0], LOC_BUCKET(l), LOC_SLOT(l));
    e->loc[k] = e->loc[--e->ref_count];
    am_counter_dec(&m->new_groups, am_addr_group_key(&e->addr));
}

static void new_slot_add(am_man *m, entry *e, uint32_t b, unsigned s)
{
    /* Should the count fail for want of memory, the group is merely
     * under-counted: the cap errs on the open side. */
    (void)am_counter_inc(&m->new_groups, am_addr_group_key(&e->addr));
    am_table_put(&m->tables[0], b, s, IDX(m, e));
    if (am__eligible(e))
        am_table_mark(&m->tables[0], b, s, e->addr.net, e->services, 1);
    e->loc[e->ref_count++] = LOC(b, s);
}

static void tried_slot_drop(am_man *m, entry *e)
{
    uint32_t l = e->loc[0];
    if (am__eligible(e))
        am_table_mark(&m->tables[1], LOC_BUCKET(l), LOC_SLOT(l), e->addr.net,
                      e->services, 0);
    am_table_clear(&m->tables[1], LOC_BUCKET(l), LOC_SLOT(l));
}

static void entry_delete(am_man *m, entry *e)
{
    uint32_t i = IDX(m, e);
    if (e->in_tried)
        tried_slot_drop(m, e);
    while (e->ref_count > 0)
        new_slot_drop(m, e, e->ref_count - 1);
    if (e->flags & F_COOLING)
        m->n_cooling--;
    account(m, e, -1);
    collision_forget(m, e->id);
    am_idxmap_remove(&m->endpoints, i);
    ids_kill(m, e->id);
    m->removals++;
    uint32_t last = m->rnd[--m->count];
    m->rnd[e->rpos] = last;
    E(m, last)->rpos = e->rpos;
    source_unref(m, e->src);
    e->flags = 0;
    e->rpos = m->e_free;
    m->e_free = i;
}

/* Empty a new slot whose occupant must give way; an occupant left in no
 * slot at all is forgotten, as Core does. */
static void new_slot_evict(am_man *m, uint32_t b, unsigned s)
{
    uint32_t i = am_table_get(&m->tables[0], b, s);
    entry *o = E(m, i);
    for (unsigned k = 0; k < o->ref_count; k++)
        if (o->loc[k] == LOC(b, s)) {
            new_slot_drop(m, o, k);
            break;
        }
    if (o->ref_count == 0)
        entry_delete(m, o);
}

/* ------------------------------------------------------------ terrible */

int am__terrible(const entry *e, int64_t now)
{
    if (e->last_try && now - (int64_t)e->last_try <= 60)
        return 0;
    if ((int64_t)e->time > now + MAX_FUTURE)
        return 1;
    if (e->time == 0 || now - (int64_t)e->time > HORIZON)
        return 1;
    if (e->last_success == 0 && e->attempts >= 3)
        return 1;
    if (now - (int64_t)e->last_success > 7 * DAY && e->attempts >= 10)
        return 1;
    return 0;
}

int am_peer_is_terrible(const am_peer *p, int64_t now)
{
    entry e;
    memset(&e, 0, sizeof e);
    e.time = t32(p->time);
    e.last_try = t32(p->last_try);
    e.last_success = t32(p->last_success);
    e.attempts = p->attempts;
    return am__terrible(&e, now);
}

/* --------------------------------------------------------------- tick */

/*
 * Retry timers.  A failed peer rests (F_COOLING) until retry_time after
 * its last try, and a timer in m->cooling ends the rest.  A peer has at
 * most one timer queued (F_TIMED): failing again while resting only moves
 * last_try, and the timer, when it fires early, queues the rest that is
 * left.  (One timer per failure report, as before, made the queue as long
 * as the reports of the last retry_time, not the peers: a soak of 3 500
 * requests a second grew it to 2 MiB in ten minutes, and one node
 * reporting the same peer in a loop could grow it without bound.)  The
 * timers of peers removed meanwhile stay queued, pointing at nothing, until
 * they fire or until the queue is full: they are dropped then, and the
 * queue grows only when that left it more than three quarters full.
 */
static int timer_live(void *ctx, const am_timer *t)
{
    am_man *m = ctx;
    uint32_t i = am__find_id(m, t->id);
    return i != AM_IDX_NONE && (E(m, i)->flags & F_TIMED);
}

/* Queue e's timer (it has none) for `when`: 0, or -1 out of memory. */
static int timer_set(am_man *m, entry *e, int64_t when)
{
    am_timerq *q = &m->cooling;
    if (q->n == q->cap && q->cap > 0) {
        am_timerq_filter(q, timer_live, m);
        if (q->n > q->cap / 4 * 3)
            (void)am_timerq_reserve(q, q->cap * 2);   /* else push fails */
    }
    if (am_timerq_push(q, when, e->id) != 0)
        return -1;
    e->flags |= F_TIMED;
    return 0;
}

/* A timer of e fired at `now`: the rest is over, or queue what is left.
 * Out of memory, the peer stops resting rather than rest forever. */
static void timer_fired(am_man *m, entry *e, int64_t now)
{
    e->flags &= (uint8_t)~F_TIMED;
    if (!(e->flags & F_COOLING))
        return;
    int64_t until = (int64_t)e->last_try + m->cfg.retry_time;
    if (until <= now || timer_set(m, e, until) != 0)
        am__set_flag(m, e, F_COOLING, 0);
}

/* Time-driven state: expired bans and retry waits that are over. */
int64_t am__tick(am_man *m)
{
    int64_t now = am__now(m);
    if (now >= m->next_ban_expiry)
        am__expire_bans(m, now);
    am_timer t;
    while (am_timerq_pop_due(&m->cooling, now, &t)) {
        uint32_t i = am__find_id(m, t.id);
        if (i != AM_IDX_NONE && (E(m, i)->flags & F_TIMED))
            timer_fired(m, E(m, i), now);
    }
    return now;
}

/* ---------------------------------------------------------------- add */

static int64_t add_time(int64_t time, int64_t now)
{
    if (time == 0)
        return now;
    if (time <= OLD_TIME_FLOOR || time > now + MAX_FUTURE)
        return now - BOGUS_TIME_AGE;
    return time;
}

static void services_set(am_man *m, entry *e, uint64_t services)
{
    if (services == e->services)
        return;
    if (am__eligible(e))
        mark_slots(m, e, 0);
    e->services = services;
    if (am__eligible(e))
        mark_slots(m, e, 1);
}

/* Refresh a known entry (Core's AddSingle on a known address); returns 1
 * when the entry should also try for one more new slot. */
static int refresh_known(am_man *m, entry *e, uint64_t services, int64_t time,
                         int64_t penalty, int64_t now)
{
    int online = now - time < DAY;
    int64_t interval = online ? HOUR : DAY;
    if ((int64_t)e->time < time - interval - penalty)
        e->time = t32(time - penalty);
    services_set(m, e, e->services | services);
    if (time <= (int64_t)e->time || e->in_tried ||
        e->ref_count >= AM_MAX_NEW_REFS)
        return 0;
    /* Each extra slot is half as likely as the one before. */
    return am_rng_below(&m->rng, UINT64_C(1) << e->ref_count) == 0;
}

/* May a newcomer with `ref_count` slots take the new slot held by o? */
static int may_replace(const entry *o, unsigned ref_count, int64_t now)
{
    return am__terrible(o, now) || (o->ref_count > 1 && ref_count == 0);
}

int am_add(am_man *m, const am_addr *addr, const am_addr *source,
           uint64_t services, int64_t time, int64_t penalty, int *is_new,
           uint64_t *id_out)
{
    if (!m || !addr || !is_new)
        return AM_ERR_INVAL;
    *is_new = 0;
    if (am_net_len(addr->net) == 0 || (source && am_net_len(source->net) == 0))
        return AM_ERR_ADDR;
    int64_t now = am__tick(m);
    if (!am_addr_is_routable(addr))
        return AM_ERR_UNROUTABLE;
    if (am__banned(m, addr))
        return AM_ERR_BANNED;

    int self = !source || am_addr_host_eq(addr, source);
    if (self || penalty < 0)
        penalty = 0;
    time = add_time(time, now);
    const am_addr *src = source ? source : addr;

    uint32_t ep_hash = endpoint_hash(m, addr);
    uint32_t i = am_idxmap_find(&m->endpoints, ep_hash, addr);
    entry *e = i == AM_IDX_NONE ? NULL : E(m, i);
    if (e) {
        if (id_out)
            *id_out = e->id;
        if (!refresh_known(m, e, services, time, penalty, now))
            return AM_OK;
    }

    /* The cap counts slots, not addresses: re-announcing the same
     * addresses from many sources must not multiply a group's share. */
    if (m->cfg.new_group_cap &&
        am_counter_get(&m->new_groups, am_addr_group_key(addr)) >= m->cfg.new_group_cap)
        return e ? AM_OK : AM_ERR_GROUP_CAP;
    uint32_t b = am__new_bucket(m, addr, src);
    unsigned s = am__slot(m, 0, b, addr);
    uint32_t occ = am_table_get(&m->tables[0], b, s);
    if (e && occ == i)
        return AM_OK;
    if (occ != AM_IDX_NONE &&
        !may_replace(E(m, occ), e ? e->ref_count : 0, now))
        return e ? AM_OK : AM_ERR_REJECTED;

    if (!e) {
        int rc = entry_create(m, m->next_id, addr, ep_hash, src, services,
                              t32(time - penalty), &i);
        if (rc != AM_OK)
            return rc;
        e = E(m, i);
        *is_new = 1;
        if (id_out)
            *id_out = e->id;
    }
    if (occ != AM_IDX_NONE)
        new_slot_evict(m, b, s);
    new_slot_add(m, e, b, s);
    return AM_OK;
}

/* --------------------------------------------------------------- good */

/* Put an entry that is in no table into its own new slot, evicting the
 * occupant (Core does this to a tried entry pushed back to new). */
static void place_in_own_new_slot(am_man *m, entry *e)
{
    uint32_t b = am__new_bucket(m, &e->addr, am__source_of(m, e));
    unsigned s = am__slot(m, 0, b, &e->addr);
    if (am_table_get(&m->tables[0], b, s) != AM_IDX_NONE)
        new_slot_evict(m, b, s);
    new_slot_add(m, e, b, s);
}

static void move_to_new(am_man *m, entry *e)
{
    account(m, e, -1);
    tried_slot_drop(m, e);
    e->in_tried = 0;
    e->ref_count = 0;
    place_in_own_new_slot(m, e);
    account(m, e, +1);
}

/* Move to tried; whoever holds the tried slot goes back to new. */
static void make_tried(am_man *m, entry *e)
{
    uint32_t b = am__tried_bucket(m, &e->addr);
    unsigned s = am__slot(m, 1, b, &e->addr);
    uint32_t occ = am_table_get(&m->tables[1], b, s);

    while (e->ref_count > 0)
        new_slot_drop(m, e, e->ref_count - 1);
    if (occ != AM_IDX_NONE)
        move_to_new(m, E(m, occ));
    account(m, e, -1);
    e->in_tried = 1;
    e->loc[0] = LOC(b, s);
    am_table_put(&m->tables[1], b, s, IDX(m, e));
    if (am__eligible(e))
        am_table_mark(&m->tables[1], b, s, e->addr.net, e->services, 1);
    account(m, e, +1);
    collision_forget(m, e->id);
}

static void collision_add(am_man *m, uint64_t id)
{
    for (size_t i = 0; i < m->n_collisions; i++)
        if (m->collisions[i] == id)
            return;
    if (m->n_collisions < AM_MAX_COLLISIONS)
        m->collisions[m->n_collisions++] = id;
}

/* Core's Good: a handshake succeeded. */
static void good(am_man *m, entry *e, int test_before_evict, int64_t now)
{
    e->last_success = e->last_try = t32(now);
    e->attempts = 0;
    m->last_good = now;
    if (e->in_tried)
        return;
    uint32_t b = am__tried_bucket(m, &e->addr);
    unsigned s = am__slot(m, 1, b, &e->addr);
    if (test_before_evict && am_table_get(&m->tables[1], b, s) != AM_IDX_NONE) {
        collision_add(m, e->id);
        return;
    }
    make_tried(m, e);
}

/* Core's ResolveCollisions: decide each pending collision whose old tried
 * occupant has had its chance to prove itself alive. */
static int resolve_one(am_man *m, entry *n, int64_t now)
{
    uint32_t b = am__tried_bucket(m, &n->addr);
    unsigned s = am__slot(m, 1, b, &n->addr);
    uint32_t oi = am_table_get(&m->tables[1], b, s);
    if (oi == AM_IDX_NONE) {
        good(m, n, 0, now);
        return 1;
    }
    entry *o = E(m, oi);
    if (now - (int64_t)o->last_success < REPLACEMENT_HOURS)
        return 1;                       /* the old one is alive: keep it */
    if (now - (int64_t)o->last_try < REPLACEMENT_HOURS) {
        if (now - (int64_t)o->last_try <= 60)
            return 0;                   /* its test is under way */
        good(m, n, 0, now);             /* tested and it failed */
        return 1;
    }
    if (now - (int64_t)n->last_success > COLLISION_TIMEOUT) {
        good(m, n, 0, now);             /* never tested in time */
        return 1;
    }
    return 0;
}

void am_resolve_collisions(am_man *m)
{
    int64_t now = am__now(m);
    uint64_t ids[AM_MAX_COLLISIONS];
    size_t n = m->n_collisions;
    memcpy(ids, m->collisions, n * sizeof *ids);
    for (size_t k = 0; k < n; k++) {
        uint32_t i = am__find_id(m, ids[k]);
        if (i == AM_IDX_NONE || E(m, i)->in_tried || resolve_one(m, E(m, i), now))
            collision_forget(m, ids[k]);
    }
}

int am_collision_peer(am_man *m, am_peer *out)
{
    if (!m || !out)
        return AM_ERR_INVAL;
    am__tick(m);
    if (m->n_collisions == 0)
        return AM_ERR_NOTFOUND;
    size_t start = (size_t)am_rng_below(&m->rng, m->n_collisions);
    for (size_t k = 0; k < m->n_collisions; k++) {
        uint32_t ni = am__find_id(m, m->collisions[(start + k) % m->n_collisions]);
        if (ni == AM_IDX_NONE)
            continue;
        entry *n = E(m, ni);
        uint32_t b = am__tried_bucket(m, &n->addr);
        unsigned s = am__slot(m, 1, b, &n->addr);
        uint32_t oi = am_table_get(&m->tables[1], b, s);
        if (oi == AM_IDX_NONE)
            continue;
        am__to_peer(m, E(m, oi), out);
        return AM_OK;
    }
    return AM_ERR_NOTFOUND;
}

/* -------------------------------------------------------------- state */

static void start_cooling(am_man *m, entry *e, int64_t now)
{
    if (m->cfg.retry_time <= 0)
        return;
    /* A queued timer fires early and queues the rest that is left. */
    if (!(e->flags & F_TIMED) && timer_set(m, e, now + m->cfg.retry_time) != 0)
        return;   /* no memory for the timer: the peer simply does not rest */
    am__set_flag(m, e, F_COOLING, 1);
}

static void set_stored_state(am_man *m, entry *e, am_state st)
{
    account(m, e, -1);
    e->state = (uint8_t)st;
    account(m, e, +1);
}

static void apply_op(am_man *m, entry *e, am_state_op op, int64_t now)
{
    if (op != AM_OP_FAILED)
        am__set_flag(m, e, F_COOLING, 0);
    switch (op) {
    case AM_OP_CONNECTED:
    case AM_OP_TRIED:
        good(m, e, 1, now);
        if (op == AM_OP_CONNECTED)
            e->last_connected = t32(now);
        set_stored_state(m, e, op == AM_OP_CONNECTED ? AM_STATE_CONNECTED
                                                     : AM_STATE_TRIED);
        break;
    case AM_OP_FAILED:
        collision_forget(m, e->id);     /* a peer that failed evicts nobody */
        e->last_try = t32(now);
        if ((int64_t)e->last_count_attempt < m->last_good) {
            e->last_count_attempt = t32(now);
            e->attempts++;
        }
        set_stored_state(m, e, AM_STATE_FAILED);
        start_cooling(m, e, now);
        break;
    case AM_OP_NEVER_TRIED:
        e->attempts = 0;
        e->last_try = e->last_success = e->last_count_attempt = 0;
        collision_forget(m, e->id);
        if (e->in_tried)
            move_to_new(m, e);
        set_stored_state(m, e, AM_STATE_NEVER_TRIED);
        break;
    case AM_OP_DISCONNECTED:
        e->last_connected = t32(now);
        if (now - (int64_t)e->time > CONNECTED_UPDATE)
            e->time = t32(now);
        set_stored_state(m, e, AM_STATE_TRIED);
        break;
    }
}

int am_set_state(am_man *m, uint64_t id, am_state_op op, am_peer *out)
{
    if (!m || (unsigned)op > AM_OP_DISCONNECTED)
        return AM_ERR_INVAL;
    am__tick(m);
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    apply_op(m, E(m, i), op, am__now(m));
    am_peer snap;
    am__to_peer(m, E(m, i), &snap);
    /* Settling a collision can move this peer, or even push it out of the
     * new table; answer with what is true afterwards. */
    am_resolve_collisions(m);
    if (out && am_get(m, id, out) != AM_OK)
        *out = snap;
    return AM_OK;
}

int am_set_services(am_man *m, uint64_t id, uint64_t services, am_peer *out)
{
    if (!m)
        return AM_ERR_INVAL;
    am__tick(m);
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    services_set(m, E(m, i), services);
    if (out)
        am__to_peer(m, E(m, i), out);
    return AM_OK;
}

/* ------------------------------------------------------------ restore */

/* Put a restored entry back where it was when the saved place is still its
 * hashed place (same key) and free; 1 when it went into a table. */
static int restore_place(am_man *m, entry *e, const am_place *pl)
{
    if (pl->in_tried) {
        uint32_t b = am__tried_bucket(m, &e->addr);
        unsigned s = am__slot(m, 1, b, &e->addr);
        if (pl->n < 1 || pl->bucket[0] != b || pl->slot[0] != s ||
            am_table_get(&m->tables[1], b, s) != AM_IDX_NONE)
            return 0;
        account(m, e, -1);
        e->in_tried = 1;
        e->loc[0] = LOC(b, s);
        am_table_put(&m->tables[1], b, s, IDX(m, e));
        if (am__eligible(e))
            am_table_mark(&m->tables[1], b, s, e->addr.net, e->services, 1);
        account(m, e, +1);
        return 1;
    }
    for (uint32_t k = 0; k < pl->n && k < AM_MAX_NEW_REFS; k++) {
        uint32_t b = pl->bucket[k];
        if (b >= m->tables[0].nb || pl->slot[k] != am__slot(m, 0, b, &e->addr) ||
            am_table_get(&m->tables[0], b, pl->slot[k]) != AM_IDX_NONE)
            continue;
        int dup = 0;
        for (unsigned j = 0; j < e->ref_count; j++)
            dup |= LOC_BUCKET(e->loc[j]) == b;
        if (!dup)
            new_slot_add(m, e, b, pl->slot[k]);
    }
    return e->ref_count > 0;
}

/* No usable saved place: tried peers to their tried slot when free, else
 * the own new slot under the usual replacement rule. */
/* A saved peer without a usable place: its tried slot when it wants one
 * and that slot is free, else its own new slot under the adding rules --
 * the group cap included, so that an import cannot fill the new table
 * with one group where adds could not.  AM_OK, AM_ERR_GROUP_CAP or
 * AM_ERR_REJECTED. */
static int restore_fresh(am_man *m, entry *e, int want_tried, int64_t now)
{
    if (want_tried) {
        am_place pl;
        pl.in_tried = 1;
        pl.n = 1;
        pl.bucket[0] = am__tried_bucket(m, &e->addr);
        pl.slot[0] = am__slot(m, 1, pl.bucket[0], &e->addr);
        if (restore_place(m, e, &pl))
            return AM_OK;
    }
    if (m->cfg.new_group_cap &&
        am_counter_get(&m->new_groups, am_addr_group_key(&e->addr)) >=
            m->cfg.new_group_cap)
        return AM_ERR_GROUP_CAP;
    uint32_t b = am__new_bucket(m, &e->addr, am__source_of(m, e));
    unsigned s = am__slot(m, 0, b, &e->addr);
    uint32_t occ = am_table_get(&m->tables[0], b, s);
    if (occ != AM_IDX_NONE) {
        if (!may_replace(E(m, occ), 0, now))
            return AM_ERR_REJECTED;
        new_slot_evict(m, b, s);
    }
    new_slot_add(m, e, b, s);
    return AM_OK;
}

/* The state a saved peer comes back in.  Bans are restored on their own;
 * a connection does not outlive the process that held it, so a saved
 * "connected" peer is a tried one (Floresta saves its connected peers so),
 * with its last success and last connection kept. */
static am_state restored_state(am_state saved)
{
    switch (saved) {
    case AM_STATE_BANNED:
        return AM_STATE_NEVER_TRIED;
    case AM_STATE_CONNECTED:
        return AM_STATE_TRIED;
    case AM_STATE_NEVER_TRIED:
    case AM_STATE_TRIED:
    case AM_STATE_FAILED:
        break;
    }
    return saved;
}

static const char *const state_names[AM_STATE_COUNT] = {
    [AM_STATE_NEVER_TRIED] = "never_tried",
    [AM_STATE_TRIED] = "tried",
    [AM_STATE_CONNECTED] = "connected",
    [AM_STATE_FAILED] = "failed",
    [AM_STATE_BANNED] = "banned",
};

const char *am_state_name(am_state state)
{
    if ((unsigned)state >= AM_STATE_COUNT)
        return "unknown";
    return state_names[state];
}

int am_state_from_name(const char *name, am_state *out)
{
    for (int s = 0; name != NULL && s < AM_STATE_COUNT; s++) {
        if (strcmp(name, state_names[s]) == 0) {
            *out = (am_state)s;
            return AM_OK;
        }
    }
    return AM_ERR_INVAL;
}

int am_restore(am_man *m, const am_peer *p, const am_place *place)
{
    if (!m || !p || p->id == 0 || p->id > AM_ID_MAX ||
        (unsigned)p->state >= AM_STATE_COUNT)
        return AM_ERR_INVAL;
    /* Saved records come from files: hold them to BIP155's rules, as the
     * wire decoder does, so that what goes in can be written out again. */
    am_addr chk;
    if (am_addr_from_bytes(&chk, p->addr.net, p->addr.bytes,
                           am_net_len(p->addr.net), p->addr.port) != AM_OK ||
        (p->has_source &&
         am_addr_from_bytes(&chk, p->source.net, p->source.bytes,
                            am_net_len(p->source.net), 0) != AM_OK))
        return AM_ERR_ADDR;
    am__tick(m);
    if (!am_addr_is_routable(&p->addr))
        return AM_ERR_UNROUTABLE;
    if (am__find_id(m, p->id) != AM_IDX_NONE || am__find_endpoint(m, &p->addr) != AM_IDX_NONE)
        return AM_ERR_EXISTS;

    int64_t now = am__now(m);
    uint32_t i;
    int rc = entry_create(m, p->id, &p->addr, endpoint_hash(m, &p->addr),
                          p->has_source ? &p->source : NULL, p->services,
                          t32(p->time), &i);
    if (rc != AM_OK)
        return rc;
    entry *e = E(m, i);
    e->last_try = t32(p->last_try);
    e->last_success = t32(p->last_success);
    e->last_connected = t32(p->last_connected);
    e->attempts = p->attempts;
    set_stored_state(m, e, restored_state(p->state));
    if (!(place && restore_place(m, e, place)) &&
        (rc = restore_fresh(m, e, place ? place->in_tried : p->in_tried,
                            now)) != AM_OK) {
        entry_delete(m, e);
        return rc;
    }
    if (e->state == AM_STATE_FAILED && p->last_try + m->cfg.retry_time > now &&
        m->cfg.retry_time > 0 &&
        ((e->flags & F_TIMED) ||
         timer_set(m, e, p->last_try + m->cfg.retry_time) == 0))
        am__set_flag(m, e, F_COOLING, 1);
    return AM_OK;
}

/* ------------------------------------------------------------ lookups */

int am_get(am_man *m, uint64_t id, am_peer *out)
{
    if (!m || !out)
        return AM_ERR_INVAL;
    am__tick(m);
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    am__to_peer(m, E(m, i), out);
    return AM_OK;
}

int am_has(am_man *m, uint64_t id)
{
    return m != NULL && am__find_id(m, id) != AM_IDX_NONE;
}

int am_hold(am_man *m, uint64_t id, int on)
{
    if (!m)
        return AM_ERR_INVAL;
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    am__set_flag(m, E(m, i), F_HELD, on);
    return AM_OK;
}

uint64_t am_removals(const am_man *m)
{
    return m ? m->removals : 0;
}

int am_held(am_man *m, uint64_t id)
{
    uint32_t i = m != NULL ? am__find_id(m, id) : AM_IDX_NONE;

    return i != AM_IDX_NONE && (E(m, i)->flags & F_HELD) != 0;
}

int am_find(am_man *m, const am_addr *endpoint, am_peer *out)
{
    if (!m || !endpoint || !out)
        return AM_ERR_INVAL;
    am__tick(m);
    uint32_t i = am__find_endpoint(m, endpoint);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    am__to_peer(m, E(m, i), out);
    return AM_OK;
}

int am_place_of(am_man *m, uint64_t id, am_place *out)
{
    if (!m || !out)
        return AM_ERR_INVAL;
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    const entry *e = E(m, i);
    memset(out, 0, sizeof *out);
    out->in_tried = e->in_tried;
    out->n = e->in_tried ? 1 : e->ref_count;
    for (uint32_t k = 0; k < out->n; k++) {
        out->bucket[k] = LOC_BUCKET(e->loc[k]);
        out->slot[k] = LOC_SLOT(e->loc[k]);
    }
    return AM_OK;
}

int am_remove(am_man *m, uint64_t id)
{
    if (!m)
        return AM_ERR_INVAL;
    am__tick(m);
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    entry_delete(m, E(m, i));
    return AM_OK;
}

/* ------------------------------------------------------------ listing */

static int filter_match(const am_filter *f, const entry *e)
{
    if (!f)
        return 1;
    if (f->states && !(f->states & (1u << effective_state(e))))
        return 0;
    if (f->networks && !(f->networks & (1u << e->addr.net)))
        return 0;
    if (f->table >= 0 && e->in_tried != f->table)
        return 0;
    return (e->services & f->services) == f->services;
}

int am_list(am_man *m, const am_filter *f, uint64_t after, am_peer *out,
            size_t cap, size_t *n_out, uint64_t *next)
{
    if (!m || !n_out || !next || (cap > 0 && !out))
        return AM_ERR_INVAL;
    am__tick(m);
    size_t n = 0;
    *next = 0;
    /* No id is above UINT64_MAX (after + 1 would wrap to the first). */
    for (size_t i = after == UINT64_MAX ? m->n_ids : ids_lower_bound(m, after + 1);
         i < m->n_ids; i++) {
        if (m->ids[i].idx == AM_IDX_NONE)
            continue;
        const entry *e = E(m, m->ids[i].idx);
        if (!filter_match(f, e))
            continue;
        if (n == cap) {
            /* One more match exists: the page is not the last. */
            *next = n > 0 ? out[n - 1].id : after;
            break;
        }
        am__to_peer(m, e, &out[n++]);
    }
    *n_out = n;
    return AM_OK;
}

/* -------------------------------------------------------------- stats */

void am_stats_get(am_man *m, am_stats *st)
{
    am__tick(m);
    memset(st, 0, sizeof *st);
    st->total = m->count;
    memcpy(st->by_state, m->by_state, sizeof st->by_state);
    for (int net = 0; net < AM_NET_MAX; net++)
        for (int t = 0; t < 2; t++) {
            st->by_net_table[net][t] = m->by_net_table[net][t];
            st->by_net[net] += m->by_net_table[net][t];
            st->by_table[t] += m->by_net_table[net][t];
        }
    for (int t = 0; t < 2; t++) {
        st->buckets[t] = m->tables[t].nb;
        st->buckets_used[t] = m->tables[t].used_buckets;
        st->slots_used[t] = m->tables[t].used_slots;
    }
    st->bans = m->n_bans;
    st->collisions = m->n_collisions;
    st->cooling = m->n_cooling;
    st->timers = m->cooling.n;
    st->new_groups = am_counter_size(&m->new_groups);
    st->next_id = m->next_id;
}
