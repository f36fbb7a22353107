/*
 * addrman_check.c - am_check: every invariant of the address manager.
 *
 * Slow on purpose (it rebuilds every index from the entries and compares);
 * tests call it after each operation, the service behind a debug option.
 */
#include "addrman_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct checker {
    am_man *m;
    char *why;
    size_t why_len;
} checker;

static int fail(checker *c, const char *fmt, ...)
{
    if (c->why && c->why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, c->why_len, fmt, ap);
        va_end(ap);
    }
    return AM_ERR_INTERNAL;
}

static int check_entry_place(checker *c, uint32_t i, const entry *e)
{
    am_man *m = c->m;
    if (e->in_tried) {
        uint32_t b = am__tried_bucket(m, &e->addr);
        unsigned s = am__slot(m, 1, b, &e->addr);
        if (e->ref_count != 0 || e->loc[0] != LOC(b, s))
            return fail(c, "id %llu: tried place %u/%u is not its hashed place",
                        (unsigned long long)e->id, LOC_BUCKET(e->loc[0]),
                        LOC_SLOT(e->loc[0]));
        if (am_table_get(&m->tables[1], b, s) != i)
            return fail(c, "id %llu: tried slot does not hold it",
                        (unsigned long long)e->id);
        return AM_OK;
    }
    if (e->ref_count < 1 || e->ref_count > AM_MAX_NEW_REFS)
        return fail(c, "id %llu: ref_count %u", (unsigned long long)e->id,
                    e->ref_count);
    for (unsigned k = 0; k < e->ref_count; k++) {
        uint32_t b = LOC_BUCKET(e->loc[k]);
        if (b >= m->tables[0].nb || LOC_SLOT(e->loc[k]) != am__slot(m, 0, b, &e->addr))
            return fail(c, "id %llu: new slot %u is not its hashed slot",
                        (unsigned long long)e->id, k);
        if (am_table_get(&m->tables[0], b, LOC_SLOT(e->loc[k])) != i)
            return fail(c, "id %llu: new slot %u does not hold it",
                        (unsigned long long)e->id, k);
        for (unsigned j = 0; j < k; j++)
            if (LOC_BUCKET(e->loc[j]) == b)
                return fail(c, "id %llu: twice in new bucket %u",
                            (unsigned long long)e->id, b);
    }
    return AM_OK;
}

static int check_entry(checker *c, uint32_t i, const entry *e, size_t *cooling,
                       size_t *timed)
{
    am_man *m = c->m;
    if (!(e->flags & F_LIVE))
        return fail(c, "rnd lists dead index %u", i);
    if (e->id == 0 || e->id >= m->next_id)
        return fail(c, "id %llu out of range", (unsigned long long)e->id);
    if (am__find_id(m, e->id) != i)
        return fail(c, "id %llu not found by id", (unsigned long long)e->id);
    if (!am_admits(m, &e->addr))
        return fail(c, "id %llu is not admitted (unroutable)",
                    (unsigned long long)e->id);
    if (e->state >= AM_STATE_BANNED)
        return fail(c, "id %llu: stored state %u", (unsigned long long)e->id, e->state);
    if (!!(e->flags & F_BANNED) != am__banned(m, &e->addr))
        return fail(c, "id %llu: banned flag disagrees with the ban list",
                    (unsigned long long)e->id);
    *timed += (e->flags & F_TIMED) != 0;
    if (e->flags & F_COOLING) {
        (*cooling)++;
        if (e->state != AM_STATE_FAILED)
            return fail(c, "id %llu rests but has not failed", (unsigned long long)e->id);
        if (!(e->flags & F_TIMED))
            return fail(c, "id %llu rests with no timer to end it", (unsigned long long)e->id);
    }
    if (e->src != AM_IDX_NONE && (e->src >= m->s_high || m->s[e->src].refs == 0))
        return fail(c, "id %llu: dangling source", (unsigned long long)e->id);
    const am_addr *src = am__source_of(m, e);
    if (e->addr.net != am_addr_canon(e->addr).net ||
        (src != NULL && src->net != am_addr_canon(*src).net))
        return fail(c, "id %llu: an address not in the pool's form (fc00::/8 "
                    "held as IPv6)", (unsigned long long)e->id);
    return check_entry_place(c, i, e);
}

