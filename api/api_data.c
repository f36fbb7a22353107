/*
 * api_data.c - the data directory's routes: snapshots (POST /v1/dump),
 * POST /v1/load, PUT/GET /v1/anchors, GET /v1/export, POST /v1/import, the
 * persistence figures of /v1/stats and /metrics, and GET /debug/place.
 *
 * Documents are parsed here without any lock; st_pool merges them in
 * slices, and copies the pool for a snapshot or an export in one hold,
 * writing the text after it (st_pool.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "st_btcd.h"
#include "st_coredat.h"
#include "st_floresta.h"
#include "st_fsio.h"
#include "api_handlers.h"
#include "st_lines.h"
#include "api_json.h"
#include "api_peer_json.h"

#define WHY_MAX 256
#define ANCHORS_MAX 10000

/* ---- answers -------------------------------------------------------- */

int api_fail_journal(api_err *err, int am_rc, const char *what)
{
    if (am_rc == AM_ERR_NOMEM)
        return api_fail(err, API_INTERNAL,
                        "%s was done in memory, but out of memory kept it "
                        "from the journal: it is lost on a crash before the "
                        "next save", what);
    return api_fail(err, API_IO_ERROR,
                    "%s was done in memory, but the journal could not be "
                    "written: it is lost on a crash before the next save",
                    what);
}

/* ---- snapshots ------------------------------------------------------- */

int api_save(api_ctx *ctx, size_t *peers)
{
    return st_pool_save(ctx->pool, peers);
}

static int need_store(api_call *c, api_err *err)
{
    if (c->ctx->store != NULL)
        return 0;
    return api_fail(err, API_NOT_READY,
                    "the data directory is not available (see /readyz)");
}

/* The store's sentence for its last failure. */
static int fail_store(api_call *c, api_err *err, int rc, const char *what)
{
    char why[WHY_MAX];

    if (rc == AM_ERR_NOMEM)
        return api_fail(err, API_INTERNAL, "%s: out of memory", what);
    st_store_last_problem(c->ctx->store, why, sizeof why);
    return api_fail(err, API_IO_ERROR, "%s: %s", what,
                    why[0] ? why : am_strerror(rc));
}

