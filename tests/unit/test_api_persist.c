/*
 * test_api_persist.c - the handlers and the data directory, through
 * api_handle() with a real store: every change a request makes is in the
 * journal when the answer comes; a journal that cannot be written makes
 * the answer 500 io_error (and /readyz 503); without a store the file
 * routes answer 503.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "st_store.h"
#include "store_test.h"

typedef struct fixture {
    char dir[64];
    st_store *store;
    am_man *core;
    api_ctx *api;
} fixture;

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    st_store_opts o;
    api_config cfg;
    am_config ac;
    char why[256];

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_api_persist.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    /* The fixed key: the tests require each of their peers to get in, and
     * with a fresh random key two meet in one slot one run in 65536. */
    st_seed_meta(f->dir);
    st_store_opts_default(&o);
    o.log = quiet;
    assert_int_equal(st_store_open(f->dir, &o, &f->store, why, sizeof why),
                     AM_OK);
    am_config_default(&ac);
    assert_int_equal(st_store_config(f->store, &ac), AM_OK);
    assert_int_equal(am_new(&ac, &f->core), AM_OK);
    assert_int_equal(st_store_load(f->store, f->core, NULL), AM_OK);
    api_config_default(&cfg);
    cfg.core = f->core;
    cfg.datadir = f->dir;
    cfg.store = f->store;
    assert_int_equal(api_new(&cfg, &f->api), AM_OK);
    *state = f;
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture *f = *state;

    api_free(f->api);
    am_free(f->core);
    st_store_close(f->store);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* One request; its status (the body parsed into *json when asked). */
static int call(fixture *f, const char *method, const char *path,
                const char *body, json_t **json)
{
    api_request rq = { method, path, NULL, body ? "application/json" : NULL,
                       NULL, body, body ? strlen(body) : 0, 0 };
    api_response resp;
    int status;

    assert_int_equal(api_handle(f->api, &rq, &resp), AM_OK);
    status = resp.status;
    if (json != NULL)
        *json = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL)
                          : NULL;
    api_response_free(&resp);
    return status;
}

static uint64_t records(fixture *f)
{
    st_store_stats st;

    st_store_stats_get(f->store, &st);
    return st.journal_records;
}

/* A request that must answer `status` and journal `n` records. */
static void expect(fixture *f, const char *method, const char *path,
                   const char *body, int status, uint64_t n)
{
    uint64_t before = records(f);

    assert_int_equal(call(f, method, path, body, NULL), status);
    if (records(f) - before != n)
        fail_msg("%s %s: %llu journal records, expected %llu", method, path,
                 (unsigned long long)(records(f) - before),
                 (unsigned long long)n);
}

static void test_every_change_is_journalled(void **state)
{
    fixture *f = *state;

    expect(f, "POST", "/v1/peers",
           "{\"peers\": [{\"address\": \"1.2.3.4\"}, "
           "{\"address\": \"5.6.7.8\"}, {\"address\": \"10.0.0.1\"}]}",
           200, 2);                          /* the private one is ignored */
    expect(f, "PUT", "/v1/peers/1/state", "{\"state\": \"tried\"}", 200, 1);
    expect(f, "PUT", "/v1/peers/1.2.3.4:8333/services", "{\"services\": 9}",
           200, 1);
    expect(f, "DELETE", "/v1/peers/2", NULL, 204, 1);
    expect(f, "DELETE", "/v1/peers/2", NULL, 404, 0);
    expect(f, "POST", "/v1/bans", "{\"target\": \"11.0.0.0/8\"}", 201, 1);
    expect(f, "DELETE", "/v1/bans/11.0.0.0/8", NULL, 204, 1);
    expect(f, "DELETE", "/v1/bans", NULL, 204, 1);
    expect(f, "POST", "/v1/select", "{\"count\": 2}", 200, 0);
    expect(f, "POST", "/v1/import",
           "[{\"address\": {\"V4\": \"9.9.9.9\"}, \"port\": 8333, "
           "\"state\": \"NeverTried\", \"services\": 1, "
           "\"last_connected\": 0}]", 200, 1);
    expect(f, "GET", "/v1/peers", NULL, 200, 0);
    /* A snapshot starts the journal again. */
    assert_int_equal(call(f, "POST", "/v1/dump", NULL, NULL), 200);
    assert_int_equal(records(f), 0);
    expect(f, "POST", "/v1/load", NULL, 200, 2);   /* both peers updated */
}

/* The fd of the current journal, found through /proc. */
static int journal_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char link[300], target[512];
    int fd = -1;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        ssize_t n;

        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strstr(target, "/journal.") != NULL)
            fd = atoi(e->d_name);
    }
    closedir(d);
    return fd;
}

static void test_journal_failure_is_io_error(void **state)
{
    fixture *f = *state;
    int fd = journal_fd(), full = open("/dev/full", O_WRONLY);
    json_t *body;
    st_store_stats st;

    assert_true(fd >= 0);
    assert_true(full >= 0);
    /* Every write to the journal now fails with ENOSPC. */
    assert_int_equal(dup2(full, fd), fd);
    close(full);
    assert_int_equal(call(f, "POST", "/v1/peers",
                          "{\"peers\": [{\"address\": \"1.2.3.4\"}]}", &body),
                     500);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(body, "error"), "code")),
                        "io_error");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(body, "error"), "message")),
                           "journal"));
    json_decref(body);
    /* The change is in memory, said so, and the service is not ready. */
    assert_int_equal(call(f, "GET", "/v1/peers/1.2.3.4:8333", NULL, NULL),
                     200);
    assert_int_equal(call(f, "POST", "/v1/bans", "{\"target\": \"8.8.8.8\"}",
                          NULL), 500);
    assert_int_equal(call(f, "GET", "/readyz", NULL, NULL), 503);
    st_store_stats_get(f->store, &st);
    assert_true(st.journal_failures >= 2);
    /* A snapshot starts a new journal: durable again. */
    assert_int_equal(call(f, "POST", "/v1/dump", NULL, NULL), 200);
    assert_int_equal(call(f, "GET", "/readyz", NULL, NULL), 200);
    assert_int_equal(call(f, "POST", "/v1/peers",
                          "{\"peers\": [{\"address\": \"5.6.7.8\"}]}", NULL),
                     200);
}

static void test_file_routes_without_a_store(void **state)
{
    fixture *f = *state;
    api_config cfg;
    api_ctx *bare;
    api_request rq = { "POST", "/v1/dump", NULL, NULL, NULL, NULL, 0, 0 };
    api_response resp;

    api_config_default(&cfg);
    cfg.core = f->core;
    assert_int_equal(api_new(&cfg, &bare), AM_OK);
    assert_int_equal(api_handle(bare, &rq, &resp), AM_OK);
    assert_int_equal(resp.status, 503);
    api_response_free(&resp);
    assert_int_equal(api_save(bare, NULL), AM_ERR_INVAL);
    api_free(bare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_change_is_journalled,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_failure_is_io_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_routes_without_a_store,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