static int check_entries(checker *c)
{
    am_man *m = c->m;
    size_t by_state[AM_STATE_COUNT] = {0}, by_nt[AM_NET_MAX][2];
    size_t cooling = 0, timed = 0;
    memset(by_nt, 0, sizeof by_nt);
    for (size_t k = 0; k < m->count; k++) {
        uint32_t i = m->rnd[k];
        const entry *e = E(m, i);
        if (i >= m->e_high || e->rpos != k)
            return fail(c, "rnd[%zu] = %u has rpos %u", k, i, e->rpos);
        int rc = check_entry(c, i, e, &cooling, &timed);
        if (rc != AM_OK)
            return rc;
        if (am__find_endpoint(m, &e->addr) != i)
            return fail(c, "id %llu not found by endpoint", (unsigned long long)e->id);
        by_state[(e->flags & F_BANNED) ? AM_STATE_BANNED : e->state]++;
        by_nt[e->addr.net][e->in_tried]++;
    }
    if (memcmp(by_state, m->by_state, sizeof by_state) != 0)
        return fail(c, "state counters disagree with the entries");
    if (memcmp(by_nt, m->by_net_table, sizeof by_nt) != 0)
        return fail(c, "network/table counters disagree with the entries");
    if (cooling != m->n_cooling)
        return fail(c, "%zu resting peers, counter says %zu", cooling, m->n_cooling);
    if (timed > m->cooling.n)
        return fail(c, "%zu peers have a retry timer, the queue holds %zu", timed,
                    m->cooling.n);
    if (m->endpoints.n != m->count)
        return fail(c, "endpoint map holds %zu, entries %zu", m->endpoints.n, m->count);
    size_t live = 0;
    for (uint32_t i = 0; i < m->e_high; i++)
        live += (E(m, i)->flags & F_LIVE) != 0;
    if (live != m->count)
        return fail(c, "%zu live records, %zu listed", live, m->count);
    return AM_OK;
}

/* Slot s of bucket b holds a live entry of this table that lists it. */
static int check_slot(checker *c, int tried, uint32_t b, unsigned s,
                      uint32_t i)
{
    am_man *m = c->m;
    const entry *e = i < m->e_high ? E(m, i) : NULL;
    if (!e || !(e->flags & F_LIVE) || e->in_tried != tried)
        return fail(c, "table %d bucket %u slot %u holds a stranger", tried,
                    b, s);
    int listed = 0;
    unsigned refs = tried ? 1 : e->ref_count;
    for (unsigned k = 0; k < refs; k++)
        listed |= e->loc[k] == LOC(b, s);
    if (!listed)
        return fail(c, "table %d bucket %u slot %u: entry does not list it",
                    tried, b, s);
    return AM_OK;
}

/* Check bucket b's slots, count them into *used, and mark the eligible
 * ones in want (the key masks rebuilt). */
static int check_bucket(checker *c, int tried, uint32_t b, uint64_t *want,
                        size_t *used)
{
    am_man *m = c->m;
    am_table *t = &m->tables[tried];
    uint64_t occ = 0;
    for (unsigned s = 0; s < AM_TABLE_SLOTS; s++) {
        uint32_t i = am_table_get(t, b, s);
        if (i == AM_IDX_NONE)
            continue;
        int rc = check_slot(c, tried, b, s, i);
        if (rc != AM_OK)
            return rc;
        uint64_t bit = UINT64_C(1) << s;
        const entry *e = E(m, i);
        occ |= bit;
        ++*used;
        if (!am__eligible(e))
            continue;
        want[(size_t)AM_KEY_ALL * t->nb + b] |= bit;
        want[(size_t)AM_KEY_NET(e->addr.net) * t->nb + b] |= bit;
        for (int k = 0; k < 64; k++)
            if (e->services >> k & 1)
                want[(size_t)k * t->nb + b] |= bit;
    }
    if (occ != t->occ[b])
        return fail(c, "table %d bucket %u occupancy mask is wrong", tried, b);
    return AM_OK;
}

/* Each key's list holds exactly the buckets whose mask for it is not 0. */
static int check_lists(checker *c, int tried)
{
    am_table *t = &c->m->tables[tried];
    for (int k = 0; k < AM_KEY_COUNT; k++) {
        uint32_t nonzero = 0;
        for (uint32_t b = 0; b < t->nb; b++) {
            size_t at = (size_t)k * t->nb + b;
            uint32_t pos = am_table_list_pos(t, k, b);
            if (t->mask[at] == 0 && pos != AM_IDX_NONE)
                return fail(c, "table %d key %d: empty bucket %u listed",
                            tried, k, b);
            if (t->mask[at] != 0 && pos == AM_IDX_NONE)
                return fail(c, "table %d key %d: bucket %u not listed",
                            tried, k, b);
            nonzero += t->mask[at] != 0;
        }
        if (nonzero != t->nlist[k])
            return fail(c, "table %d key %d: list length is wrong", tried, k);
    }
    return AM_OK;
}

/* Rebuild every key mask of a table from its slots and compare. */
static int check_table(checker *c, int tried)
{
    am_table *t = &c->m->tables[tried];
    size_t keyed = (size_t)AM_KEY_COUNT * t->nb;
    uint64_t *want = calloc(keyed, sizeof *want);
    if (!want)
        return AM_ERR_NOMEM;
    int rc = AM_OK;
    size_t used = 0;
    uint32_t used_b = 0;
    for (uint32_t b = 0; b < t->nb && rc == AM_OK; b++) {
        rc = check_bucket(c, tried, b, want, &used);
        used_b += t->occ[b] != 0;
    }
    if (rc == AM_OK && (used != t->used_slots || used_b != t->used_buckets))
        rc = fail(c, "table %d usage counters are wrong", tried);
    if (rc == AM_OK && memcmp(want, t->mask, keyed * sizeof *want) != 0)
        rc = fail(c, "table %d eligibility masks are wrong", tried);
    if (rc == AM_OK)
        rc = check_lists(c, tried);
    free(want);
    return rc;
}

