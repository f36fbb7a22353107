/*
 * addrman.c - the address manager's lifecycle, time (retry timers), adding,
 * state changes (good, collisions), and restoring saved peers.
 *
 * Records and placement are in addrman_table.c, lookups and listing in
 * addrman_list.c, selection and sampling in addrman_select.c, bans in
 * addrman_ban.c, the consistency check in addrman_check.c.
 */
#include "addrman_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOUR 3600
#define DAY (24 * HOUR)
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

int am_admits(const am_man *m, const am_addr *a)
{
    am_addr c = am_addr_canon(*a);

    return m->cfg.allow_local ? am_addr_is_local_ok(&c)
                              : am_addr_is_routable(&c);
}

static uint32_t t32(int64_t t)
{
    if (t < 0)
        return 0;
    if (t > (int64_t)UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)t;
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
    am__maps_init(m);
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

entry *am__tick_find(am_man *m, uint64_t id)
{
    am__tick(m);
    uint32_t i = am__find_id(m, id);
    return i == AM_IDX_NONE ? NULL : E(m, i);
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

/* Refresh a known entry (Core's AddSingle on a known address); returns 1
 * when the entry should also try for one more new slot. */
static int refresh_known(am_man *m, entry *e, uint64_t services, int64_t time,
                         int64_t penalty, int64_t now)
{
    int online = now - time < DAY;
    int64_t interval = online ? HOUR : DAY;
    if ((int64_t)e->time < time - interval - penalty)
        e->time = t32(time - penalty);
    am__services_set(m, e, e->services | services);
    if (time <= (int64_t)e->time || e->in_tried ||
        e->ref_count >= AM_MAX_NEW_REFS)
        return 0;
    /* Each extra slot is half as likely as the one before. */
    return am_rng_below(&m->rng, UINT64_C(1) << e->ref_count) == 0;
}

/* Whether addr (from source) may be added at all; ticks, *now the time. */
static int add_allowed(am_man *m, const am_addr *addr, const am_addr *source,
                       int64_t *now)
{
    if (am_net_len(addr->net) == 0 || (source && am_net_len(source->net) == 0))
        return AM_ERR_ADDR;
    *now = am__tick(m);
    if (!am_admits(m, addr))
        return AM_ERR_UNROUTABLE;
    if (am__banned(m, addr))
        return AM_ERR_BANNED;
    return AM_OK;
}

int am_add(am_man *m, const am_addr *addr, const am_addr *source,
           uint64_t services, int64_t time, int64_t penalty, int *is_new,
           uint64_t *id_out)
{
    if (!m || !addr || !is_new)
        return AM_ERR_INVAL;
    *is_new = 0;
    am_addr canon = am_addr_canon(*addr), canon_src;
    addr = &canon;
    if (source) {
        canon_src = am_addr_canon(*source);
        source = &canon_src;
    }
    int64_t now;
    int rc = add_allowed(m, addr, source, &now);
    if (rc != AM_OK)
        return rc;
    int self = !source || am_addr_host_eq(addr, source);
    if (self || penalty < 0)
        penalty = 0;
    time = add_time(time, now);
    const am_addr *src = source ? source : addr;

    uint32_t ep_hash = am__endpoint_hash(m, addr);
    uint32_t i = am_idxmap_find(&m->endpoints, ep_hash, addr);
    entry *e = i == AM_IDX_NONE ? NULL : E(m, i);
    if (e) {
        if (id_out)
            *id_out = e->id;
        if (!refresh_known(m, e, services, time, penalty, now))
            return AM_OK;
    }

    /* A known address refused another slot is still known: AM_OK. */
    uint32_t b;
    unsigned s;
    rc = am__new_slot_choose(m, addr, src, i, e ? e->ref_count : 0, now, &b, &s);
    if (rc != AM_OK)
        return e ? AM_OK : rc;
    if (!e) {
        rc = am__entry_create(m, m->next_id, addr, ep_hash, src, services,
                              t32(time - penalty), &i);
        if (rc != AM_OK)
            return rc;
        e = E(m, i);
        *is_new = 1;
        if (id_out)
            *id_out = e->id;
    }
    am__new_slot_take(m, e, b, s);
    return AM_OK;
}

/* --------------------------------------------------------------- good */

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
    am__make_tried(m, e);
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
            am__collision_forget(m, ids[k]);
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
    am__account(m, e, -1);
    e->state = (uint8_t)st;
    am__account(m, e, +1);
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
        am__collision_forget(m, e->id);     /* a peer that failed evicts nobody */
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
        am__collision_forget(m, e->id);
        if (e->in_tried)
            am__move_to_new(m, e);
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
    entry *e = am__tick_find(m, id);
    if (!e)
        return AM_ERR_NOTFOUND;
    apply_op(m, e, op, am__now(m));
    am_peer snap;
    am__to_peer(m, e, &snap);
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
    entry *e = am__tick_find(m, id);
    if (!e)
        return AM_ERR_NOTFOUND;
    am__services_set(m, e, services);
    if (out)
        am__to_peer(m, e, out);
    return AM_OK;
}

/* ------------------------------------------------------------ restore */

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
        if (am__restore_place(m, e, &pl))
            return AM_OK;
    }
    uint32_t b;
    unsigned s;
    int rc = am__new_slot_choose(m, &e->addr, am__source_of(m, e), AM_IDX_NONE,
                                 0, now, &b, &s);
    if (rc == AM_OK)
        am__new_slot_take(m, e, b, s);
    return rc;
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

/* Whether the saved peer p may come back; ticks. */
static int restore_allowed(am_man *m, const am_peer *p)
{
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
    if (!am_admits(m, &p->addr))
        return AM_ERR_UNROUTABLE;
    if (am__find_id(m, p->id) != AM_IDX_NONE ||
        am__find_endpoint(m, &p->addr) != AM_IDX_NONE)
        return AM_ERR_EXISTS;
    return AM_OK;
}

/* A failed peer saved inside its retry time rests for what is left of it. */
static void restore_rest(am_man *m, entry *e, int64_t last_try, int64_t now)
{
    if (e->state == AM_STATE_FAILED && last_try + m->cfg.retry_time > now &&
        m->cfg.retry_time > 0 &&
        ((e->flags & F_TIMED) ||
         timer_set(m, e, last_try + m->cfg.retry_time) == 0))
        am__set_flag(m, e, F_COOLING, 1);
}

int am_restore(am_man *m, const am_peer *saved, const am_place *place)
{
    if (!m || !saved || saved->id == 0 || saved->id > AM_ID_MAX ||
        (unsigned)saved->state >= AM_STATE_COUNT)
        return AM_ERR_INVAL;
    am_peer canon = *saved;
    const am_peer *p = &canon;
    canon.addr = am_addr_canon(saved->addr);
    canon.source = am_addr_canon(saved->source);
    int rc = restore_allowed(m, p);
    if (rc != AM_OK)
        return rc;
    int64_t now = am__now(m);
    uint32_t i;
    rc = am__entry_create(m, p->id, &p->addr, am__endpoint_hash(m, &p->addr),
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
    if (!(place && am__restore_place(m, e, place)) &&
        (rc = restore_fresh(m, e, place ? place->in_tried : p->in_tried,
                            now)) != AM_OK) {
        am__entry_delete(m, e);
        return rc;
    }
    restore_rest(m, e, p->last_try, now);
    return AM_OK;
}
