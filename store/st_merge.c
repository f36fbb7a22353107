/*
 * st_merge.c - applying read peer records to the core (see st_merge.h).
 */
#include "st_merge.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLD_TIME_FLOOR 100000000
#define MAX_FUTURE 600
#define BOGUS_TIME_AGE (5 * 86400)

/* ---------------------------------------------------------------- docs */

void st_doc_init(st_doc *d)
{
    memset(d, 0, sizeof *d);
}

void st_doc_free(st_doc *d)
{
    free(d->recs);
    st_doc_init(d);
}

int st_doc_reserve(st_doc *d, size_t n)
{
    st_rec *recs;

    if (n <= d->cap)
        return AM_OK;
    if (n > SIZE_MAX / sizeof *recs)
        return AM_ERR_NOMEM;
    recs = realloc(d->recs, n * sizeof *recs);
    if (recs == NULL)
        return AM_ERR_NOMEM;
    d->recs = recs;
    d->cap = n;
    return AM_OK;
}

st_rec *st_doc_push(st_doc *d, size_t index)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        st_rec *recs = realloc(d->recs, cap * sizeof *recs);
        if (recs == NULL)
            return NULL;
        d->recs = recs;
        d->cap = cap;
    }
    st_rec *r = &d->recs[d->n++];
    memset(r, 0, sizeof *r);
    r->index = index;
    return r;
}

/* -------------------------------------------------------------- results */

void st_merge_result_init(st_merge_result *r)
{
    memset(r, 0, sizeof *r);
}

void st_merge_result_free(st_merge_result *r)
{
    free(r->errors);
    st_merge_result_init(r);
}

const char *st_entry_err_name(st_entry_err e)
{
    switch (e) {
    case ST_ENTRY_BAD:
        return "bad_request";
    case ST_ENTRY_BAD_ADDRESS:
        return "invalid_address";
    }
    return "bad_request";
}

