/*
 * harness.h - integration tests against the real addrmand binary.
 *
 * A test either starts its own server (the binary CMake built, on a free
 * loopback port, with a fresh data directory under /tmp) or, when the
 * environment variable ADDRMAND_TEST_URL is set, uses that server (and the
 * token in ADDRMAND_TEST_TOKEN, if any).  In that "shared" mode the pool is
 * not empty and is not ours: tests use unique addresses (itest_addr.h) and
 * compare counts relative to before; tests that need their own process
 * (signals, special options) call it_need_own(), which skips them.
 *
 * Requests go through libcurl; responses keep status, raw headers, body and
 * the body parsed by jansson.  The assertion helpers report the request and
 * the body when they fail.
 */
#ifndef IT_HARNESS_H
#define IT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sys/types.h>

#ifndef ADDRMAND_BIN
#error "ADDRMAND_BIN must name the addrmand binary"
#endif

#define IT_URL_MAX 256
#define IT_TOKEN_MAX 256
#define IT_PATH_MAX 512
/* Both grow tenfold when the server runs under a wrapper (see it_start). */
#define IT_START_TIMEOUT_MS (10000 * it_time_scale())
#define IT_STOP_TIMEOUT_MS (10000 * it_time_scale())

typedef struct it_server {
    int shared;                 /* 1: ADDRMAND_TEST_URL, not our process */
    int debug;                  /* we gave --enable-debug */
    pid_t pid;                  /* our process; 0 when none */
    int port;
    char url[IT_URL_MAX];       /* "http://127.0.0.1:PORT", no '/' at end */
    char token[IT_TOKEN_MAX];   /* API token sent by default; "" none */
    char base[64];              /* our temp dir: data/ and server.log */
    char datadir[128];
    char log[128];
    CURL *curl;                 /* the test thread's handle */
} it_server;

enum it_auth {
    IT_AUTH_DEFAULT = 0,        /* the server's token, when it has one */
    IT_AUTH_NONE,               /* no Authorization header */
    IT_AUTH_CUSTOM              /* it_req.authorization as the value */
};

typedef struct it_req {
    const char *method;
    const char *path;           /* with its query string */
    const void *body;           /* NULL: no body */
    size_t body_len;
    const char *content_type;   /* NULL: no Content-Type header */
    int auth;                   /* enum it_auth */
    const char *authorization;  /* IT_AUTH_CUSTOM */
    long timeout_ms;            /* 0: 30 s */
    const char *const *headers; /* more "Name: value" lines, NULL-ended */
} it_req;

typedef struct it_resp {
    long status;                /* 0 when no answer */
    CURLcode curl_rc;
    char *body;                 /* NUL-terminated */
    size_t body_len;
    char *headers;              /* raw header block */
    size_t headers_len;
    json_t *json;               /* NULL unless the body is JSON */
    char what[IT_PATH_MAX + 16]; /* "METHOD path", for messages */
} it_resp;

/* ---- process --------------------------------------------------------- */

/* Once per program, before any test. */
void it_global_init(void);
/* 10 when ADDRMAND_TEST_WRAPPER is set, else 1: the factor for timeouts. */
int it_time_scale(void);
/* 1 when ADDRMAND_TEST_URL names the server to use. */
int it_shared_mode(void);

/*
 * Our server or the shared one: in shared mode `args` are not used; else
 * start the binary with --enable-debug and `args` (NULL-terminated, may be
 * NULL).  Fails the test when the server does not answer /healthz.
 */
void it_open(it_server *s, const char *const *args);
/* Always our own process: --listen/--datadir (unless `std_args` is 0, then
 * only `args`), `env` (NULL-terminated "NAME=value", may be NULL) added to
 * the environment, which loses every inherited ADDRMAND_* variable.  When
 * ADDRMAND_TEST_WRAPPER is set ("/usr/bin/valgrind --opt ...", words split
 * at spaces, the first an absolute path), the server runs under it. */
