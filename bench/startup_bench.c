/*
 * startup_bench.c - how long addrmand takes to come up with a full data
 * directory: from fork/exec of the binary to the first 200 of GET /readyz
 * (the server answers only once the snapshot and the journal are loaded).
 *
 *   startup_bench [--server PATH] [--peers N] [--runs N] [--dir DIR]
 *                 [--server-log FILE] [--quick]
 *
 * The data directory is written by the same store code the server uses
 * (st_store_save, as a clean stop does): N IPv4 peers from 2 048 sources,
 * a fifth tried, some failed, in 4 096 new and 1 024 tried buckets.  Each
 * run starts the server on it with those table sizes, waits for /readyz,
 * stops it with SIGTERM (its final save is not timed) and waits for it to
 * exit.  The first run checks that every peer came back.  One line per
 * run, then min/median/max and the verdict against the target (median
 * under 1 s).  Runs after the first read a warm page cache.
 *
 * --server: default the addrmand beside this program's directory
 * (build/bench/addrmand for build/bench/bench/startup_bench).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addrman.h"
#include "st_store.h"
#include "bench_util.h"

#define DEFAULT_PEERS 100000
#define DEFAULT_RUNS 5
#define MAX_RUNS 100
#define NEW_BUCKETS 4096        /* the default 1024/256 hold ~80 000 */
#define TRIED_BUCKETS 1024
#define READY_TIMEOUT_S 60
#define STOP_TIMEOUT_S 60
#define TARGET_S 1.0

typedef struct bench_opts {
    char server[PATH_MAX];
    const char *log;
    size_t peers;
    int runs;
    const char *dir;
} bench_opts;

static char g_root[256];
static char g_data[300];

static void fail(const char *what)
{
    fprintf(stderr, "startup_bench: %s\n", what);
    exit(1);
}

/* ---- the data directory --------------------------------------------------- */

static void store_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "store: %s\n", msg);
}

/* Write g_data as a clean stop of the server leaves it. */
static void prepare(size_t peers)
{
    st_store_opts o;
    st_store *store;
    am_config c;
    am_man *core = NULL;
    char why[256];
    size_t saved = 0;
    double t0 = bench_now_s();

    st_store_opts_default(&o);
    o.keep_sizes = 1;
    o.log = store_log;
    if (st_store_open(g_data, &o, &store, why, sizeof why) != AM_OK)
        fail(why);
    am_config_default(&c);
    c.new_buckets = NEW_BUCKETS;
    c.tried_buckets = TRIED_BUCKETS;
    if (st_store_config(store, &c) != AM_OK || am_new(&c, &core) != AM_OK ||
        st_store_load(store, core, NULL) != AM_OK)
        fail("cannot set up the data directory");
    bench_fill(core, peers);
    if (st_store_save(store, core, &saved) != AM_OK)
        fail("cannot save the data directory");
    st_store_close(store);
    am_free(core);
    printf("# prepared %zu peers in %s in %.1f s\n", saved, g_data,
           bench_now_s() - t0);
}

/* ---- the server ------------------------------------------------------------- */

/* One GET on a new connection: the status (0 when nothing answered); the
 * body, when wanted, into body[len]. */
