/*
 * harness.c - start/stop addrmand, send requests, check answers.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define IT_MAX_ARGS 64
#define IT_MAX_ENV 512
#define IT_MAX_WRAP 16

/* ---- small utilities ------------------------------------------------- */

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void it_rm_tree(const char *path)
{
    struct dirent *e;
    struct stat st;
    char sub[1024];
    DIR *d;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            it_rm_tree(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

void it_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_ALL) != 0) {
        fprintf(stderr, "curl_global_init failed\n");
        exit(1);
    }
    signal(SIGPIPE, SIG_IGN);
}

int it_shared_mode(void)
{
    const char *u = getenv("ADDRMAND_TEST_URL");

    return u != NULL && u[0] != '\0';
}

int it_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd, port = -1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* ---- child processes ------------------------------------------------- */

/* The environment without ADDRMAND_*, plus `extra`. */
static void build_env(const char *const *extra, const char **envp, size_t cap)
{
    size_t n = 0, i;

    for (i = 0; environ[i] != NULL && n + 1 < cap; i++)
        if (strncmp(environ[i], "ADDRMAND_", 9) != 0)
            envp[n++] = environ[i];
    for (i = 0; extra != NULL && extra[i] != NULL && n + 1 < cap; i++)
        envp[n++] = extra[i];
    envp[n] = NULL;
}

static pid_t spawn(const char *const *argv, const char *const *env,
                   const char *out_path)
{
    const char *envp[IT_MAX_ENV];
    pid_t parent = getpid(), pid;
    int fd;

    build_env(env, envp, IT_MAX_ENV);
    fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        dup2(null_fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    close(fd);
    return pid;
}

/* The wait status, or -1 when the process lives on after timeout_ms. */
static int wait_exit(pid_t pid, long timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    int st;

    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);

        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() > deadline)
            return -1;
        sleep_ms(5);
    }
}

static void kill_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void read_file(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;

    if (len == 0)
        return;
    if (f != NULL) {
        n = fread(out, 1, len - 1, f);
        fclose(f);
    }
    out[n] = '\0';
}

int it_run(const char *const *argv, const char *const *env, long timeout_ms,
           char *out, size_t out_len)
{
    char path[] = "/tmp/addrmand-it-run-XXXXXX";
    int fd = mkstemp(path), st;
    pid_t pid;

    if (fd < 0)
        fail_msg("mkstemp: %s", strerror(errno));
    close(fd);
    pid = spawn(argv, env, path);
    if (pid < 0)
        fail_msg("cannot start %s: %s", argv[0], strerror(errno));
    st = wait_exit(pid, timeout_ms);
    if (st == -1)
        kill_reap(pid);
    read_file(path, out, out_len);
    unlink(path);
    return st;
}

/* ---- our server ------------------------------------------------------ */

void it_dump_log(const it_server *s)
{
    char buf[4096];
    FILE *f;
    long size;
    size_t n;

    if (s->log[0] == '\0' || (f = fopen(s->log, "rb")) == NULL)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0,
          SEEK_SET);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "---- addrmand log (%s, last %zu bytes) ----\n%s\n----\n",
            s->log, n, buf);
}

static void make_dirs(it_server *s)
{
    snprintf(s->base, sizeof s->base, "/tmp/addrmand-it-XXXXXX");
    if (mkdtemp(s->base) == NULL)
        fail_msg("mkdtemp: %s", strerror(errno));
    snprintf(s->datadir, sizeof s->datadir, "%s/data", s->base);
    snprintf(s->log, sizeof s->log, "%s/server.log", s->base);
    if (mkdir(s->datadir, 0700) != 0)
        fail_msg("mkdir %s: %s", s->datadir, strerror(errno));
}

int it_time_scale(void)
{
    const char *w = getenv("ADDRMAND_TEST_WRAPPER");

    return w != NULL && w[0] != '\0' ? 10 : 1;
}

/* The words of ADDRMAND_TEST_WRAPPER into argv (they live in a static
 * copy); how many. */
