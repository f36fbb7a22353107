/*
 * st_floresta.c - Floresta's file format (see st_floresta.h).
 *
 * Read with js_open/js_next (json/js_reader.h), one element at a time:
 * the ids are u64 and must be read exactly, and a 100 000-peer peers.json
 * loads in a fraction of a second without a tree of the whole document.
 * Repeated keys: the last value counts, as this file has always been read.
 */
#include "st_floresta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrman_persist.h"
#include "js_reader.h"

#define U32_TIME UINT64_C(4294967295)   /* the core keeps u32 seconds */
#define WHY_MAX ST_MERGE_MSG_MAX
#define RESERVE_MAX ((size_t)1 << 20)

/* ============================================================== reading */

static int is_type(const js_val *v, js_type t)
{
    return v != NULL && v->type == t;
}

/*
 * Member `key` of obj as an integer in [0, max].  1 when present and valid,
 * 0 when absent, -1 with why.
 */
static int get_uint(const js_val *obj, const char *key, uint64_t max,
                    uint64_t *out, char *why)
{
    const js_val *v = js_get(obj, key);

    if (v == NULL)
        return 0;
    switch (js_u64(v, 0, max, out)) {
    case AM_OK:
        return 1;
    case AM_ERR_RANGE:
        snprintf(why, WHY_MAX, "\"%s\" is out of range (0..%llu)", key,
                 (unsigned long long)max);
        return -1;
    default:
        snprintf(why, WHY_MAX, "\"%s\" is not an unsigned integer", key);
        return -1;
    }
}

/* An Option<integer> of Floresta's: serde writes None as null and reads
 * null and an absent key alike, so null is absent here too. */
static int get_opt_uint(const js_val *obj, const char *key, uint64_t max,
                        uint64_t *out, char *why)
{
    const js_val *v = js_get(obj, key);

    if (v != NULL && v->type == JS_NULL)
        return 0;
    return get_uint(obj, key, max, out, why);
}

/* A required member: absent is an error too. */
static int need_uint(const js_val *obj, const char *key, uint64_t max,
                     uint64_t *out, char *why)
{
    int rc = get_uint(obj, key, max, out, why);

    if (rc == 0)
        snprintf(why, WHY_MAX, "\"%s\" is missing", key);
    return rc == 1 ? 0 : -1;
}

/* [32 integers 0..255] as a Tor v3 or I2P address. */
static int read_key_bytes(const js_val *arr, int net, am_addr *out,
                          char *why)
{
    uint8_t bytes[AM_ADDR_MAXLEN];
    size_t n = js_size(arr), i = 0;
    uint64_t b;

    if (is_type(arr, JS_ARR) == 0 || n != am_net_len(net)) {
        snprintf(why, WHY_MAX, "\"address\" of %s needs %zu byte values",
                 am_net_name(net), am_net_len(net));
        return AM_ERR_MALFORMED;
    }
    for (const js_val *e = arr->child; e != NULL; e = e->next, i++) {
        if (js_u64(e, 0, 255, &b) != AM_OK) {
            snprintf(why, WHY_MAX, "\"address\" byte %zu is not 0..255", i);
            return AM_ERR_MALFORMED;
        }
        bytes[i] = (uint8_t)b;
    }
    return am_addr_from_bytes(out, net, bytes, n, 0);
}

/* Text of a V4 / V6 / Cjdns variant; `want` is the network it must give
 * (0: IPv6 text, which may also read as IPv4-mapped or CJDNS). */
static int read_text_addr(const js_val *v, int want, am_addr *out,
                          char *why)
{
    const char *s = js_str(v);
    char detail[64];
    int rc;

    if (s == NULL) {
        snprintf(why, WHY_MAX, "\"address\" text is not a string");
        return AM_ERR_MALFORMED;
    }
    rc = am_addr_parse_host_ex(out, s, detail, sizeof detail);
    if (rc == AM_OK && ((want != 0 && out->net != want) ||
                        (want == 0 && out->net != AM_NET_IPV6 &&
                         out->net != AM_NET_IPV4 && out->net != AM_NET_CJDNS))) {
        rc = AM_ERR_ADDR;
        snprintf(detail, sizeof detail, "not %s text", want == AM_NET_IPV4
                 ? "IPv4" : want == AM_NET_CJDNS ? "CJDNS" : "IPv6");
    }
    if (rc != AM_OK && rc != AM_ERR_TORV2)
        snprintf(why, WHY_MAX, "invalid address \"%.60s\": %s", s, detail);
    return rc;
}

