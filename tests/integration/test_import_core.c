/*
 * test_import_core.c - Bitcoin Core's peers.dat against the real binary:
 * POST /v1/import?format=core of a file Bitcoin Core wrote
 * (tests/data/core/peers-main.dat), GET /v1/export?format=core checked
 * with Core's placement rules and imported into a second server, bad files
 * refused with nothing changed, and `addrmand import|export --format core`
 * on a data directory, refused while a server holds it.
 */
#include "it_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <openssl/evp.h>

#include "chain.h"
#include "st_coredat.h"

#define REAL_ENTRIES (1390 + 447)
#define REAL_TRIED 447

/* ---- the real file, its times brought up to date ------------------------ */

static uint64_t le_at(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* A CompactSize at dat[*at]; *at moves past it. */
static uint64_t compact_at(const uint8_t *dat, size_t len, size_t *at)
{
    uint8_t b;
    uint64_t v;
    size_t n;

    assert_true(*at < len);
    b = dat[(*at)++];
    if (b < 253)
        return b;
    n = b == 253 ? 2 : b == 254 ? 4 : 8;
    assert_true(*at + n <= len);
    v = le_at(dat + *at, n);
    *at += n;
    return v;
}

static void le_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Past an address in BIP155 form (network, compact length, bytes). */
static void skip_addr(const uint8_t *dat, size_t len, size_t *at)
{
    (*at)++;
    *at += compact_at(dat, len, at);
    assert_true(*at <= len);
}

/*
 * tests/data/core/peers-main.dat, written by Bitcoin Core (format 4), with
 * every entry's time and last success moved forward by one amount so that
 * the newest time is now, and the checksum made anew.  Its entries were
 * seen on the day it was written; 30 days later all of them would be
 * terrible, and a terrible entry gives up its slot to a newcomer where a
 * sound one turns it away, so the counts these tests check would change
 * with the calendar.  Their spread and everything else stay as Core wrote
 * them.
 */
static char *real_file(size_t *len)
{
    char *raw = it_data_file("core/peers-main.dat", len);
    uint8_t *dat = (uint8_t *)raw, md[EVP_MAX_MD_SIZE];
    size_t at = 4 + 2 + 32, n, entry[REAL_ENTRIES], success[REAL_ENTRIES];
    uint64_t newest = 0;
    int64_t shift;
    unsigned mdlen;

    assert_true(*len > at + 12 + 32 && dat[4] == 4);
    n = le_at(dat + at, 4) + le_at(dat + at + 4, 4);
    assert_int_equal(n, REAL_ENTRIES);
    at += 12;
    for (size_t i = 0; i < n; i++) {
        entry[i] = at;
        at += 8;
        (void)compact_at(dat, *len, &at);       /* services */
        skip_addr(dat, *len, &at);
        at += 2;                                /* port */
        skip_addr(dat, *len, &at);              /* source */
        assert_true(at + 12 <= *len);
        if (le_at(dat + entry[i] + 4, 4) > newest)
            newest = le_at(dat + entry[i] + 4, 4);
        success[i] = at;
        at += 12;
    }
    shift = (int64_t)it_now() - (int64_t)newest;
    for (size_t i = 0; i < n && shift > 0; i++) {
        uint8_t *time = dat + entry[i] + 4, *ls = dat + success[i];
        int64_t t = (int64_t)le_at(ls, 8);

        le_put(time, le_at(time, 4) + (uint64_t)shift, 4);
        if (t > 0)
            le_put(ls, (uint64_t)(t + shift), 8);
    }
    assert_int_equal(EVP_Digest(dat, *len - 32, md, &mdlen, EVP_sha256(),
                                NULL), 1);
    assert_int_equal(EVP_Digest(md, mdlen, dat + *len - 32, &mdlen,
                                EVP_sha256(), NULL), 1);
    return raw;
}

/* n fresh IPv4 peers. */
static void add_peers(it_server *s, size_t n)
{
    char (*hosts)[IT_HOST_MAX] = calloc(n, sizeof *hosts);

    assert_non_null(hosts);
    it_add_ipv4s(s, n, 9, hosts);
    free(hosts);
}

static it_resp *post_dat(it_server *s, const void *dat, size_t len,
                         const char *content_type)
{
    it_req rq = {.method = "POST", .path = "/v1/import?format=core",
                 .body = dat, .body_len = len,
                 .content_type = content_type};

    return it_do(s, NULL, &rq);
}

/* The export of `s` for `query` ("" or "&chain=..."), status 200. */
static uint8_t *get_dat(it_server *s, const char *query, size_t *len)
{
    char path[IT_PATH_MAX], ct[64];
    it_resp *r;
    uint8_t *out;

    snprintf(path, sizeof path, "/v1/export?format=core%s", query);
    r = it_get(s, path);
    IT_STATUS(r, 200);
    assert_true(it_header(r, "Content-Type", ct, sizeof ct));
    IT_STREQ(ct, "application/octet-stream");
    out = malloc(r->body_len ? r->body_len : 1);
    assert_non_null(out);
    memcpy(out, r->body, r->body_len);
    *len = r->body_len;
    it_resp_free(r);
    return out;
}

/* A peers.dat that Core keeps whole: each entry where the file's key puts
 * it.  Returns the entries. */
static size_t check_placed(const uint8_t *dat, size_t len,
                           const am_chain *chain)
{
    st_coredat d;
    st_coredat_check ck;
    char why[ST_COREDAT_WHY_MAX];
    size_t n;

    if (st_coredat_parse(dat, len, chain, ST_COREDAT_VERIFY, &d, &ck, why,
                         sizeof why) != AM_OK)
        fail_msg("the export is not what Core keeps: %s", why);
    assert_int_equal(d.format, 4);
    assert_int_equal(ck.tried, d.n_tried);
    assert_int_equal(ck.new_own_bucket, d.n_new);
    n = (size_t)d.n_new + d.n_tried;
    st_coredat_free(&d);
    return n;
}

static json_t *import_ok(it_server *s, const void *dat, size_t len)
{
    it_resp *r = post_dat(s, dat, len, "application/octet-stream");
    json_t *b;

    IT_STATUS(r, 200);
    b = json_incref(IT_BODY(r));
    it_resp_free(r);
    assert_int_equal(json_array_size(IT_JARR(b, "errors")), 0);
    it_check_ignored_by(b);
    return b;
}

static void test_real_core_file_imports_over_http(void **state)
{
    it_server *s = *state;
    size_t len;
    char *dat;
    json_t *b;
    json_int_t added;

    it_need_own(s);
    dat = real_file(&len);
    b = import_ok(s, dat, len);
    added = IT_JINT(b, "added");

    /* Every entry is a peer, unless our own tables' slot was taken. */
    assert_int_equal(added + IT_JINT(b, "ignored"), REAL_ENTRIES);
    assert_int_equal(IT_JINT(b, "ignored"),
                     it_ignored_by(b, "table_full"));
    assert_true(added > REAL_ENTRIES * 9 / 10);
    assert_int_equal(it_count_peers(s, ""), (size_t)added);
    size_t tried = it_count_peers(s, "state=tried");
    assert_true(tried <= REAL_TRIED && tried > REAL_TRIED * 9 / 10);
    assert_int_equal(tried + it_count_peers(s, "state=never_tried") +
                         it_count_peers(s, "state=failed"), (size_t)added);
    json_decref(b);

    /* Again: every peer is known now. */
    b = import_ok(s, dat, len);
    assert_int_equal(IT_JINT(b, "added"), 0);
    json_decref(b);
    free(dat);
}

static void test_export_is_placed_as_core_places_and_imports_back(
    void **state)
{
    it_server *s = *state, other;
    size_t len, dlen, entries;
    char *dat;
    json_t *b;
    uint8_t *out;

    it_need_own(s);
    dat = real_file(&dlen);
    b = import_ok(s, dat, dlen);
    json_decref(b);
    out = get_dat(s, "", &len);
    assert_memory_equal(out, am_chain_get(AM_CHAIN_MAIN)->magic, 4);
    entries = check_placed(out, len, am_chain_get(AM_CHAIN_MAIN));
    assert_true(entries > REAL_ENTRIES * 8 / 10);
    assert_true(entries <= it_count_peers(s, ""));

    /* Into an empty server: every entry, bar our own collisions. */
    memset(&other, 0, sizeof other);
    it_open(&other, NULL);
    b = import_ok(&other, out, len);
    assert_int_equal(IT_JINT(b, "added") + IT_JINT(b, "ignored"), entries);
    assert_int_equal(IT_JINT(b, "ignored"),
                     it_ignored_by(b, "table_full"));
    json_decref(b);
    it_check_debug(&other);
    it_close(&other);
    free(out);
    free(dat);
}

static void test_export_takes_a_chain_and_refuses_bad_queries(void **state)
{
    it_server *s = *state;
    size_t len;
    uint8_t *out;
    it_resp *r;

    it_need_own(s);
    add_peers(s, 50);
    out = get_dat(s, "&chain=regtest", &len);
    assert_memory_equal(out, am_chain_get(AM_CHAIN_REGTEST)->magic, 4);
    assert_int_equal(check_placed(out, len, am_chain_get(AM_CHAIN_REGTEST)),
                     50);
    free(out);
    r = it_get(s, "/v1/export?format=core&chain=bitcoin");
    IT_ERROR(r, 400, "bad_request");
    assert_non_null(strstr(r->body, "unknown chain 'bitcoin'"));
    it_resp_free(r);
    r = it_get(s, "/v1/export?chain=main");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_get(s, "/v1/export?format=xml");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_get(s, "/v1/export?format=floresta");
    IT_STATUS(r, 200);
    it_resp_free(r);
}

/* A bad file is 400 naming the place; the pool does not change. */
static void expect_bad(it_server *s, const void *dat, size_t len,
                       const char *want)
{
    it_resp *r = post_dat(s, dat, len, "application/octet-stream");

    IT_ERROR(r, 400, "bad_request");
    if (strstr(r->body, want) == NULL)
        fail_msg("%s does not say \"%s\"", r->body, want);
    it_resp_free(r);
    assert_int_equal(it_count_peers(s, ""), 0);
}

static void test_corrupt_files_are_refused_and_change_nothing(void **state)
{
    it_server *s = *state;
    size_t len;
    char *dat = it_data_file("core/peers-main.dat", &len);
    it_resp *r;

    it_need_own(s);
    expect_bad(s, dat, 100, "entry 0 of the new table: truncated in");
    expect_bad(s, dat, len - 1, "truncated in the checksum");
    dat[len / 2] ^= 0x40;
    expect_bad(s, dat, len, "checksum");
    dat[len / 2] ^= 0x40;
    dat[0] ^= 0x01;
    expect_bad(s, dat, len, "is no chain's at byte 0");
    dat[0] ^= 0x01;
    r = post_dat(s, dat, len, "application/json");
    IT_ERROR(r, 415, "unsupported_media_type");
    it_resp_free(r);
    assert_int_equal(it_count_peers(s, ""), 0);
    free(dat);
}

static void test_a_testnet4_server_refuses_a_main_file(void **state)
{
    static const char *const args[] = {"--chain", "testnet4", NULL};
    it_server s;
    size_t len;
    char *dat = it_data_file("core/peers-main.dat", &len);
    uint8_t *out;

    (void)state;
    memset(&s, 0, sizeof s);
    it_start(&s, args, NULL, 1);
    expect_bad(&s, dat, len, "the network magic is main's, not testnet4's");
    /* Its export carries testnet4's magic by default. */
    add_peers(&s, 5);
    out = get_dat(&s, "", &len);
    assert_memory_equal(out, am_chain_get(AM_CHAIN_TESTNET4)->magic, 4);
    free(out);
    it_close(&s);
    free(dat);
}

/* ---- the command line ------------------------------------------------ */

/* Run a shell command line; its exit status, output into out. */
static int sh(const char *cmd, char *out, size_t len)
{
    const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
    int st = it_run(argv, NULL, 30000, out, len);

    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_cli_imports_and_exports_a_stopped_servers_directory(
    void **state)
{
    it_server s;
    char cmd[2048], out[8192], file[256], datfile[512];
    size_t len;
    uint8_t *dat;

    (void)state;
    memset(&s, 0, sizeof s);
    it_start(&s, NULL, NULL, 1);
    add_peers(&s, 20);
    {
        size_t dlen;
        char *real = real_file(&dlen);
        FILE *df;

        snprintf(datfile, sizeof datfile, "%s/peers-main.dat", s.base);
        df = fopen(datfile, "wb");
        assert_non_null(df);
        assert_int_equal(fwrite(real, 1, dlen, df), dlen);
        assert_int_equal(fclose(df), 0);
        free(real);
    }
    /* While the server holds the directory: refused, nothing changed. */
    snprintf(cmd, sizeof cmd, "%s import --format core --datadir %s %s",
             ADDRMAND_BIN, s.datadir, datfile);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "a server runs on it"));
    assert_int_equal(it_count_peers(&s, ""), 20);
    assert_int_equal(it_signal_wait(&s, SIGTERM, IT_STOP_TIMEOUT_MS), 0);

    /* Stopped: the import merges and saves, the answer as over HTTP. */
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"added\":"));
    assert_non_null(strstr(out, "\"errors\":[]"));
    snprintf(file, sizeof file, "%s/export.dat", s.base);
    snprintf(cmd, sizeof cmd, "%s export --format core --chain signet "
             "--datadir %s > %s", ADDRMAND_BIN, s.datadir, file);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "peers.dat for signet:"));
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    dat = malloc(1 << 20);
    len = fread(dat, 1, 1 << 20, f);
    fclose(f);
    size_t entries = check_placed(dat, len, am_chain_get(AM_CHAIN_SIGNET));
    free(dat);

    /* No such directory: no export (and no directory made). */
    snprintf(cmd, sizeof cmd, "%s export --format core --datadir %s/none "
             "> %s.none", ADDRMAND_BIN, s.base, file);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "/none is not a data directory"));

    /* A bad file changes nothing. */
    snprintf(cmd, sizeof cmd, "head -c 200 %s > %s.cut && %s import "
             "--format core --datadir %s %s.cut", datfile, file,
             ADDRMAND_BIN, s.datadir, file);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "nothing was changed"));

    /* The server finds what the command line put there. */
    it_restart(&s, NULL);
    size_t peers = it_count_peers(&s, "");
    assert_true(peers > 20 + REAL_ENTRIES * 9 / 10);
    assert_true(entries <= peers);
    it_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_core_file_imports_over_http,
                                        it_fx_setup, it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_export_is_placed_as_core_places_and_imports_back,
            it_fx_setup, it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_export_takes_a_chain_and_refuses_bad_queries, it_fx_setup,
            it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_corrupt_files_are_refused_and_change_nothing, it_fx_setup,
            it_fx_teardown),
        cmocka_unit_test(test_a_testnet4_server_refuses_a_main_file),
        cmocka_unit_test(
            test_cli_imports_and_exports_a_stopped_servers_directory),
    };
    return IT_RUN(tests);
}