static size_t wrapper_argv(const char **argv)
{
    static char copy[1024];
    const char *w = getenv("ADDRMAND_TEST_WRAPPER");
    char *p, *save = NULL;
    size_t n = 0;

    if (w == NULL || w[0] == '\0')
        return 0;
    snprintf(copy, sizeof copy, "%s", w);
    for (p = strtok_r(copy, " ", &save); p != NULL && n < IT_MAX_WRAP;
         p = strtok_r(NULL, " ", &save))
        argv[n++] = p;
    return n;
}

static size_t build_argv(const it_server *s, const char *const *args,
                         int std_args, char *listen, size_t listen_len,
                         const char **argv)
{
    size_t n = wrapper_argv(argv), i;

    argv[n++] = ADDRMAND_BIN;
    if (std_args) {
        snprintf(listen, listen_len, "127.0.0.1:%d", s->port);
        argv[n++] = "--listen";
        argv[n++] = listen;
        argv[n++] = "--datadir";
        argv[n++] = s->datadir;
    }
    for (i = 0; args != NULL && args[i] != NULL && n + 1 < IT_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return n;
}

static int healthz_ok(it_server *s)
{
    it_req rq = { .method = "GET", .path = "/healthz", .auth = IT_AUTH_NONE,
                  .timeout_ms = 1000 };
    it_resp *r = it_do(s, NULL, &rq);
    int ok = r->status == 200;

    it_resp_free(r);
    return ok;
}

/* 0 once /healthz answers 200; -1 when the process died or time ran out. */
static int wait_ready(it_server *s, int *exit_status)
{
    long deadline = now_ms() + IT_START_TIMEOUT_MS;

    *exit_status = -1;
    while (now_ms() < deadline) {
        if (waitpid(s->pid, exit_status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        if (healthz_ok(s))
            return 0;
        sleep_ms(20);
    }
    return -1;
}

/* The --listen text the caller chose itself (in args, or ADDRMAND_LISTEN
 * in env), or NULL. */
static const char *chosen_listen(const char *const *args,
                                 const char *const *env)
{
    size_t i;

    for (i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], "--listen") == 0 && args[i + 1] != NULL)
            return args[i + 1];
    for (i = 0; env != NULL && env[i] != NULL; i++)
        if (strncmp(env[i], "ADDRMAND_LISTEN=", 16) == 0)
            return env[i] + 16;
    return NULL;
}

static int try_start(it_server *s, const char *const *args,
                     const char *const *env, int std_args, int *exit_status)
{
    const char *argv[IT_MAX_ARGS];
    const char *chosen = std_args ? NULL : chosen_listen(args, env);
    char listen[64];

    if (chosen != NULL && strrchr(chosen, ':') != NULL) {
        s->port = atoi(strrchr(chosen, ':') + 1);
        snprintf(s->url, sizeof s->url, "http://%s", chosen);
    } else {
        s->port = it_free_port();
        if (s->port <= 0)
            fail_msg("no free port on 127.0.0.1");
        snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    }
    build_argv(s, args, std_args, listen, sizeof listen, argv);
    s->pid = spawn(argv, env, s->log);
    if (s->pid < 0)
        fail_msg("cannot start %s: %s", ADDRMAND_BIN, strerror(errno));
    return wait_ready(s, exit_status);
}

static void find_token(it_server *s, const char *const *args,
                       const char *const *env)
{
    size_t i;

    s->token[0] = '\0';
    for (i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], "--api-token") == 0 && args[i + 1] != NULL)
            snprintf(s->token, sizeof s->token, "%s", args[i + 1]);
    for (i = 0; env != NULL && env[i] != NULL; i++)
        if (strncmp(env[i], "ADDRMAND_API_TOKEN=", 19) == 0)
            snprintf(s->token, sizeof s->token, "%s", env[i] + 19);
}

static void init_handle(it_server *s)
{
    if (s->curl == NULL)
        s->curl = curl_easy_init();
    if (s->curl == NULL)
        fail_msg("curl_easy_init failed");
}