/*
 * The "address" member.  AM_OK; AM_ERR_TORV2 or AM_ERR_UNKNOWN_NET for an
 * entry to skip; another code with why.
 */
static int read_address(const js_val *obj, am_addr *out, char *why)
{
    const js_val *a = js_get(obj, "address");
    const char *variant;
    const js_val *v;

    if (a == NULL) {
        snprintf(why, WHY_MAX, "\"address\" is missing");
        return AM_ERR_MALFORMED;
    }
    if (!is_type(a, JS_OBJ) || js_size(a) != 1) {
        snprintf(why, WHY_MAX, "\"address\" is not a one-key object");
        return AM_ERR_MALFORMED;
    }
    /* One distinct key; when repeated, its last value counts. */
    variant = a->child->key;
    v = js_get(a, variant);
    if (strcmp(variant, "V4") == 0)
        return read_text_addr(v, AM_NET_IPV4, out, why);
    if (strcmp(variant, "V6") == 0)
        return read_text_addr(v, 0, out, why);
    if (strcmp(variant, "Cjdns") == 0)
        return read_text_addr(v, AM_NET_CJDNS, out, why);
    if (strcmp(variant, "OnionV3") == 0)
        return read_key_bytes(v, AM_NET_TORV3, out, why);
    if (strcmp(variant, "I2p") == 0)
        return read_key_bytes(v, AM_NET_I2P, out, why);
    if (strcmp(variant, "OnionV2") == 0)
        return AM_ERR_TORV2;
    return AM_ERR_UNKNOWN_NET;
}

/*
 * Floresta's "state".  *kind: 'N' NeverTried, 'C' Connected, 'T' Tried,
 * 'B' Banned, 'F' Failed; *t the value of the tagged forms.
 */
static int read_fstate(const js_val *obj, char *kind, uint64_t *t, char *why)
{
    static const struct {
        const char *name;
        char kind;
        uint64_t max;
    } tags[] = {
        {"Tried", 'T', U32_TIME},
        {"Failed", 'F', U32_TIME},
        {"Banned", 'B', (uint64_t)INT64_MAX},
    };
    const js_val *s = js_get(obj, "state");
    const char *str = js_str(s);

    *t = 0;
    if (s == NULL) {
        snprintf(why, WHY_MAX, "\"state\" is missing");
        return -1;
    }
    if (str != NULL && (strcmp(str, "NeverTried") == 0 ||
                        strcmp(str, "Connected") == 0)) {
        *kind = str[0];
        return 0;
    }
    if (is_type(s, JS_OBJ) && js_size(s) == 1) {
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
            if (js_get(s, tags[i].name) == NULL)
                continue;
            *kind = tags[i].kind;
            return need_uint(s, tags[i].name, tags[i].max, t, why);
        }
    }
    snprintf(why, WHY_MAX, "\"state\" is not one of Floresta's states");
    return -1;
}

/* "place": [[bucket, slot], ...]; 1 when present and well-formed. */
static int read_place(const js_val *obj, am_place *pl, char *why)
{
    const js_val *a = js_get(obj, "place");
    size_t n = js_size(a), i = 0;
    uint64_t b, s;

    if (a == NULL)
        return 0;
    if (!is_type(a, JS_ARR) || n < 1 || n > AM_MAX_NEW_REFS)
        goto bad;
    memset(pl, 0, sizeof *pl);
    for (const js_val *pair = a->child; pair != NULL; pair = pair->next) {
        if (!is_type(pair, JS_ARR) || js_size(pair) != 2 ||
            js_u64(pair->child, 0, AM_MAX_BUCKETS - 1, &b) ||
            js_u64(pair->child->next, 0, AM_BUCKET_SIZE - 1, &s))
            goto bad;
        pl->bucket[i] = (uint32_t)b;
        pl->slot[i++] = (uint32_t)s;
    }
    pl->n = (uint32_t)n;
    return 1;
bad:
    snprintf(why, WHY_MAX, "\"place\" is not a list of 1..%d [bucket, slot]",
             AM_MAX_NEW_REFS);
    return -1;
}

