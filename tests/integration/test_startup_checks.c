/*
 * test_startup_checks.c - what the server guards and says at start: the
 * data directory it makes is private (0700, files 0600), and a directory
 * or key file open to others, or a short token, is warned about in the
 * log (allowed, not refused).  Own servers only.
 */
#include "it_api.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const debug_args[] = { "--enable-debug", NULL };

/* The whole server log so far (malloc'd, NUL-terminated). */
static char *read_log(const it_server *s)
{
    FILE *f = fopen(s->log, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int log_has(const it_server *s, const char *text)
{
    char *log = read_log(s);
    int found = strstr(log, text) != NULL;

    free(log);
    return found;
}

static unsigned mode_of(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        fail_msg("stat %s failed", path);
    return (unsigned)(st.st_mode & 07777);
}

static void stop(it_server *s)
{
    assert_int_equal(it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS), 0);
}

static void post(it_server *s, const char *path, const char *json,
                 long status)
{
    it_resp *r = it_send(s, "POST", path, json);

    IT_STATUS(r, status);
    it_resp_free(r);
}

/* A data directory the server creates, parents included, is 0700, and
 * every file it writes there (snapshot, key, bans, journal, lock,
 * anchors) is 0600. */
static void test_fresh_data_directory_and_its_files_are_private(void **state)
{
    it_server *s = *state;
    char parent[160], path[400], host[IT_HOST_MAX];
    struct dirent *de;
    size_t files = 0;
    DIR *d;
    it_resp *r;

    it_need_own(s);
    it_start(s, debug_args, NULL, 1);
    stop(s);
    snprintf(parent, sizeof parent, "%s/fresh", s->base);
    snprintf(s->datadir, sizeof s->datadir, "%s/fresh/data", s->base);
    it_restart(s, debug_args);
    assert_int_equal(mode_of(parent), 0700);
    assert_int_equal(mode_of(s->datadir), 0700);
    it_add_one(s, "9.9.9.9", IT_PORT, 1);
    post(s, "/v1/bans", "{\"target\": \"198.51.100.0/24\", \"duration\": 60}", 201);
    r = it_send(s, "PUT", "/v1/anchors", "{\"peers\": [\"9.9.9.9:8333\"]}");
    IT_STATUS(r, 200);
    it_resp_free(r);
    post(s, "/v1/dump", NULL, 200);
    /* A journal record: a fresh address, another drawn while one finds
     * 9.9.9.9 holding its slot (the key is fresh each run). */
    it_add_fresh(s, '4', IT_PORT, 1, host);
    d = opendir(s->datadir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", s->datadir, de->d_name);
        if (mode_of(path) != 0600)
            fail_msg("%s has mode %04o, not 0600", de->d_name, mode_of(path));
        files++;
    }
    closedir(d);
    assert_true(files >= 6);    /* peers, bans, key, journal, lock, anchors */
    assert_false(log_has(s, "open to other users"));
}

/* A directory someone else made open, and a key file made readable, are
 * said in the log at every start; the server runs all the same. */
static void test_open_data_directory_and_key_file_are_warned_about(void **state)
{
    it_server *s = *state;
    char key[300];

    it_need_own(s);
    it_start(s, debug_args, NULL, 1);
    assert_false(log_has(s, "open to other users"));
    stop(s);
    assert_int_equal(chmod(s->datadir, 0755), 0);
    it_restart(s, debug_args);
    assert_true(log_has(s, "the data directory is open to other users "
                           "(mode 0755)"));
    assert_false(log_has(s, "secret bucketing key"));
    stop(s);
    snprintf(key, sizeof key, "%s/addrmand.json", s->datadir);
    assert_int_equal(chmod(key, 0644), 0);
    it_restart(s, debug_args);
    assert_true(log_has(s, "addrmand.json, which holds the secret bucketing "
                           "key, is open to other users (mode 0644)"));
    it_add_one(s, "9.9.9.9", IT_PORT, 1);
}

static void test_short_token_is_warned_about(void **state)
{
    static const char *const args[] = { "--api-token", "short-token", NULL };
    it_server *s = *state;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    assert_true(log_has(s, "the API token has 11 characters, fewer than 16"));
}

/* A long token, or none on loopback, gives no warning of either kind. */
static void test_long_token_or_loopback_gives_no_warning(void **state)
{
    static const char *const args[] = {
        "--api-token", "0123456789abcdef0123456789abcdef", NULL };
    it_server *s = *state;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    assert_false(log_has(s, "fewer than 16"));
    assert_false(log_has(s, "not a loopback address"));
    stop(s);
    it_restart(s, NULL);
    assert_false(log_has(s, "not a loopback address"));
}

#define TN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TN(test_fresh_data_directory_and_its_files_are_private),
        TN(test_open_data_directory_and_key_file_are_warned_about),
        TN(test_short_token_is_warned_about),
        TN(test_long_token_or_loopback_gives_no_warning),
    };

    return IT_RUN(tests);
}
