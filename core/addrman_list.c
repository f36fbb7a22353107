/*
 * addrman_list.c - lookups, listing and statistics: reading the address
 * manager (and am_hold / am_remove, which act on one peer found by id).
 */
#include "addrman_int.h"

#include <string.h>

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

/* ------------------------------------------------------------ lookups */

int am_get(am_man *m, uint64_t id, am_peer *out)
{
    if (!m || !out)
        return AM_ERR_INVAL;
    entry *e = am__tick_find(m, id);
    if (!e)
        return AM_ERR_NOTFOUND;
    am__to_peer(m, e, out);
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
    am_addr canon = am_addr_canon(*endpoint);
    uint32_t i = am__find_endpoint(m, &canon);
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
    entry *e = am__tick_find(m, id);
    if (!e)
        return AM_ERR_NOTFOUND;
    am__entry_delete(m, e);
    return AM_OK;
}

/* ------------------------------------------------------------ listing */

static int filter_match(const am_filter *f, const entry *e)
{
    if (!f)
        return 1;
    if (f->states && !(f->states & (1u << am__effective_state(e))))
        return 0;
    if (f->networks && !(f->networks & (1u << e->addr.net)))
        return 0;
    if (f->table >= 0 && e->in_tried != f->table)
        return 0;
    if (f->verified_since > 0 && (int64_t)e->last_success < f->verified_since)
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
    for (size_t i = after == UINT64_MAX ? m->n_ids : am__ids_lower_bound(m, after + 1);
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

void am_verify_stats_get(am_man *m, int64_t since, am_verify_stats *st)
{
    am__tick(m);
    memset(st, 0, sizeof *st);
    st->peers = m->count;
    for (size_t k = 0; k < m->count; k++) {
        const entry *e = E(m, m->rnd[k]);
        int64_t tried_at = (int64_t)e->last_try;

        if (tried_at == 0)
            st->never_checked++;
        else if (st->oldest_check == 0 || tried_at < st->oldest_check)
            st->oldest_check = tried_at;
        if (e->in_tried) {
            st->tried++;
            st->tried_verified += (int64_t)e->last_success >= since;
        }
    }
}

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