/* Our own keys.  1: all there (rec->ours), 0: not all there (a foreign
 * entry), -1 with why: one of them is malformed. */
static int read_ours(const js_val *obj, st_rec *rec, char *why)
{
    uint64_t v[4];
    static const char *const tkeys[] = {"time", "last_try", "last_success"};
    const js_val *src = js_get(obj, "source");
    const js_val *tbl = js_get(obj, "table");
    const js_val *st = js_get(obj, "am_state");
    int got = 0, rc;
    am_state state = AM_STATE_NEVER_TRIED;
    am_place pl;

    for (int i = 0; i < 3; i++) {
        if ((rc = get_uint(obj, tkeys[i], U32_TIME, &v[i], why)) < 0)
            return -1;
        got += rc;
    }
    if ((rc = get_uint(obj, "attempts", UINT32_MAX, &v[3], why)) < 0)
        return -1;
    got += rc;
    if (src != NULL && !is_type(src, JS_NULL)) {
        const char *s = js_str(src);
        if (s == NULL || am_addr_parse_host(&rec->source, s) != AM_OK) {
            snprintf(why, WHY_MAX, "\"source\" is not an address");
            return -1;
        }
        rec->has_source = 1;
    }
    if (tbl != NULL) {
        const char *s = js_str(tbl);
        if (s == NULL || (strcmp(s, "new") != 0 && strcmp(s, "tried") != 0)) {
            snprintf(why, WHY_MAX, "\"table\" is not \"new\" or \"tried\"");
            return -1;
        }
        rec->in_tried = strcmp(s, "tried") == 0;
        got++;
    }
    if (st != NULL) {
        /* A stored state: "banned" is derived from the ban list. */
        if (am_state_from_name(js_str(st), &state) != AM_OK ||
            state == AM_STATE_BANNED) {
            snprintf(why, WHY_MAX, "\"am_state\" is not a peer state");
            return -1;
        }
        got++;
    }
    if ((rc = read_place(obj, &pl, why)) < 0)
        return -1;
    got += rc;
    if (got < 7 || rec->id == 0 || rec->id > AM_ID_MAX)
        return 0;
    rec->ours = 1;
    rec->time = (int64_t)v[0];
    rec->last_try = (int64_t)v[1];
    rec->last_success = (int64_t)v[2];
    rec->attempts = (uint32_t)v[3];
    rec->state = state;
    /* A place that contradicts the table is dropped, not trusted: the core
     * then finds the peer a slot of its own. */
    pl.in_tried = rec->in_tried;
    rec->has_place = !(rec->in_tried && pl.n != 1);
    if (rec->has_place)
        rec->place = pl;
    return 1;
}

/* Floresta's state as ours, for an entry without our keys. */
static void apply_fstate(st_rec *rec, char kind, uint64_t t)
{
    int64_t lc = rec->last_connected;

    rec->state = AM_STATE_NEVER_TRIED;
    rec->time = lc;
    switch (kind) {
    case 'T':
    case 'C':
        rec->state = AM_STATE_TRIED;
        rec->in_tried = 1;
        rec->last_success = rec->last_try = t != 0 ? (int64_t)t : lc;
        break;
    case 'F':
        rec->state = AM_STATE_FAILED;
        rec->last_try = (int64_t)t;
        rec->attempts = 1;
        break;
    case 'B':
        rec->ban_until = (int64_t)t;
        break;
    default:
        break;
    }
}

/* One entry: 1 usable (rec filled), 0 skipped (*skip: AM_ERR_TORV2 or
 * AM_ERR_UNKNOWN_NET), -1 error (why). */