static int check_ids(checker *c)
{
    am_man *m = c->m;
    size_t dead = 0, live = 0;
    for (size_t i = 0; i < m->n_ids; i++) {
        if (m->ids[i].idx == AM_IDX_NONE) {
            dead++;
            continue;
        }
        live++;
        if (!m->ids_unsorted && i > 0 && m->ids[i - 1].id >= m->ids[i].id)
            return fail(c, "id list out of order at %zu", i);
        if (E(m, m->ids[i].idx)->id != m->ids[i].id)
            return fail(c, "id list points id %llu at another record",
                        (unsigned long long)m->ids[i].id);
    }
    if (dead != m->n_dead_ids || live != m->count)
        return fail(c, "id list counts are wrong");
    return AM_OK;
}

static int check_sources(checker *c)
{
    am_man *m = c->m;
    size_t used = 0;
    uint32_t *refs = calloc(m->s_high ? m->s_high : 1, sizeof *refs);
    if (!refs)
        return AM_ERR_NOMEM;
    for (size_t k = 0; k < m->count; k++) {
        const entry *e = E(m, m->rnd[k]);
        if (e->src != AM_IDX_NONE)
            refs[e->src]++;
    }
    int rc = AM_OK;
    for (uint32_t i = 0; i < m->s_high && rc == AM_OK; i++) {
        if (refs[i] != m->s[i].refs)
            rc = fail(c, "source %u has %u references, counter says %u", i,
                      refs[i], m->s[i].refs);
        used += refs[i] > 0;
    }
    if (rc == AM_OK && used != m->srcmap.n)
        rc = fail(c, "source map holds %zu, %zu in use", m->srcmap.n, used);
    free(refs);
    return rc;
}

/* Recount the new-table slots of every group. */
static int check_groups(checker *c)
{
    am_man *m = c->m;
    am_counter want;
    am_counter_init(&want);
    int rc = AM_OK;
    for (size_t k = 0; k < m->count && rc == AM_OK; k++) {
        const entry *e = E(m, m->rnd[k]);
        for (unsigned r = 0; !e->in_tried && r < e->ref_count && rc == AM_OK; r++)
            if (am_counter_inc(&want, am_addr_group_key(&e->addr)) != 0)
                rc = AM_ERR_NOMEM;
    }
    uint64_t key = 0;
    int differ = rc == AM_OK ? am_counter_differ(&want, &m->new_groups, &key) : 0;
    if (differ == 1)
        rc = fail(c, "group %016llx: %u new slots, counter says %u",
                  (unsigned long long)key, am_counter_get(&want, key),
                  am_counter_get(&m->new_groups, key));
    else if (differ == 2)
        rc = fail(c, "%zu groups in the new table, counter has %zu",
                  am_counter_size(&want), am_counter_size(&m->new_groups));
    am_counter_free(&want);
    return rc;
}

static int check_misc(checker *c)
{
    am_man *m = c->m;
    for (size_t i = 0; i < m->n_collisions; i++) {
        if (am__find_id(m, m->collisions[i]) == AM_IDX_NONE)
            return fail(c, "collision names a forgotten id");
        for (size_t j = 0; j < i; j++)
            if (m->collisions[j] == m->collisions[i])
                return fail(c, "collision listed twice");
    }
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < m->n_bans; i++) {
        const am_subnet *t = &m->bans[i].target;
        size_t len = am_net_len(t->base.net);
        if (len == 0 || t->prefix > 8 * len)
            return fail(c, "ban %zu has an impossible target", i);
        if (m->bans[i].until < next)
            next = m->bans[i].until;
    }
    if (next != m->next_ban_expiry)
        return fail(c, "next ban expiry is wrong");
    return AM_OK;
}

int am_check(am_man *m, char *why, size_t why_len)
{
    checker c = {m, why, why_len};
    if (why && why_len)
        why[0] = '\0';
    if (!m)
        return AM_ERR_INVAL;
    /* Bring time-driven state (expired bans, finished retry waits) up to
     * the clock first: the flags follow the ban list as of the last call. */
    am__tick(m);
    int rc;
    if ((rc = check_ids(&c)) != AM_OK || (rc = check_entries(&c)) != AM_OK ||
        (rc = check_table(&c, 0)) != AM_OK || (rc = check_table(&c, 1)) != AM_OK ||
        (rc = check_sources(&c)) != AM_OK || (rc = check_groups(&c)) != AM_OK ||
        (rc = check_misc(&c)) != AM_OK)
        return rc;
    return AM_OK;
}