static void start_in_dirs(it_server *s, const char *const *args,
                          const char *const *env, int std_args)
{
    int attempt, st = -1;
    size_t i;

    find_token(s, args, env);
    s->debug = 0;
    for (i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], "--enable-debug") == 0)
            s->debug = 1;
    /* A port that was free may be taken before the server binds it. */
    for (attempt = 0; attempt < 3; attempt++) {
        if (try_start(s, args, env, std_args, &st) == 0)
            return;
        if (s->pid != 0)
            break;              /* alive but silent: do not retry */
    }
    it_dump_log(s);
    if (s->pid != 0) {
        kill_reap(s->pid);
        s->pid = 0;
    }
    fail_msg("addrmand (%s) did not answer GET %s/healthz within %d ms "
             "(exit status %d)", ADDRMAND_BIN, s->url, IT_START_TIMEOUT_MS,
             st);
}

void it_start(it_server *s, const char *const *args, const char *const *env,
              int std_args)
{
    memset(s, 0, sizeof *s);
    init_handle(s);
    make_dirs(s);
    start_in_dirs(s, args, env, std_args);
}

void it_restart(it_server *s, const char *const *args)
{
    if (s->shared || s->pid != 0 || s->base[0] == '\0')
        fail_msg("it_restart: no stopped server of ours to restart");
    init_handle(s);
    start_in_dirs(s, args, NULL, 1);
}

static void open_shared(it_server *s)
{
    const char *url = getenv("ADDRMAND_TEST_URL");
    const char *tok = getenv("ADDRMAND_TEST_TOKEN");
    size_t len;

    memset(s, 0, sizeof *s);
    s->shared = 1;
    init_handle(s);
    snprintf(s->url, sizeof s->url, "%s", url);
    len = strlen(s->url);
    while (len > 0 && s->url[len - 1] == '/')
        s->url[--len] = '\0';
    if (tok != NULL)
        snprintf(s->token, sizeof s->token, "%s", tok);
    if (!healthz_ok(s))
        fail_msg("ADDRMAND_TEST_URL=%s does not answer GET /healthz", s->url);
}