static int read_entry(const js_val *e, st_rec *rec, char *why, int *skip)
{
    uint64_t port, services, lc, t;
    char kind;
    int rc;

    if (!is_type(e, JS_OBJ)) {
        snprintf(why, WHY_MAX, "the entry is not an object");
        return -1;
    }
    rc = read_address(e, &rec->addr, why);
    if (rc == AM_ERR_TORV2 || rc == AM_ERR_UNKNOWN_NET) {
        *skip = rc;
        return 0;
    }
    if (rc != AM_OK)
        return -1;
    if (need_uint(e, "port", 65535, &port, why) ||
        need_uint(e, "services", UINT64_MAX, &services, why) ||
        need_uint(e, "last_connected", U32_TIME, &lc, why) ||
        read_fstate(e, &kind, &t, why) ||
        get_opt_uint(e, "id", UINT64_MAX, &rec->id, why) < 0)
        return -1;
    rec->addr.port = (uint16_t)port;
    rec->services = services;
    rec->last_connected = (int64_t)lc;
    rc = read_ours(e, rec, why);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        rec->has_source = 0;
        rec->in_tried = 0;
        apply_fstate(rec, kind, t);
    }
    return 1;
}

static st_entry_err code_of_why(const char *why)
{
    return strncmp(why, "invalid address", 15) == 0 ? ST_ENTRY_BAD_ADDRESS
                                                    : ST_ENTRY_BAD;
}

/* One element of the document into the next record of doc. */
static int read_one(const js_val *e, size_t i, st_doc *doc,
                    st_merge_result *r)
{
    st_rec *rec = st_doc_push(doc, i);
    char why[WHY_MAX];
    int rc, skip = AM_ERR_UNKNOWN_NET;
    st_ignore reason;

    if (rec == NULL)
        return AM_ERR_NOMEM;
    why[0] = '\0';
    rc = read_entry(e, rec, why, &skip);
    if (rc == 1)
        return AM_OK;
    doc->n--;
    if (rc == 0 && st_ignore_of(skip, &reason))
        st_merge_ignore(r, reason);
    else
        st_merge_error_add(r, i, code_of_why(why), "%s", why);
    return AM_OK;
}

/* A document found unreadable half way: nothing of it counts. */
static void forget_entries(st_doc *doc, st_merge_result *r,
                           const st_merge_result *before)
{
    doc->n = 0;
    doc->entries = 0;
    r->ignored = before->ignored;
    memcpy(r->ignored_by, before->ignored_by, sizeof r->ignored_by);
    r->n_errors = before->n_errors;
    r->errors_kept = before->errors_kept;
}

int st_floresta_read(const char *text, size_t len, st_doc *doc,
                      st_merge_result *r)
{
    st_merge_result before = *r;
    js_reader *rd;
    const js_val *e;
    char why[WHY_MAX];
    size_t i = 0;
    int rc = js_open(text, len, &rd, why, sizeof why);

    if (rc != AM_OK) {
        st_merge_unreadable(r, "%s", rc == AM_ERR_INVAL
                                          ? "not a JSON array of peers" : why);
        return rc == AM_ERR_INVAL ? AM_ERR_MALFORMED : rc;
    }
    /* Our entries are some 260 bytes: one allocation for the whole file
     * rather than a dozen copies as it grows (a hint, capped; growth still
     * works). */
    st_doc_reserve(doc, doc->n + (len / 200 < RESERVE_MAX ? len / 200
                                                           : RESERVE_MAX));
    while ((rc = js_next(rd, &e, why, sizeof why)) == 1) {
        if ((rc = read_one(e, i++, doc, r)) != AM_OK)
            break;
    }
    js_close(rd);
    doc->entries = i;
    if (rc == AM_OK)            /* js_next's 0: the end of the array */
        return AM_OK;
    forget_entries(doc, r, &before);
    if (rc == AM_ERR_MALFORMED)
        st_merge_unreadable(r, "%s", why);
    return rc;
}

int st_floresta_merge(am_man *m, const char *text, size_t len,
                       const st_merge_opts *opts, st_merge_result *r)
{
    return st_merge_text(m, st_floresta_read, text, len, opts, r);
}

/* ============================================================== writing */

/* One peer as the document shows it, copied out of the core. */
typedef struct entry {
    am_peer p;
    am_place pl;
    am_state stored;            /* the state the core keeps (not banned) */
} entry;

