/*
 * addrman_persist.c - the core calls persistence needs (addrman_persist.h).
 */
#include "addrman_persist.h"

#include <string.h>

#include "addrman_int.h"

int am_ban_restore(am_man *m, const am_ban *b)
{
    if (!m || !b)
        return AM_ERR_INVAL;
    if (memchr(b->reason, '\0', sizeof b->reason) == NULL)
        return AM_ERR_RANGE;
    int rc = am_ban_add(m, &b->target, b->until, b->reason, NULL);
    if (rc != AM_OK)
        return rc;
    /* am_ban_add stored the target with port 0 and stamped now: find it
     * the way it matches targets and put the saved time back. */
    for (size_t i = 0; i < m->n_bans; i++) {
        am_ban *x = &m->bans[i];
        if (x->target.prefix == b->target.prefix &&
            am_addr_host_eq(&x->target.base, &b->target.base)) {
            x->created = b->created;
            break;
        }
    }
    return AM_OK;
}

int am_id_floor(am_man *m, uint64_t next_id)
{
    if (!m)
        return AM_ERR_INVAL;
    if (next_id > AM_ID_MAX + 1)
        return AM_ERR_RANGE;
    if (next_id > m->next_id)
        m->next_id = next_id;
    return AM_OK;
}

int am_stored_state(am_man *m, uint64_t id, am_state *out)
{
    if (!m || !out)
        return AM_ERR_INVAL;
    uint32_t i = am__find_id(m, id);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    *out = (am_state)E(m, i)->state;
    return AM_OK;
}

int am_slot_owner(am_man *m, int tried, uint32_t bucket, uint32_t slot,
                  uint64_t *id)
{
    if (!m || !id || (tried != 0 && tried != 1) || slot >= AM_BUCKET_SIZE)
        return AM_ERR_INVAL;
    const am_table *t = &m->tables[tried];
    if (bucket >= t->nb)
        return AM_ERR_INVAL;
    uint32_t i = am_table_get(t, bucket, slot);
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    *id = E(m, i)->id;
    return AM_OK;
}

int am_home_slot(am_man *m, const am_addr *addr, const am_addr *source,
                 uint32_t *bucket, uint32_t *slot)
{
    if (!m || !addr || !bucket || !slot || am_net_len(addr->net) == 0 ||
        (source && am_net_len(source->net) == 0))
        return AM_ERR_INVAL;
    am_addr src = source ? *source : *addr;
    src.port = 0;   /* sources are kept as hosts; groups ignore the port */
    *bucket = am__new_bucket(m, addr, &src);
    *slot = am__slot(m, 0, *bucket, addr);
    return AM_OK;
}

size_t am_collision_ids(am_man *m, uint64_t ids[AM_MAX_COLLISIONS])
{
    if (!m || !ids)
        return 0;
    memcpy(ids, m->collisions, m->n_collisions * sizeof *ids);
    return m->n_collisions;
}