void it_open(it_server *s, const char *const *args)
{
    const char *argv[IT_MAX_ARGS];
    size_t n = 0, i;

    if (it_shared_mode()) {
        open_shared(s);
        return;
    }
    argv[n++] = "--enable-debug";
    for (i = 0; args != NULL && args[i] != NULL && n + 1 < IT_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    it_start(s, argv, NULL, 1);
}

void it_need_own(const it_server *s)
{
    if (s->shared)
        skip();
}

/* 1 when GET /debug/check says {"ok": true}; else 0 with why. */
static int debug_ok(it_server *s, char *why, size_t len)
{
    it_resp *r = it_get(s, "/debug/check");
    const json_t *ok = r->json ? json_object_get(r->json, "ok") : NULL;
    int good = r->status == 200 && json_is_true(ok);

    if (!good)
        snprintf(why, len, "GET /debug/check: consistency check failed: "
                 "HTTP %ld (%s) %.400s", r->status,
                 curl_easy_strerror(r->curl_rc), r->body);
    it_resp_free(r);
    return good;
}

void it_check_debug(it_server *s)
{
    char why[600];

    if (s->shared || !s->debug)
        return;
    if (!debug_ok(s, why, sizeof why)) {
        it_dump_log(s);
        fail_msg("%s", why);
    }
}

static void release(it_server *s)
{
    if (s->curl != NULL)
        curl_easy_cleanup(s->curl);
    s->curl = NULL;
    if (s->base[0] != '\0')
        it_rm_tree(s->base);
    s->base[0] = '\0';
}

int it_signal_wait(it_server *s, int sig, long timeout_ms)
{
    int st;

    if (s->pid == 0)
        return -1;
    kill(s->pid, sig);
    st = wait_exit(s->pid, timeout_ms);
    if (st == -1) {
        it_dump_log(s);
        kill_reap(s->pid);
    }
    s->pid = 0;
    return st;
}

void it_close(it_server *s)
{
    char why[600] = "";
    int st, dbg = 1;

    if (s->shared || s->pid == 0) {
        release(s);
        return;
    }
    if (s->debug)
        dbg = debug_ok(s, why, sizeof why);
    st = it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS);
    if (!dbg || (st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)))
        it_dump_log(s);
    release(s);
    if (!dbg)
        fail_msg("%s", why);
    if (st == -1)
        fail_msg("addrmand did not exit within %d ms of SIGTERM",
                 IT_STOP_TIMEOUT_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("addrmand ended with %s %d after SIGTERM, expected exit 0",
                 WIFEXITED(st) ? "exit status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- requests -------------------------------------------------------- */

typedef struct it_buf {
    char *p;
    size_t len, cap;
} it_buf;

static size_t buf_write(char *data, size_t size, size_t n, void *ctx)
{
    it_buf *b = ctx;
    size_t add = size * n;

    if (b->len + add + 1 > b->cap) {
        size_t cap = (b->len + add + 1) * 2;
        char *p = realloc(b->p, cap);

        if (p == NULL)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static struct curl_slist *req_headers(const it_server *s, const it_req *rq)
{
    struct curl_slist *h = NULL;
    char line[IT_TOKEN_MAX + 64];
    size_t i;

    h = curl_slist_append(h, "Expect:");
    for (i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
        h = curl_slist_append(h, rq->headers[i]);
    if (rq->content_type != NULL)
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
    else
        snprintf(line, sizeof line, "Content-Type:");
    h = curl_slist_append(h, line);
    if (rq->auth == IT_AUTH_CUSTOM) {
        snprintf(line, sizeof line, "Authorization: %s", rq->authorization);
        h = curl_slist_append(h, line);
    } else if (rq->auth == IT_AUTH_DEFAULT && s->token[0] != '\0') {
        snprintf(line, sizeof line, "Authorization: Bearer %s", s->token);
        h = curl_slist_append(h, line);
    }
    return h;
}

static void set_body(CURL *c, const it_req *rq)
{
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        return;
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)rq->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
    }
}

static void set_options(CURL *c, const it_req *rq, const char *url,
                        it_buf *body, it_buf *hdr)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hdr);
    set_body(c, rq);
}

it_resp *it_do(it_server *s, CURL *c, const it_req *rq)
{
    it_resp *r = calloc(1, sizeof *r);
    struct curl_slist *h;
    it_buf body = { 0 }, hdr = { 0 };
    char url[IT_URL_MAX + IT_PATH_MAX];

    if (r == NULL) {
        fail_msg("out of memory");
        abort();
    }
    if (c == NULL)
        c = s->curl;
    snprintf(url, sizeof url, "%s%s", s->url, rq->path);
    snprintf(r->what, sizeof r->what, "%s %s", rq->method, rq->path);
    h = req_headers(s, rq);
    set_options(c, rq, url, &body, &hdr);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    r->curl_rc = curl_easy_perform(c);
    if (r->curl_rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    r->body = body.p ? body.p : strdup("");
    r->body_len = body.len;
    r->headers = hdr.p ? hdr.p : strdup("");
    r->headers_len = hdr.len;
    r->json = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL);
    return r;
}

it_resp *it_get(it_server *s, const char *path)
{
    it_req rq = { .method = "GET", .path = path };

    return it_do(s, NULL, &rq);
}

it_resp *it_delete(it_server *s, const char *path)
{
    it_req rq = { .method = "DELETE", .path = path };

    return it_do(s, NULL, &rq);
}

it_resp *it_send(it_server *s, const char *method, const char *path,
                 const char *json)
{
    it_req rq = { .method = method, .path = path, .body = json,
                  .body_len = json ? strlen(json) : 0,
                  .content_type = json ? "application/json" : NULL };

    return it_do(s, NULL, &rq);
}

it_resp *it_sendf(it_server *s, const char *method, const char *path,
                  const char *fmt, ...)
{
    va_list ap;
    char *text;
    int n;
    it_resp *r;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    text = malloc((size_t)n + 1);
    if (text == NULL) {
        fail_msg("out of memory");
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r = it_send(s, method, path, text);
    free(text);
    return r;
}

void it_resp_free(it_resp *r)
{
    if (r == NULL)
        return;
    json_decref(r->json);
    free(r->body);
    free(r->headers);
    free(r);
}

int it_header(const it_resp *r, const char *name, char *out, size_t len)
{
    size_t nlen = strlen(name);
    const char *line = r->headers;

    while (line != NULL && *line != '\0') {
        const char *end = strstr(line, "\r\n");
        size_t llen = end ? (size_t)(end - line) : strlen(line);

        if (llen > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            size_t vlen = llen - nlen - 1;

            while (vlen > 0 && (*v == ' ' || *v == '\t'))
                v++, vlen--;
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            snprintf(out, len, "%.*s", (int)vlen, v);
            return 1;
        }
        line = end ? end + 2 : NULL;
    }
    return 0;
}

void it_pct(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    for (; *in != '\0' && n + 4 < len; in++) {
        unsigned char ch = (unsigned char)*in;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
            ch == '~') {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        }
    }
    out[n] = '\0';
}

/* ---- assertions ------------------------------------------------------ */

void it_status_at(const it_resp *r, long status, const char *file, int line)
{
    if (r->curl_rc != CURLE_OK)
        fail_msg("%s:%d: %s: no answer (%s), expected HTTP %ld", file, line,
                 r->what, curl_easy_strerror(r->curl_rc), status);
    if (r->status != status)
        fail_msg("%s:%d: %s: expected HTTP %ld, got %ld; body: %.600s", file,
                 line, r->what, status, r->status, r->body);
}

void it_error_at(const it_resp *r, long status, const char *code,
                 const char *file, int line)
{
    const json_t *e = NULL, *c, *m;

    it_status_at(r, status, file, line);
    if (r->json != NULL && json_is_object(r->json) &&
        json_object_size(r->json) == 1)
        e = json_object_get(r->json, "error");
    if (e == NULL || !json_is_object(e))
        fail_msg("%s:%d: %s: HTTP %ld without the error body: %.600s", file,
                 line, r->what, r->status, r->body);
    c = json_object_get(e, "code");
    m = json_object_get(e, "message");
    if (!json_is_string(c) || strcmp(json_string_value(c), code) != 0)
        fail_msg("%s:%d: %s: expected error code \"%s\", got: %.600s", file,
                 line, r->what, code, r->body);
    if (!json_is_string(m) || json_string_length(m) == 0)
        fail_msg("%s:%d: %s: error without a message: %.600s", file, line,
                 r->what, r->body);
}

json_t *it_body_at(const it_resp *r, const char *file, int line)
{
    if (r->json == NULL || !json_is_object(r->json))
        fail_msg("%s:%d: %s: HTTP %ld, the body is not a JSON object: %.600s",
                 file, line, r->what, r->status, r->body);
    return r->json;
}

static const char *type_name(json_type t)
{
    switch (t) {
    case JSON_OBJECT:  return "object";
    case JSON_ARRAY:   return "array";
    case JSON_STRING:  return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL:    return "real";
    case JSON_TRUE:    return "true";
    case JSON_FALSE:   return "false";
    default:           return "null";
    }
}

json_t *it_member_at(const json_t *obj, const char *key, json_type type,
                     const char *file, int line)
{
    json_t *v;
    char *dump;

    v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (v != NULL && json_typeof(v) == type)
        return v;
    dump = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    fail_msg("%s:%d: member \"%s\" should be %s, is %s in %.600s", file, line,
             key, type_name(type), v ? type_name(json_typeof(v)) : "missing",
             dump ? dump : "(nothing)");
    free(dump);
    return NULL;
}

void it_streq_at(const char *got, const char *want, const char *file,
                 int line)
{
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s:%d: expected \"%s\", got \"%s\"", file, line, want,
                 got ? got : "(null)");
}