struct st_floresta_copy {
    entry *e;
    size_t n, cap;
    am_ban *bans;               /* active bans, for a banned peer's "until" */
    size_t n_bans;
};

typedef struct writer {
    js_w w;
    const am_ban *bans;
    size_t n_bans;
    size_t count;
} writer;

static int64_t ban_until_of(const writer *wr, const am_addr *a)
{
    int64_t until = 0;

    for (size_t i = 0; i < wr->n_bans; i++)
        if (am_subnet_contains(&wr->bans[i].target, a) &&
            wr->bans[i].until > until)
            until = wr->bans[i].until;
    return until;
}

static void write_address(js_w *w, const am_addr *a)
{
    char host[AM_ADDR_STRLEN];
    size_t len = am_net_len(a->net);

    js_w_key(w, "address");
    js_w_object(w);
    switch (a->net) {
    case AM_NET_TORV3:
    case AM_NET_I2P:
        js_w_key(w, a->net == AM_NET_TORV3 ? "OnionV3" : "I2p");
        js_w_array(w);
        for (size_t i = 0; i < len; i++)
            js_w_u64(w, a->bytes[i]);
        js_w_array_end(w);
        break;
    default:
        if (am_addr_format(a, host, sizeof host) != AM_OK)
            host[0] = '\0';
        js_w_kstr(w, a->net == AM_NET_IPV4    ? "V4"
                       : a->net == AM_NET_CJDNS ? "Cjdns"
                                                : "V6",
                    host);
        break;
    }
    js_w_object_end(w);
}

static void write_fstate(writer *wr, const am_peer *p)
{
    js_w *w = &wr->w;

    js_w_key(w, "state");
    switch (p->state) {
    case AM_STATE_NEVER_TRIED:
        js_w_str(w, "NeverTried");
        return;
    case AM_STATE_CONNECTED:
        js_w_str(w, "Connected");
        return;
    default:
        break;
    }
    js_w_object(w);
    if (p->state == AM_STATE_TRIED)
        js_w_ki64(w, "Tried", p->last_success);
    else if (p->state == AM_STATE_FAILED)
        js_w_ki64(w, "Failed", p->last_try);
    else
        js_w_ki64(w, "Banned", ban_until_of(wr, &p->addr));
    js_w_object_end(w);
}

static void write_ours(writer *wr, const am_peer *p, const am_place *pl,
                       am_state stored)
{
    js_w *w = &wr->w;
    char host[AM_ADDR_STRLEN];

    js_w_key(w, "source");
    if (p->has_source && am_addr_format(&p->source, host, sizeof host) == 0)
        js_w_str(w, host);
    else
        js_w_null(w);
    js_w_kstr(w, "table", p->in_tried ? "tried" : "new");
    js_w_key(w, "place");
    js_w_array(w);
    for (uint32_t i = 0; i < pl->n; i++) {
        js_w_array(w);
        js_w_u64(w, pl->bucket[i]);
        js_w_u64(w, pl->slot[i]);
        js_w_array_end(w);
    }
    js_w_array_end(w);
    js_w_ki64(w, "time", p->time);
    js_w_ki64(w, "last_try", p->last_try);
    js_w_ki64(w, "last_success", p->last_success);
    js_w_ku64(w, "attempts", p->attempts);
    js_w_kstr(w, "am_state", am_state_name(stored));
}

/* One entry on a line of its own ("[\n" e ",\n" e "\n]\n"). */
static void write_entry(writer *wr, const entry *e)
{
    js_w *w = &wr->w;
    const am_peer *p = &e->p;

    js_buf_puts(&w->buf, wr->count ? ",\n" : "\n");
    /* The separators above are ours: keep the writer from adding commas
     * between top-level values. */
    w->has_items = 0;
    js_w_object(w);
    write_address(w, &p->addr);
    js_w_ki64(w, "last_connected", p->last_connected);
    write_fstate(wr, p);
    js_w_ku64(w, "services", p->services);
    js_w_ku64(w, "port", p->addr.port);
    js_w_ku64(w, "id", p->id);
    write_ours(wr, p, &e->pl, e->stored);
    js_w_object_end(w);
    wr->count++;
}

/* ---- the copy (under the core lock) ---------------------------------- */