static int http_get(int port, const char *path, char *body, size_t len)
{
    struct sockaddr_in sa;
    char buf[65536], req[256];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = 0;
    size_t got = 0;
    ssize_t n;

    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Connection: close\r\n\r\n", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, (size_t)n) == n)
        while (got + 1 < sizeof buf &&
               (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = 0;
    if (body != NULL && len > 0) {
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(body, len, "%s", b ? b + 4 : "");
    }
    return status;
}

static pid_t spawn(const bench_opts *o, int port)
{
    char listen[64], datadir[340], *argv[12];
    int n = 0;
    pid_t pid;

    snprintf(listen, sizeof listen, "--listen=127.0.0.1:%d", port);
    snprintf(datadir, sizeof datadir, "--datadir=%s", g_data);
    argv[n++] = (char *)o->server;
    argv[n++] = listen;
    argv[n++] = datadir;
    argv[n++] = "--threads=2";
    argv[n++] = "--new-buckets=4096";
    argv[n++] = "--tried-buckets=1024";
    argv[n++] = "--save-interval=0";
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        int f = open(o->log ? o->log : "/dev/null",
                     O_WRONLY | O_CREAT | O_APPEND, 0644);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (f >= 0) {
            dup2(f, STDOUT_FILENO);
            dup2(f, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t pid)
{
    int status, waited;

    kill(pid, SIGTERM);
    for (waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 10) {
        if (waited >= STOP_TIMEOUT_S * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail("the server did not stop after SIGTERM");
        }
        bench_sleep_ms(10);
    }
}

/* CPU time of every thread of pid so far, s (schedstat: ns on a CPU). */
static double cpu_of(pid_t pid)
{
    char dir[64], path[400];
    unsigned long long ns, sum = 0;
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/schedstat", dir, e->d_name);
        if ((f = fopen(path, "r")) != NULL) {
            if (fscanf(f, "%llu", &ns) == 1)
                sum += ns;
            fclose(f);
        }
    }
    closedir(d);
    return (double)sum / 1e9;
}

/* The peers the running server reports in /v1/stats, or -1. */
static long long served_peers(int port)
{
    char body[4096];
    const char *p;

    if (http_get(port, "/v1/stats", body, sizeof body) != 200 ||
        (p = strstr(body, "\"peers\":")) == NULL)
        return -1;
    return strtoll(p + 8, NULL, 10);
}

/* One start: seconds from fork to the first /readyz 200; *cpu gets the
 * server's CPU time until then (on a shared machine the wall time says
 * as much about the neighbours). */
static double one_run(const bench_opts *o, int run, size_t want, double *cpu)
{
    int port = bench_free_port(), status;
    double t0 = bench_now_s(), t;
    pid_t pid = spawn(o, port);

    if (port < 0 || pid < 0)
        fail("cannot start the server");
    while (http_get(port, "/readyz", NULL, 0) != 200) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail("the server exited at start (see --server-log)");
        if (bench_now_s() - t0 > READY_TIMEOUT_S) {
            stop(pid);
            fail("no /readyz 200 within the timeout");
        }
        bench_sleep_ms(1);
    }
    t = bench_now_s() - t0;
    *cpu = cpu_of(pid);
    printf("startup_run %d %.3f s cpu=%.3f s\n", run, t, *cpu);
    if (run == 1) {
        long long n = served_peers(port);
        printf("# run 1 serves %lld peers\n", n);
        if (n != (long long)want) {
            stop(pid);
            fail("the server did not load every peer");
        }
    }
    stop(pid);
    return t;
}

/* ---- main ----------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(double *t, double *cpu, int n, size_t peers)
{
    double med = median(t, n), cpu_med = median(cpu, n);

    printf("startup min=%.3f s median=%.3f s max=%.3f s cpu_median=%.3f s "
           "runs=%d peers=%zu\n", t[0], med, t[n - 1], cpu_med, n, peers);
    printf("target startup under %.0f s with %zu peers (median of %d): %s "
           "(%.3f s)\n", TARGET_S, peers, n, med < TARGET_S ? "met" : "MISSED",
           med);
    printf("verdict: %s\n", med < TARGET_S ? "all targets met"
                                           : "some targets missed");
}

/* addrmand in the directory above this program's. */
static void default_server(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;

    snprintf(out, len, "addrmand");
    if (n <= 0)
        return;
    self[n] = '\0';
    if ((slash = strrchr(self, '/')) != NULL) {
        *slash = '\0';
        if ((slash = strrchr(self, '/')) != NULL)
            *slash = '\0';
        snprintf(out, len, "%.*s/addrmand", (int)(len - 10), self);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: startup_bench [--server PATH] [--peers N] "
                    "[--runs N] [--dir DIR] [--server-log FILE] [--quick]\n");
    exit(2);
}

static void parse(bench_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    default_server(o->server, sizeof o->server);
    o->peers = DEFAULT_PEERS;
    o->runs = DEFAULT_RUNS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o->peers = 20000;
            o->runs = 3;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--server") == 0)
            snprintf(o->server, sizeof o->server, "%s", v);
        else if (strcmp(a, "--peers") == 0)
            o->peers = (size_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--runs") == 0)
            o->runs = atoi(v);
        else if (strcmp(a, "--dir") == 0)
            o->dir = v;
        else if (strcmp(a, "--server-log") == 0)
            o->log = v;
        else
            usage();
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->peers == 0)
        usage();
}

int main(int argc, char **argv)
{
    double t[MAX_RUNS], cpu[MAX_RUNS];
    bench_opts o;

    parse(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (access(o.server, X_OK) != 0)
        fail("no addrmand to start (--server PATH)");
    snprintf(g_root, sizeof g_root, "%s/startup-bench-XXXXXX",
             o.dir ? o.dir : "/tmp");
    if (mkdtemp(g_root) == NULL)
        fail(strerror(errno));
    snprintf(g_data, sizeof g_data, "%s/data", g_root);
    printf("# server %s, %d runs\n", o.server, o.runs);
    prepare(o.peers);
    for (int i = 0; i < o.runs; i++)
        t[i] = one_run(&o, i + 1, o.peers, &cpu[i]);
    report(t, cpu, o.runs, o.peers);
    bench_remove_tree(g_root);
    return 0;
}
