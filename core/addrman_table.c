/*
 * addrman_table.c - records and placement: where an entry lives and which
 * table slots it takes.
 *
 * The keyed hashes that place an address (its buckets and slots, its
 * endpoint, its source), the interned sources, the entries' records and
 * their id index, and the moves between slots: into a new slot (evicting
 * the occupant when the adding rules allow), into tried (pushing the
 * occupant back to new), and back to a saved place on restore.  The
 * decisions of when to move are in addrman.c.
 */
#include "addrman_int.h"

#include <stdlib.h>
#include <string.h>

#include "siphash.h"

#define NEW_BUCKETS_PER_SOURCE_GROUP 64
#define TRIED_BUCKETS_PER_GROUP 8

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
uint32_t am__endpoint_hash(const am_man *m, const am_addr *a)
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
    return am_idxmap_find(&m->endpoints, am__endpoint_hash(m, a), a);
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

void am__maps_init(am_man *m)
{
    am_idxmap_init(&m->endpoints, endpoint_hash_idx, endpoint_eq, m);
    am_idxmap_init(&m->srcmap, source_hash_idx, source_eq, m);
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

am_state am__effective_state(const entry *e)
{
    return (e->flags & F_BANNED) ? AM_STATE_BANNED : (am_state)e->state;
}

/* Counters follow an entry: take it out before a change, back in after. */
void am__account(am_man *m, const entry *e, int sign)
{
    size_t d = (size_t)(sign < 0 ? -1 : 1);
    m->by_state[am__effective_state(e)] += d;
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
    am__account(m, e, -1);
    if (on)
        e->flags |= (uint8_t)flag;
    else
        e->flags &= (uint8_t)~flag;
    am__account(m, e, +1);
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
    out->state = am__effective_state(e);
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
size_t am__ids_lower_bound(am_man *m, uint64_t id)
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
    size_t i = am__ids_lower_bound(m, id);
    if (i < m->n_ids && m->ids[i].id == id)
        return m->ids[i].idx;
    return AM_IDX_NONE;
}

static void ids_kill(am_man *m, uint64_t id)
{
    size_t i = am__ids_lower_bound(m, id);
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
/* The fields of a new record, never tried; the rest zero. */
static void entry_init(entry *e, uint64_t id, const am_addr *addr,
                       uint32_t ep_hash, uint32_t srci, int self,
                       uint64_t services, uint32_t time)
{
    memset(e, 0, sizeof *e);
    e->addr = *addr;
    e->src = srci;
    e->ep_hash = ep_hash;
    e->id = id;
    e->services = services;
    e->time = time;
    e->state = AM_STATE_NEVER_TRIED;
    e->flags = F_LIVE | (self ? F_SELF_SRC : 0);
}

int am__entry_create(am_man *m, uint64_t id, const am_addr *addr,
                     uint32_t ep_hash, const am_addr *src, uint64_t services,
                     uint32_t time, uint32_t *out)
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
    entry_init(e, id, addr, ep_hash, srci, self, services, time);
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
    am__account(m, e, +1);
    *out = i;
    return AM_OK;
}

void am__collision_forget(am_man *m, uint64_t id)
{
    for (size_t i = 0; i < m->n_collisions; i++)
        if (m->collisions[i] == id) {
            m->collisions[i] = m->collisions[--m->n_collisions];
            return;
        }
}

void am__services_set(am_man *m, entry *e, uint64_t services)
{
    if (services == e->services)
        return;
    if (am__eligible(e))
        mark_slots(m, e, 0);
    e->services = services;
    if (am__eligible(e))
        mark_slots(m, e, 1);
}

/* ---------------------------------------------------------- placement */

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

void am__entry_delete(am_man *m, entry *e)
{
    uint32_t i = IDX(m, e);
    if (e->in_tried)
        tried_slot_drop(m, e);
    while (e->ref_count > 0)
        new_slot_drop(m, e, e->ref_count - 1);
    if (e->flags & F_COOLING)
        m->n_cooling--;
    am__account(m, e, -1);
    am__collision_forget(m, e->id);
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
        am__entry_delete(m, o);
}

/* May a newcomer with `ref_count` slots take the new slot held by o? */
static int may_replace(const entry *o, unsigned ref_count, int64_t now)
{
    return am__terrible(o, now) || (o->ref_count > 1 && ref_count == 0);
}

int am__new_slot_choose(am_man *m, const am_addr *addr, const am_addr *src,
                        uint32_t self, unsigned refs, int64_t now,
                        uint32_t *b, unsigned *s)
{
    /* The cap counts slots, not addresses: re-announcing the same
     * addresses from many sources must not multiply a group's share. */
    if (m->cfg.new_group_cap &&
        am_counter_get(&m->new_groups, am_addr_group_key(addr)) >=
            m->cfg.new_group_cap)
        return AM_ERR_GROUP_CAP;
    *b = am__new_bucket(m, addr, src);
    *s = am__slot(m, 0, *b, addr);
    uint32_t occ = am_table_get(&m->tables[0], *b, *s);
    if (occ != AM_IDX_NONE && occ == self)
        return AM_ERR_EXISTS;
    if (occ != AM_IDX_NONE && !may_replace(E(m, occ), refs, now))
        return AM_ERR_REJECTED;
    return AM_OK;
}

void am__new_slot_take(am_man *m, entry *e, uint32_t b, unsigned s)
{
    if (am_table_get(&m->tables[0], b, s) != AM_IDX_NONE)
        new_slot_evict(m, b, s);
    new_slot_add(m, e, b, s);
}

/* Put e (in no slot now) into tried slot (b, s), which is free. */
static void tried_put(am_man *m, entry *e, uint32_t b, unsigned s)
{
    am__account(m, e, -1);
    e->in_tried = 1;
    e->loc[0] = LOC(b, s);
    am_table_put(&m->tables[1], b, s, IDX(m, e));
    if (am__eligible(e))
        am_table_mark(&m->tables[1], b, s, e->addr.net, e->services, 1);
    am__account(m, e, +1);
}

/* Put an entry that is in no table into its own new slot, evicting the
 * occupant (Core does this to a tried entry pushed back to new). */
static void place_in_own_new_slot(am_man *m, entry *e)
{
    uint32_t b = am__new_bucket(m, &e->addr, am__source_of(m, e));
    am__new_slot_take(m, e, b, am__slot(m, 0, b, &e->addr));
}

void am__move_to_new(am_man *m, entry *e)
{
    am__account(m, e, -1);
    tried_slot_drop(m, e);
    e->in_tried = 0;
    e->ref_count = 0;
    place_in_own_new_slot(m, e);
    am__account(m, e, +1);
}

/* Move to tried; whoever holds the tried slot goes back to new. */
void am__make_tried(am_man *m, entry *e)
{
    uint32_t b = am__tried_bucket(m, &e->addr);
    unsigned s = am__slot(m, 1, b, &e->addr);
    uint32_t occ = am_table_get(&m->tables[1], b, s);

    while (e->ref_count > 0)
        new_slot_drop(m, e, e->ref_count - 1);
    if (occ != AM_IDX_NONE)
        am__move_to_new(m, E(m, occ));
    tried_put(m, e, b, s);
    am__collision_forget(m, e->id);
}

/* Put a restored entry back where it was when the saved place is still its
 * hashed place (same key) and free; 1 when it went into a table. */
int am__restore_place(am_man *m, entry *e, const am_place *pl)
{
    if (pl->in_tried) {
        uint32_t b = am__tried_bucket(m, &e->addr);
        unsigned s = am__slot(m, 1, b, &e->addr);
        if (pl->n < 1 || pl->bucket[0] != b || pl->slot[0] != s ||
            am_table_get(&m->tables[1], b, s) != AM_IDX_NONE)
            return 0;
        tried_put(m, e, b, s);
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