int api_h_dump(api_call *c, api_err *err)
{
    size_t peers = 0;
    js_w w;
    int rc;

    if (need_store(c, err) != 0)
        return -1;
    rc = api_save(c->ctx, &peers);
    if (rc != AM_OK)
        return fail_store(c, err, rc, "the snapshot failed");
    js_w_init(&w);
    js_w_object(&w);
    js_w_kstr(&w, "file", ST_STORE_PEERS);
    js_w_ku64(&w, "peers", peers);
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

/* ---- merging documents ----------------------------------------------- */

static int reply_merge(api_call *c, const st_merge_result *r, api_err *err)
{
    js_w w;

    api_metrics_ignored(c->ctx->metrics, r->ignored_by);
    js_w_init(&w);
    st_merge_result_write(&w, r);
    return api_reply_json(c, 200, &w, err);
}

/* An error of a merge that ran (the document was readable). */
static int fail_merge(api_err *err, int rc)
{
    if (rc == AM_ERR_NOMEM)
        return api_fail(err, API_INTERNAL, "out of memory while merging");
    return api_fail_journal(err, rc, "part of the merge");
}

/* The store's own files: loading one would set it aside as a bad peers
 * document and lose what it holds. */
static int is_store_file(const char *name)
{
    return strcmp(name, ST_STORE_BANS) == 0 ||
           strcmp(name, ST_STORE_META) == 0 ||
           strcmp(name, ST_STORE_LOCK) == 0 ||
           strncmp(name, "journal.", 8) == 0;
}

static int load_name(api_call *c, const char **name, api_err *err)
{
    char why[WHY_MAX];
    int rc;

    *name = ST_STORE_PEERS;
    rc = api_json_get_str(c->body, "file", ST_FS_NAME_MAX, name, err);
    if (rc < 0)
        return -1;
    if (st_fs_check_name(*name, why, sizeof why) != AM_OK)
        return api_fail(err, API_BAD_REQUEST, "%s", why);
    if (is_store_file(*name))
        return api_fail(err, API_BAD_REQUEST,
                        "%s is one of the service's own files, not a peers "
                        "document", *name);
    return 0;
}

static int fail_load(api_err *err, int rc, const char *name,
                     const st_merge_result *r)
{
    switch (rc) {
    case AM_ERR_NOTFOUND:
        return api_fail(err, API_NOT_FOUND, "%s", r->why);
    case AM_ERR_MALFORMED:
        return api_fail(err, API_BAD_REQUEST,
                        "%s is not a Floresta peers document (%s); it was "
                        "set aside", name, r->why);
    case AM_ERR_INVAL:
    case AM_ERR_TOOMANY:
        return api_fail(err, API_BAD_REQUEST, "%s", r->why);
    case AM_ERR_IO:
        if (r->unreadable)      /* the read failed, nothing was merged */
            return api_fail(err, API_BAD_REQUEST, "%s", r->why);
        return fail_merge(err, rc);
    default:
        return fail_merge(err, rc);
    }
}

int api_h_load(api_call *c, api_err *err)
{
    const char *name;
    st_merge_result r;
    int rc;

    if (need_store(c, err) != 0 || load_name(c, &name, err) != 0)
        return -1;
    st_merge_result_init(&r);
    rc = st_pool_load_file(c->ctx->pool, name, &r);
    rc = rc == AM_OK ? reply_merge(c, &r, err) : fail_load(err, rc, name, &r);
    st_merge_result_free(&r);
    return rc;
}

/* What POST /v1/import was asked to read. */
typedef enum import_format {
    IMPORT_FLORESTA = 0,
    IMPORT_BTCD = 1,
    IMPORT_LINES = 2,
    IMPORT_CORE = 3             /* Bitcoin Core's peers.dat */
} import_format;

typedef struct import_args {
    import_format format;
    uint64_t services;          /* lines: the flags every address gets */
} import_args;

static int import_format_parse(const char *name, import_format *out,
                               api_err *err)
{
    if (name == NULL || strcmp(name, "floresta") == 0)
        *out = IMPORT_FLORESTA;
    else if (strcmp(name, "btcd") == 0)
        *out = IMPORT_BTCD;
    else if (strcmp(name, "lines") == 0)
        *out = IMPORT_LINES;
    else if (strcmp(name, "core") == 0)
        *out = IMPORT_CORE;
    else
        return api_fail(err, API_BAD_REQUEST,
                        "unknown format '%s' (floresta, btcd, lines, core)",
                        name);
    return 0;
}

static int import_args_parse(api_call *c, import_args *a, api_err *err)
{
    const char *services = api_query_get(c->query, "services");
    const char *want;

    a->services = 0;
    if (import_format_parse(api_query_get(c->query, "format"), &a->format,
                            err) != 0)
        return -1;
    if (services != NULL && a->format != IMPORT_LINES)
        return api_fail(err, API_BAD_REQUEST,
                        "services is taken with format=lines only (the other "
                        "formats carry each peer's own)");
    if (services != NULL && api_parse_u64(services, "services", 0, UINT64_MAX,
                                          &a->services, err) != 0)
        return -1;
    if (c->req->body_len == 0)
        return api_fail(err, API_BAD_REQUEST,
                        "the body must be the document to import");
    want = a->format == IMPORT_LINES  ? "text/plain"
         : a->format == IMPORT_CORE ? "application/octet-stream"
                                    : "application/json";
    if (!api_media_type_is(c->req->content_type, want))
        return api_fail(err, API_UNSUPPORTED_MEDIA_TYPE,
                        "the body must be %s", want);
    return 0;
}

static int import_read(const api_call *c, const import_args *a, st_doc *doc,
                       st_merge_result *r)
{
    const char *text = c->req->body;
    size_t len = c->req->body_len;

    switch (a->format) {
    case IMPORT_FLORESTA:
        return st_floresta_read(text, len, doc, r);
    case IMPORT_BTCD:
        return st_btcd_read(text, len, doc, r);
    case IMPORT_LINES:
        return st_lines_read(text, len, a->services, doc, r);
    case IMPORT_CORE:
        return st_coredat_read((const uint8_t *)text, len, c->ctx->chain,
                               doc, r);
    }
    return AM_ERR_INVAL;
}

/* A document that is not JSON is bad_json; JSON of the wrong shape (the
 * readers' "not a ..." sentences) is bad_request, and so is a peers.dat
 * that cannot be read. */
static int fail_unreadable(api_err *err, const import_args *a,
                           const st_merge_result *r)
{
    api_code code = a->format == IMPORT_CORE ||
                    strncmp(r->why, "not a ", 6) == 0 ? API_BAD_REQUEST
                                                      : API_BAD_JSON;

    return api_fail(err, code, "the document cannot be read: %s", r->why);
}

int api_h_import(api_call *c, api_err *err)
{
    import_args a;
    st_merge_result r;
    st_doc doc;
    int rc;

    if (import_args_parse(c, &a, err) != 0)
        return -1;
    st_doc_init(&doc);
    st_merge_result_init(&r);
    rc = import_read(c, &a, &doc, &r);
    if (rc == AM_OK)
        rc = st_pool_merge(c->ctx->pool, &doc, &r);
    if (rc == AM_OK)
        rc = reply_merge(c, &r, err);
    else if (r.unreadable)
        rc = fail_unreadable(err, &a, &r);
    else
        rc = fail_merge(err, rc);
    st_doc_free(&doc);
    st_merge_result_free(&r);
    return rc;
}

/* ---- export and anchors ---------------------------------------------- */

/* Reply with a malloc'd JSON text, taken without a copy (an export of a
 * large pool is tens of megabytes). */
static int reply_owned(api_call *c, char *text, size_t len)
{
    c->resp->body = text;
    c->resp->body_len = len;
    c->resp->status = 200;
    c->resp->content_type = "application/json";
    return 0;
}

/* GET /v1/export?format=core[&chain=NAME]: the pool as a peers.dat. */
static int export_core(api_call *c, const char *chain_name, api_err *err)
{
    const am_chain *chain = c->ctx->chain;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc;

    if (chain_name != NULL && am_chain_by_name(chain_name, &chain) != AM_OK)
        return api_fail(err, API_BAD_REQUEST, "unknown chain '%s' (main, "
                        "testnet4, signet, regtest)", chain_name);
    rc = st_pool_export_core(c->ctx->pool, chain, &bytes, &len, NULL);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot export the pool");
    reply_owned(c, (char *)bytes, len);
    c->resp->content_type = "application/octet-stream";
    return 0;
}

int api_h_export(api_call *c, api_err *err)
{
    const char *format = api_query_get(c->query, "format");
    const char *chain = api_query_get(c->query, "chain");
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (format != NULL && strcmp(format, "core") == 0)
        return export_core(c, chain, err);
    if (format != NULL && strcmp(format, "floresta") != 0)
        return api_fail(err, API_BAD_REQUEST,
                        "unknown format '%s' (floresta, core)", format);
    if (chain != NULL)
        return api_fail(err, API_BAD_REQUEST,
                        "chain is taken with format=core only");
    rc = st_pool_export(c->ctx->pool, &text, &len);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot export the pool");
    return reply_owned(c, text, len);
}

/* Text: all digits an id, else host:port. */
static int peer_text_parse(const char *text, const char *what,
                           st_ref *out, api_err *err)
{
    memset(out, 0, sizeof out[0]);
    if (text[0] != '\0' && text[strspn(text, "0123456789")] == '\0') {
        out->by_id = 1;
        return api_parse_u64(text, what, 1, AM_ID_MAX, &out->id, err);
    }
    return api_addr_parse(text, AM_DEFAULT_PORT, what, &out->endpoint, err);
}

/* A JSON integer id, or text. */
static int peer_name_parse(const js_val *v, const char *what, st_ref *out,
                           api_err *err)
{
    const char *text;

    memset(out, 0, sizeof out[0]);
    out->by_id = v->type == JS_NUM;
    if (v->type == JS_NUM)  /* api_json_*: 1 when valid, -1 when not */
        return api_json_u64(v, what, 1, AM_ID_MAX, &out->id, err) < 0 ? -1
                                                                      : 0;
    if (api_json_str(v, what, 300, &text, err) < 0)
        return -1;
    return peer_text_parse(text, what, out, err);
}

static int anchors_parse(const js_val *body, st_ref **names, size_t *n,
                         api_err *err)
{
    const js_val *list, *e;
    char what[32];
    int rc = api_json_get_array(body, "peers", &list, err);

    if (rc <= 0)
        return rc < 0 ? -1 : api_fail(err, API_BAD_REQUEST,
                                      "peers is required");
    *n = list->len;
    if (*n > ANCHORS_MAX)
        return api_fail(err, API_BAD_REQUEST, "at most %d anchors",
                        ANCHORS_MAX);
    *names = calloc(*n ? *n : 1, sizeof **names);
    if (*names == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    e = list->child;
    for (size_t i = 0; i < *n; i++, e = e->next) {
        snprintf(what, sizeof what, "peers[%zu]", i);
        if (peer_name_parse(e, what, &(*names)[i], err) != 0)
            return -1;
    }
    return 0;
}

/* The anchors.json text, or 404 naming the first unknown peer. */
static int anchors_text(api_ctx *ctx, const st_ref *refs, size_t n,
                        char **text, size_t *len, api_err *err)
{
    size_t missing = 0;
    int rc = st_pool_anchors(ctx->pool, refs, n, text, len, &missing);

    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND, "peers[%zu] is not a known "
                        "peer; nothing was written", missing);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot write the anchors");
    return 0;
}

int api_h_anchors_put(api_call *c, api_err *err)
{
    st_ref *names = NULL;
    char *text = NULL, why[WHY_MAX];
    size_t n = 0, len = 0;
    js_w w;
    int rc;

    if (need_store(c, err) != 0 || anchors_parse(c->body, &names, &n, err))
        goto out;
    rc = anchors_text(c->ctx, names, n, &text, &len, err);
    if (rc != 0)
        goto out;
    rc = st_store_write_file(c->ctx->store, ST_STORE_ANCHORS, text, len, why,
                              sizeof why);
    free(text);
    free(names);
    if (rc != AM_OK)
        return api_fail(err, API_IO_ERROR, "%s", why);
    js_w_init(&w);
    js_w_object(&w);
    js_w_kstr(&w, "file", ST_STORE_ANCHORS);
    js_w_ku64(&w, "peers", n);
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
out:
    free(names);
    return -1;
}

int api_h_anchors_get(api_call *c, api_err *err)
{
    char *text = NULL, why[WHY_MAX];
    js_reader *doc = NULL;
    const js_val *root = NULL;
    size_t len;
    int rc;

    if (need_store(c, err) != 0)
        return -1;
    rc = st_store_read_file(c->ctx->store, ST_STORE_ANCHORS, &text, &len,
                             why, sizeof why);
    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND,
                        "there is no %s (PUT /v1/anchors writes it)",
                        ST_STORE_ANCHORS);
    if (rc != AM_OK)
        return api_fail(err, API_IO_ERROR, "%s", why);
    /* Every answer is JSON: a file someone broke is not passed on.  It is
     * read as st_floresta.c reads Floresta's files (its ids are u64). */
    rc = js_parse(text, len, 0, &doc, &root, why, sizeof why);
    if (rc == AM_OK && root->type != JS_ARR)
        snprintf(why, sizeof why, "not a JSON array");
    if (rc != AM_OK || root->type != JS_ARR) {
        js_close(doc);
        free(text);
        return api_fail(err, API_IO_ERROR, "%s cannot be read: %s",
                        ST_STORE_ANCHORS, why);
    }
    js_close(doc);
    return reply_owned(c, text, len);
}

