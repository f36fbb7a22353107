/*
 * st_btcd.c - btcd's peers.json (see st_btcd.h).
 *
 * Read with js_parse (json/js_reader.h): "Services" is a u64 that must be
 * read exactly, and the whole document is needed at once (TriedBuckets
 * decides the state of the Addresses before it).  Repeated keys keep the
 * last value, as Go's encoding/json does.
 */
#include "st_btcd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js_reader.h"

#define WHY_MAX ST_MERGE_MSG_MAX
#define U32_TIME INT64_C(4294967295)

/* The tried endpoints, sorted, for lookups by address. */
typedef struct tried_set {
    am_addr *a;
    size_t n, cap;
} tried_set;

static int addr_cmp(const void *x, const void *y)
{
    return memcmp(x, y, sizeof(am_addr));
}

static int tried_add(tried_set *t, const am_addr *a)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        am_addr *p = realloc(t->a, cap * sizeof *p);
        if (p == NULL)
            return AM_ERR_NOMEM;
        t->a = p;
        t->cap = cap;
    }
    t->a[t->n++] = *a;
    return AM_OK;
}

/* The first element of an array; NULL when empty or not an array. */
static const js_val *first_element(const js_val *v)
{
    return v != NULL && v->type == JS_ARR ? v->child : NULL;
}

/* Every parsable key of TriedBuckets; the others cannot match anyway. */
static int tried_read(const js_val *buckets, tried_set *t)
{
    am_addr a;

    for (const js_val *b = first_element(buckets); b; b = b->next) {
        for (const js_val *k = first_element(b); k; k = k->next) {
            const char *s = js_str(k);
            if (s == NULL || am_addr_parse(&a, s, 8333) != AM_OK)
                continue;
            if (tried_add(t, &a) != AM_OK)
                return AM_ERR_NOMEM;
        }
    }
    /* am_addr is a plain value with zeroed padding: memcmp orders it. */
    if (t->n > 1)
        qsort(t->a, t->n, sizeof *t->a, addr_cmp);
    return AM_OK;
}

static int tried_has(const tried_set *t, const am_addr *a)
{
    return t->n > 0 && bsearch(a, t->a, t->n, sizeof *t->a, addr_cmp) != NULL;
}

/* A Go time: 0 for never (zero time or 0), else 1..2^32-1 seconds. */
static int get_time(const js_val *e, const char *key, int64_t *out,
                    char *why)
{
    const js_val *v = js_get(e, key);
    int64_t t = 0;

    *out = 0;
    if (v == NULL)
        return 0;
    if (js_i64(v, INT64_MIN, INT64_MAX, &t) != AM_OK ||
        (t != ST_BTCD_ZERO_TIME && (t < 0 || t > U32_TIME))) {
        snprintf(why, WHY_MAX, "\"%s\" is not a time", key);
        return -1;
    }
    *out = t == ST_BTCD_ZERO_TIME ? 0 : t;
    return 0;
}

static int get_u64(const js_val *e, const char *key, uint64_t max,
                   uint64_t *out, char *why)
{
    const js_val *v = js_get(e, key);

    *out = 0;
    if (v == NULL || js_u64(v, 0, max, out) == AM_OK)
        return 0;
    snprintf(why, WHY_MAX, "\"%s\" is not an integer 0..%llu", key,
             (unsigned long long)max);
    return -1;
}

static void set_state(st_rec *rec, int tried)
{
    if (tried) {
        rec->state = AM_STATE_TRIED;
        rec->in_tried = 1;
    } else if (rec->attempts > 0 && rec->last_try > rec->last_success) {
        rec->state = AM_STATE_FAILED;
    } else {
        rec->state = AM_STATE_NEVER_TRIED;
    }
}

/* One entry: 1 usable, 0 skipped (*code holds nothing then; *skip says
 * why: AM_ERR_TORV2 or AM_ERR_UNKNOWN_NET), -1 error with why (*code). */