void st_merge_error_add(st_merge_result *r, size_t index, st_entry_err code,
                         const char *fmt, ...)
{
    va_list ap;

    r->n_errors++;
    if (r->errors_kept == ST_MERGE_MAX_ERRORS)
        return;
    if (r->errors_kept == r->errors_cap) {
        size_t cap = r->errors_cap ? r->errors_cap * 2 : 16;
        st_merge_error *e = realloc(r->errors, cap * sizeof *e);
        if (e == NULL)
            return;     /* counted, not detailed: the answer stays valid */
        r->errors = e;
        r->errors_cap = cap;
    }
    st_merge_error *e = &r->errors[r->errors_kept++];
    e->index = index;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void st_merge_ignore(st_merge_result *r, st_ignore why)
{
    st_ignore_count(&r->ignored, r->ignored_by, why);
}

void st_merge_unreadable(st_merge_result *r, const char *fmt, ...)
{
    va_list ap;

    r->unreadable = 1;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

void st_merge_result_write(js_w *w, const st_merge_result *r)
{
    js_w_object(w);
    js_w_ku64(w, "added", r->added);
    js_w_ku64(w, "updated", r->updated);
    st_ignored_write(w, r->ignored, r->ignored_by);
    js_w_key(w, "errors");
    js_w_array(w);
    for (size_t i = 0; i < r->errors_kept; i++) {
        js_w_object(w);
        js_w_ku64(w, "index", r->errors[i].index);
        js_w_kstr(w, "code", st_entry_err_name(r->errors[i].code));
        js_w_kstr(w, "message", r->errors[i].message);
        js_w_object_end(w);
    }
    js_w_array_end(w);
    js_w_object_end(w);
}

/* ---------------------------------------------------------------- merge */

int st_merge_text(am_man *m, st_read_fn read, const char *text, size_t len,
                  const st_merge_opts *opts, st_merge_result *r)
{
    st_doc doc;
    int rc;

    st_doc_init(&doc);
    rc = read(text, len, &doc, r);
    if (rc == AM_OK)
        rc = st_merge_doc(m, &doc, opts, r);
    st_doc_free(&doc);
    return rc;
}

int64_t st_merge_fix_time(int64_t time, int64_t now)
{
    if (time <= OLD_TIME_FLOOR || time > now + MAX_FUTURE)
        return now - BOGUS_TIME_AGE;
    return time;
}

static int changed(const st_merge_opts *o, am_man *m, uint64_t id,
                   const am_ban *ban)
{
    return o->on_change ? o->on_change(o->ctx, m, id, ban) : AM_OK;
}

/* Floresta's Banned(t) with t ahead: ban that one address until t. */
static int merge_ban(am_man *m, const st_rec *rec, const st_merge_opts *o,
                     st_merge_result *r)
{
    am_subnet t;
    am_ban ban;

    st_merge_ignore(r, ST_IGN_BANNED_ENTRY);
    if (am_is_banned(m, &rec->addr))
        return AM_OK;       /* already covered: never shorten a longer ban */
    memset(&t, 0, sizeof t);
    t.base = rec->addr;
    t.base.port = 0;
    t.prefix = (uint16_t)(8 * am_net_len(rec->addr.net));
    if (am_ban_add(m, &t, rec->ban_until, ST_BAN_REASON_IMPORTED, &ban) !=
        AM_OK)
        return AM_OK;
    r->bans++;
    return changed(o, m, 0, &ban);
}

/* The record's host:port for a message ("?" when it cannot be written). */
static void rec_endpoint(const st_rec *rec, char ep[AM_ADDR_STRLEN])
{
    if (am_addr_format_endpoint(&rec->addr, ep, AM_ADDR_STRLEN) != AM_OK)
        snprintf(ep, AM_ADDR_STRLEN, "?");
}

static void merge_failed(st_merge_result *r, const st_rec *rec, int rc,
                         const char *what)
{
    char ep[AM_ADDR_STRLEN];

    rec_endpoint(rec, ep);
    st_merge_error_add(r, rec->index, ST_ENTRY_BAD, "%s %s: %s", what, ep,
                        am_strerror(rc));
}

/* Count what am_add / am_restore answered for rec: done (*done, e.g.
 * added, grows), ignored for a reason, or an error. */
static int merge_outcome(am_man *m, const st_rec *rec, int rc, uint64_t id,
                         const st_merge_opts *o, st_merge_result *r,
                         size_t *done, const char *what)
{
    st_ignore why;

    if (rc == AM_OK) {
        (*done)++;
        return changed(o, m, id, NULL);
    }
    if (rc == AM_ERR_NOMEM)
        return rc;
    if (st_ignore_of(rc, &why))
        st_merge_ignore(r, why);
    else
        merge_failed(r, rec, rc, what);
    return AM_OK;
}

/* A known endpoint: Core's add on a known address. */
static int merge_known(am_man *m, const st_rec *rec, int64_t time,
                       const st_merge_opts *o, st_merge_result *r)
{
    int is_new = 0;
    uint64_t id = 0;
    int rc = am_add(m, &rec->addr, rec->has_source ? &rec->source : NULL,
                    rec->services, time, 0, &is_new, &id);

    return merge_outcome(m, rec, rc, id, o, r, &r->updated, "cannot update");
}

static void rec_to_peer(const st_rec *rec, int64_t time, am_peer *p)
{
    memset(p, 0, sizeof *p);
    p->addr = rec->addr;
    p->has_source = rec->has_source;
    if (rec->has_source)
        p->source = rec->source;
    p->services = rec->services;
    p->state = rec->state;
    p->in_tried = rec->in_tried;
    p->time = time;
    p->last_connected = rec->last_connected;
    p->last_try = rec->last_try;
    p->last_success = rec->last_success;
    p->attempts = rec->attempts;
}

/* A new endpoint: restore it, with its own id and slots when it is ours. */
static int merge_new(am_man *m, const st_rec *rec, int64_t time,
                     const st_merge_opts *o, st_merge_result *r)
{
    am_peer p, other;
    am_stats st;
    const am_place *place = NULL;

    rec_to_peer(rec, time, &p);
    am_stats_get(m, &st);
    /* A saved id is kept when restoring our snapshot, or when this pool
     * never used it: a free id below the counter belonged to a peer that
     * was forgotten, and ids are never reused. */
    if (rec->ours && (o->snapshot || rec->id >= st.next_id) &&
        am_get(m, rec->id, &other) == AM_ERR_NOTFOUND) {
        p.id = rec->id;
    } else {
        p.id = st.next_id;
        if (p.id > AM_ID_MAX) {
            merge_failed(r, rec, AM_ERR_FULL, "cannot add");
            return AM_OK;
        }
    }
    /* The core takes saved slots only when they are still this peer's
     * hashed slots (same key and sizes) and free. */
    if (rec->ours && rec->has_place)
        place = &rec->place;
    int rc = am_restore(m, &p, place);
    return merge_outcome(m, rec, rc, p.id, o, r, &r->added, "cannot add");
}

static int merge_one(am_man *m, const st_rec *rec, const st_merge_opts *o,
                     st_merge_result *r)
{
    int64_t now = am_now(m);
    int keep_banned = o->snapshot && rec->ours;
    /* Our own entries carry their exact time, 0 included (a terrible
     * peer must stay terrible across a restart). */
    int64_t time = rec->ours && rec->time >= 0
                       ? rec->time : st_merge_fix_time(rec->time, now);
    am_peer known;

    if (!am_addr_port_usable(&rec->addr)) {
        char ep[AM_ADDR_STRLEN];
        rec_endpoint(rec, ep);
        st_merge_error_add(r, rec->index, ST_ENTRY_BAD_ADDRESS,
                            "address %s is not valid: port 0", ep);
        return AM_OK;
    }
    if (!am_admits(m, &rec->addr)) {        /* the core's rule, regtest too */
        st_merge_ignore(r, ST_IGN_UNROUTABLE);
        return AM_OK;
    }
    if (rec->ban_until > now && !rec->ours)
        return merge_ban(m, rec, o, r);
    if (am_find(m, &rec->addr, &known) == AM_OK)
        return merge_known(m, rec, time, o, r);
    if (!keep_banned && am_is_banned(m, &rec->addr)) {
        st_merge_ignore(r, ST_IGN_BANNED);
        return AM_OK;
    }
    return merge_new(m, rec, time, o, r);
}

int st_merge_doc(am_man *m, const st_doc *d, const st_merge_opts *opts,
                  st_merge_result *r)
{
    st_merge_opts none;

    if (opts == NULL) {
        memset(&none, 0, sizeof none);
        opts = &none;
    }
    for (size_t i = 0; i < d->n; i++) {
        const st_rec *rec = &d->recs[i];
        if ((opts->pass == ST_MERGE_OURS && !rec->ours) ||
            (opts->pass == ST_MERGE_FOREIGN && rec->ours))
            continue;
        int rc = merge_one(m, rec, opts, r);
        if (rc != AM_OK)
            return rc;
    }
    return AM_OK;
}