void it_start(it_server *s, const char *const *args, const char *const *env,
              int std_args);
/* Start our server again after it stopped (it_signal_wait), on the same
 * data directory and log, with --listen/--datadir and `args`. */
void it_restart(it_server *s, const char *const *args);
/* Skip the test when the server is not ours. */
void it_need_own(const it_server *s);
/* Our server: GET /debug/check must be 200 {"ok": true}. */
void it_check_debug(it_server *s);
/*
 * End of a test: for our server, /debug/check (when enabled), then SIGTERM
 * and exit status 0 within IT_STOP_TIMEOUT_MS; the temp dir is removed.
 */
void it_close(it_server *s);
/* Send `sig`, wait up to timeout_ms; returns the wait status, or -1 (the
 * process was then killed).  The temp dir stays (it_close removes it). */
int it_signal_wait(it_server *s, int sig, long timeout_ms);
/* Print the last bytes of our server's log to stderr. */
void it_dump_log(const it_server *s);

/* Remove a file or a directory tree. */
void it_rm_tree(const char *path);

/* A port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);

/* Run a command to completion: the wait status, or -1 on a timeout (it is
 * then killed).  Its stdout and stderr go to out (NUL-terminated). */
int it_run(const char *const *argv, const char *const *env, long timeout_ms,
           char *out, size_t out_len);

/* ---- requests -------------------------------------------------------- */

/* One request; `c` NULL uses s->curl (only from the test thread). */
it_resp *it_do(it_server *s, CURL *c, const it_req *rq);
it_resp *it_get(it_server *s, const char *path);
it_resp *it_delete(it_server *s, const char *path);
/* A JSON body (NULL: none) with Content-Type application/json. */
it_resp *it_send(it_server *s, const char *method, const char *path,
                 const char *json);
it_resp *it_sendf(it_server *s, const char *method, const char *path,
                  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void it_resp_free(it_resp *r);

/* A header's value (first occurrence, name case-insensitive) into out;
 * 1 when present. */
int it_header(const it_resp *r, const char *name, char *out, size_t len);

/* Percent-encode every byte but unreserved ones (RFC 3986). */
void it_pct(const char *in, char *out, size_t len);

/* ---- assertions ------------------------------------------------------ */

void it_status_at(const it_resp *r, long status, const char *file, int line);
void it_error_at(const it_resp *r, long status, const char *code,
                 const char *file, int line);
json_t *it_member_at(const json_t *obj, const char *key, json_type type,
                     const char *file, int line);
json_t *it_body_at(const it_resp *r, const char *file, int line);

#define IT_STATUS(r, st) it_status_at((r), (st), __FILE__, __LINE__)
/* Status and {"error": {"code": code, "message": "<non-empty>"}}. */
#define IT_ERROR(r, st, code) it_error_at((r), (st), (code), __FILE__, __LINE__)
/* The body as a JSON object. */
#define IT_BODY(r) it_body_at((r), __FILE__, __LINE__)
#define IT_MEMBER(o, k, t) it_member_at((o), (k), (t), __FILE__, __LINE__)
#define IT_JINT(o, k) json_integer_value(IT_MEMBER((o), (k), JSON_INTEGER))
#define IT_JSTR(o, k) json_string_value(IT_MEMBER((o), (k), JSON_STRING))
#define IT_JARR(o, k) IT_MEMBER((o), (k), JSON_ARRAY)
#define IT_JOBJ(o, k) IT_MEMBER((o), (k), JSON_OBJECT)
#define IT_STREQ(got, want) it_streq_at((got), (want), __FILE__, __LINE__)
void it_streq_at(const char *got, const char *want, const char *file,
                 int line);

/* Run `main`'s tests: it_global_init() then cmocka's group runner. */
#define IT_RUN(tests) (it_global_init(), cmocka_run_group_tests((tests), NULL, NULL))

#endif