void st_floresta_copy_free(st_floresta_copy *c)
{
    if (c == NULL)
        return;
    free(c->e);
    free(c->bans);
    free(c);
}

static int copy_new(am_man *m, size_t cap, st_floresta_copy **out)
{
    st_floresta_copy *c = calloc(1, sizeof *c);
    size_t nb = am_ban_count(m);

    *out = NULL;
    if (c == NULL)
        return AM_ERR_NOMEM;
    c->cap = cap ? cap : 1;
    c->e = malloc(c->cap * sizeof *c->e);
    c->bans = malloc((nb ? nb : 1) * sizeof *c->bans);
    if (c->e == NULL || c->bans == NULL) {
        st_floresta_copy_free(c);
        return AM_ERR_NOMEM;
    }
    am_ban_list(m, c->bans, nb, &c->n_bans);
    *out = c;
    return AM_OK;
}

/* The peer with its place and stored state, as the next entry of c. */
static int copy_peer(am_man *m, st_floresta_copy *c, const am_peer *p)
{
    entry *e;
    int rc;

    if (c->n == c->cap)
        return AM_ERR_INTERNAL;         /* the core holds more than it said */
    e = &c->e[c->n];
    e->p = *p;
    if ((rc = am_place_of(m, p->id, &e->pl)) != AM_OK ||
        (rc = am_stored_state(m, p->id, &e->stored)) != AM_OK)
        return rc;
    if ((unsigned)e->stored >= AM_STATE_BANNED)
        e->stored = AM_STATE_NEVER_TRIED;
    c->n++;
    return AM_OK;
}

#define PAGE 256

int st_floresta_copy_take(am_man *m, st_floresta_copy **out)
{
    am_peer page[PAGE];
    uint64_t after = 0, next;
    size_t n;
    int rc = copy_new(m, am_size(m), out);

    while (rc == AM_OK) {
        rc = am_list(m, NULL, after, page, PAGE, &n, &next);
        for (size_t i = 0; rc == AM_OK && i < n; i++)
            rc = copy_peer(m, *out, &page[i]);
        if (rc != AM_OK || next == 0)
            break;
        after = next;
    }
    if (rc != AM_OK) {
        st_floresta_copy_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- the text (no lock) ---------------------------------------------- */

int st_floresta_copy_text(const st_floresta_copy *c, char **out, size_t *len,
                          size_t *count)
{
    writer wr;

    memset(&wr, 0, sizeof wr);
    wr.bans = c->bans;
    wr.n_bans = c->n_bans;
    js_w_init(&wr.w);
    /* About 265 bytes an entry: one allocation for a large pool (a
     * failure shows in js_buf_take). */
    js_buf_reserve(&wr.w.buf, 64 + c->n * 280);
    js_buf_putc(&wr.w.buf, '[');
    for (size_t i = 0; i < c->n; i++)
        write_entry(&wr, &c->e[i]);
    js_buf_puts(&wr.w.buf, wr.count ? "\n]\n" : "]\n");
    if (count)
        *count = wr.count;
    return js_buf_take(&wr.w.buf, out, len);
}

int st_floresta_export(am_man *m, char **out, size_t *len, size_t *count)
{
    st_floresta_copy *c;
    int rc = st_floresta_copy_take(m, &c);

    *out = NULL;
    *len = 0;
    if (rc != AM_OK)
        return rc;
    rc = st_floresta_copy_text(c, out, len, count);
    st_floresta_copy_free(c);
    return rc;
}

int st_floresta_anchors(am_man *m, const uint64_t *ids, size_t n,
                         char **out, size_t *len, size_t *missing)
{
    st_floresta_copy *c;
    am_peer p;
    int rc = copy_new(m, n, &c);

    *out = NULL;
    *len = 0;
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        rc = am_get(m, ids[i], &p);
        if (rc == AM_ERR_NOTFOUND && missing)
            *missing = i;
        if (rc == AM_OK)
            rc = copy_peer(m, c, &p);
    }
    if (rc == AM_OK)
        rc = st_floresta_copy_text(c, out, len, NULL);
    st_floresta_copy_free(c);
    return rc;
}