/* ---- /v1/stats, /metrics, /readyz ------------------------------------ */

void api_data_stats(api_ctx *ctx, js_w *w)
{
    st_store_stats st;

    if (ctx->store == NULL)
        return;
    st_store_stats_get(ctx->store, &st);
    js_w_key(w, "persistence");
    js_w_object(w);
    js_w_ki64(w, "last_save", st.last_save);
    js_w_ku64(w, "last_save_peers", st.last_peers);
    js_w_ku64(w, "saves", st.saves);
    js_w_ku64(w, "save_failures", st.save_failures);
    js_w_ku64(w, "journal_bytes", st.journal_bytes);
    js_w_ku64(w, "journal_records", st.journal_records);
    js_w_ku64(w, "journal_failures", st.journal_failures);
    js_w_ku64(w, "corrupt_files", st.corrupt_files);
    js_w_object_end(w);
}

static void metric(js_buf *b, const char *name, const char *type,
                   const char *help, uint64_t v)
{
    js_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
                   name, type, name, (unsigned long long)v);
}

void api_data_metrics(api_ctx *ctx, js_buf *b)
{
    st_store_stats st;

    if (ctx->store == NULL)
        return;
    st_store_stats_get(ctx->store, &st);
    metric(b, "addrmand_saves_total", "counter",
           "Snapshots of the data directory written.", st.saves);
    metric(b, "addrmand_save_failures_total", "counter",
           "Snapshots that could not be written.", st.save_failures);
    metric(b, "addrmand_last_save_timestamp_seconds", "gauge",
           "Unix time of the last snapshot written (0: none yet).",
           (uint64_t)(st.last_save > 0 ? st.last_save : 0));
    metric(b, "addrmand_corrupt_files_total", "counter",
           "Unreadable files of the data directory renamed aside.",
           st.corrupt_files);
    metric(b, "addrmand_journal_bytes", "gauge",
           "Size of the journal of changes since the last snapshot.",
           st.journal_bytes);
    metric(b, "addrmand_journal_records", "gauge",
           "Changes journalled since the last snapshot.", st.journal_records);
    metric(b, "addrmand_journal_failures_total", "counter",
           "Changes made in memory that the journal could not take.",
           st.journal_failures);
}

