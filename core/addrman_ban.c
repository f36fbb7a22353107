/*
 * addrman_ban.c - the ban list.
 *
 * Bans are few (an operator's list), peers are many, so bans are kept in a
 * plain array in the order they were made, and each peer carries an F_BANNED
 * flag that is recomputed whenever the list changes.  Selection and relay
 * then only look at the flag.  A ban lifts itself: every operation first
 * expires the bans whose time has come (am__tick).
 */
#include "addrman_int.h"

#include <stdlib.h>
#include <string.h>

static int ban_active(const am_ban *b, int64_t now)
{
    return now < b->until;
}

int am__banned(am_man *m, const am_addr *a)
{
    if (m->n_bans == 0)
        return 0;
    int64_t now = am__now(m);
    for (size_t i = 0; i < m->n_bans; i++)
        if (ban_active(&m->bans[i], now) && am_subnet_contains(&m->bans[i].target, a))
            return 1;
    return 0;
}

static void recompute_next_expiry(am_man *m)
{
    m->next_ban_expiry = INT64_MAX;
    for (size_t i = 0; i < m->n_bans; i++)
        if (m->bans[i].until < m->next_ban_expiry)
            m->next_ban_expiry = m->bans[i].until;
}

/* After bans went away: peers no remaining ban covers are free again. */
static void unflag_freed(am_man *m)
{
    for (size_t k = 0; k < m->count; k++) {
        entry *e = E(m, m->rnd[k]);
        if ((e->flags & F_BANNED) && !am__banned(m, &e->addr))
            am__set_flag(m, e, F_BANNED, 0);
    }
}

static void flag_covered(am_man *m, const am_subnet *target)
{
    for (size_t k = 0; k < m->count; k++) {
        entry *e = E(m, m->rnd[k]);
        if (!(e->flags & F_BANNED) && am_subnet_contains(target, &e->addr))
            am__set_flag(m, e, F_BANNED, 1);
    }
}

void am__expire_bans(am_man *m, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_bans; i++)
        if (ban_active(&m->bans[i], now))
            m->bans[n++] = m->bans[i];
    int removed = n != m->n_bans;
    m->n_bans = n;
    recompute_next_expiry(m);
    if (removed)
        unflag_freed(m);
}

static int same_target(const am_subnet *a, const am_subnet *b)
{
    return a->prefix == b->prefix && am_addr_host_eq(&a->base, &b->base);
}

static am_ban *find_ban(am_man *m, const am_subnet *target)
{
    for (size_t i = 0; i < m->n_bans; i++)
        if (same_target(&m->bans[i].target, target))
            return &m->bans[i];
    return NULL;
}

static int target_valid(const am_subnet *t)
{
    size_t len = am_net_len(t->base.net);
    return len > 0 && t->prefix <= 8 * len;
}

static int ban_slot(am_man *m, am_ban **out)
{
    if (m->n_bans == m->bans_cap) {
        size_t cap = m->bans_cap ? m->bans_cap * 2 : 16;
        am_ban *bans = realloc(m->bans, cap * sizeof *bans);
        if (!bans)
            return AM_ERR_NOMEM;
        m->bans = bans;
        m->bans_cap = cap;
    }
    *out = &m->bans[m->n_bans++];
    return AM_OK;
}

int am_ban_add(am_man *m, const am_subnet *target, int64_t until,
               const char *reason, am_ban *out)
{
    if (!m || !target || !target_valid(target))
        return AM_ERR_INVAL;
    if (!reason)
        reason = "";
    if (strlen(reason) >= AM_BAN_REASON_MAX)
        return AM_ERR_RANGE;
    am__tick(m);
    int64_t now = am__now(m);
    if (until <= now)
        return AM_ERR_RANGE;

    am_ban *b = find_ban(m, target);
    if (!b) {
        int rc = ban_slot(m, &b);
        if (rc != AM_OK)
            return rc;
        memset(b, 0, sizeof *b);
        b->target = *target;
        b->target.base.port = 0;
        b->created = now;
    }
    b->until = until;
    strcpy(b->reason, reason);
    if (out)
        *out = *b;
    recompute_next_expiry(m);
    flag_covered(m, &b->target);
    return AM_OK;
}

int am_ban_remove(am_man *m, const am_subnet *target)
{
    if (!m || !target)
        return AM_ERR_INVAL;
    am__tick(m);
    am_ban *b = find_ban(m, target);
    if (!b)
        return AM_ERR_NOTFOUND;
    size_t i = (size_t)(b - m->bans);
    memmove(&m->bans[i], &m->bans[i + 1], (m->n_bans - i - 1) * sizeof *b);
    m->n_bans--;
    recompute_next_expiry(m);
    unflag_freed(m);
    return AM_OK;
}

void am_ban_clear(am_man *m)
{
    m->n_bans = 0;
    recompute_next_expiry(m);
    unflag_freed(m);
}

size_t am_ban_count(am_man *m)
{
    am__tick(m);
    return m->n_bans;
}

int am_ban_list(am_man *m, am_ban *out, size_t cap, size_t *n_out)
{
    if (!m || !n_out || (cap > 0 && !out))
        return AM_ERR_INVAL;
    am__tick(m);
    size_t n = m->n_bans < cap ? m->n_bans : cap;
    if (n > 0)
        memcpy(out, m->bans, n * sizeof *out);
    *n_out = n;
    return AM_OK;
}

int am_is_banned(am_man *m, const am_addr *a)
{
    am_addr canon = am_addr_canon(*a);

    am__tick(m);
    return am__banned(m, &canon);
}