static int read_entry(const js_val *e, const tried_set *tried, st_rec *rec,
                      char *why, st_entry_err *code, int *skip)
{
    const char *addr = js_str(js_get(e, "Addr"));
    const char *src = js_str(js_get(e, "Src"));
    uint64_t attempts, services;
    char detail[WHY_MAX / 2];
    int rc;

    *code = ST_ENTRY_BAD;
    if (e->type != JS_OBJ) {
        snprintf(why, WHY_MAX, "the entry is not an object");
        return -1;
    }
    if (addr == NULL) {
        snprintf(why, WHY_MAX, "\"Addr\" is missing or not a string");
        return -1;
    }
    rc = am_addr_parse_ex(&rec->addr, addr, 8333, NULL, detail,
                          sizeof detail);
    if (rc == AM_ERR_TORV2 || rc == AM_ERR_UNKNOWN_NET) {
        *skip = rc;
        return 0;
    }
    if (rc != AM_OK) {
        *code = ST_ENTRY_BAD_ADDRESS;
        snprintf(why, WHY_MAX, "invalid address \"%.60s\": %s", addr, detail);
        return -1;
    }
    if (get_u64(e, "Attempts", UINT32_MAX, &attempts, why) ||
        get_u64(e, "Services", UINT64_MAX, &services, why) ||
        get_time(e, "TimeStamp", &rec->time, why) ||
        get_time(e, "LastAttempt", &rec->last_try, why) ||
        get_time(e, "LastSuccess", &rec->last_success, why))
        return -1;
    /* A source that is no address (a Tor v2 one) is merely unknown. */
    rec->has_source = src != NULL && am_addr_parse(&rec->source, src, 0) == 0;
    rec->source.port = 0;
    rec->attempts = (uint32_t)attempts;
    rec->services = services;
    set_state(rec, tried_has(tried, &rec->addr));
    return 1;
}

static int read_entries(const js_val *list, const tried_set *tried,
                        st_doc *doc, st_merge_result *r)
{
    char why[WHY_MAX];
    st_entry_err code;
    st_ignore reason;
    size_t i = 0;

    doc->entries = js_size(list);
    for (const js_val *e = list->child; e != NULL; e = e->next, i++) {
        st_rec *rec = st_doc_push(doc, i);
        if (rec == NULL)
            return AM_ERR_NOMEM;
        int skip = AM_ERR_UNKNOWN_NET;
        int rc = read_entry(e, tried, rec, why, &code, &skip);
        if (rc == 1)
            continue;
        doc->n--;
        if (rc == 0 && st_ignore_of(skip, &reason))
            st_merge_ignore(r, reason);
        else
            st_merge_error_add(r, i, code, "%s", why);
    }
    return AM_OK;
}

int st_btcd_read(const char *text, size_t len, st_doc *doc,
                  st_merge_result *r)
{
    js_reader *rd;
    const js_val *root;
    char why[WHY_MAX];
    tried_set tried = {NULL, 0, 0};
    int rc = js_parse(text, len, 0, &rd, &root, why, sizeof why);

    if (rc != AM_OK) {
        st_merge_unreadable(r, "%s", why);
        return rc;
    }
    const js_val *list = js_get(root, "Addresses");
    const js_val *tb = js_get(root, "TriedBuckets");
    if (list == NULL || list->type != JS_ARR ||
        (tb != NULL && tb->type != JS_ARR && tb->type != JS_NULL)) {
        js_close(rd);
        st_merge_unreadable(r, "not a btcd peers.json (an object with an "
                                "\"Addresses\" array)");
        return AM_ERR_MALFORMED;
    }
    rc = tried_read(tb, &tried);
    if (rc == AM_OK)
        rc = read_entries(list, &tried, doc, r);
    free(tried.a);
    js_close(rd);
    return rc;
}

int st_btcd_merge(am_man *m, const char *text, size_t len,
                   const st_merge_opts *opts, st_merge_result *r)
{
    return st_merge_text(m, st_btcd_read, text, len, opts, r);
}