int api_data_not_ready(api_ctx *ctx, char *why, size_t why_len)
{
    return ctx->store != NULL && !st_store_ready(ctx->store, why, why_len);
}

/* ---- GET /debug/place/{peer} ----------------------------------------- */

static void write_place(js_w *w, uint64_t id, const am_place *pl)
{
    js_w_object(w);
    js_w_ku64(w, "id", id);
    js_w_kstr(w, "table", api_table_name(pl->in_tried));
    js_w_key(w, "place");
    js_w_array(w);
    for (uint32_t i = 0; i < pl->n && i < AM_MAX_NEW_REFS; i++) {
        js_w_array(w);
        js_w_u64(w, pl->bucket[i]);
        js_w_u64(w, pl->slot[i]);
        js_w_array_end(w);
    }
    js_w_array_end(w);
    js_w_object_end(w);
}

int api_h_debug_place(api_call *c, api_err *err)
{
    st_ref name;
    am_place pl;
    uint64_t id = 0;
    js_w w;
    int rc;

    if (peer_text_parse(c->param, "peer", &name, err) != 0)
        return -1;
    rc = st_pool_place(c->ctx->pool, &name, &id, &pl);
    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND, "no peer '%s'", c->param);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot place the peer");
    js_w_init(&w);
    write_place(&w, id, &pl);
    return api_reply_json(c, 200, &w, err);
}
