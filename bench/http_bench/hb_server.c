/*
 * hb_server.c - the addrmand under test: a fresh temp data directory, a
 * free loopback port, started with execv and stopped with SIGTERM (SIGKILL
 * after 10 s).  The child asks for SIGKILL should the bench die first.
 */
#include "hb.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HB_START_TIMEOUT_MS 10000
#define HB_STOP_TIMEOUT_MS 10000
#define HB_MAX_ARGS 64

volatile pid_t hb_server_pid;

/* A port nobody listens on now (bound, read back, released). */

static void redirect(int fd, const char *path, int flags)
{
    int f = open(path, flags, 0644);

    if (f >= 0) {
        dup2(f, fd);
        close(f);
    }
}

static void exec_child(char **argv, const char *log)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
    redirect(STDOUT_FILENO, log ? log : "/dev/null",
             O_WRONLY | O_CREAT | O_TRUNC);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
}

/* argv for the child; the strings live in `store`. */
static void build_argv(const hb_server_opts *o, const hb_server *s,
                       char store[3][160], char **argv)
{
    size_t n = 0, i;

    snprintf(store[0], sizeof store[0], "--listen=127.0.0.1:%d", s->port);
    snprintf(store[1], sizeof store[1], "--datadir=%s/data", s->dir);
    snprintf(store[2], sizeof store[2], "--threads=%u", o->threads);
    argv[n++] = (char *)o->bin;
    for (i = 0; i < 3; i++)
        argv[n++] = store[i];
    for (i = 0; o->extra && o->extra[i] && n + 1 < HB_MAX_ARGS; i++)
        argv[n++] = (char *)o->extra[i];
    argv[n] = NULL;
}

static int healthy(const hb_target *t)
{
    hb_conn c;
    hb_resp r;
    int ok;

    hb_conn_init(&c, t);
    ok = hb_request(&c, "GET", "/healthz", NULL, 0, &r) == 0 &&
         r.status == 200;
    hb_conn_free(&c);
    return ok;
}

static int wait_ready(hb_server *s, const hb_target *t)
{
    int waited, status;

    for (waited = 0; waited < HB_START_TIMEOUT_MS; waited += 20) {
        if (healthy(t))
            return 0;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "http_bench: %s exited at start (%s %d)\n",
                    s->bin, WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status)
                                      : WTERMSIG(status));
            s->pid = hb_server_pid = 0;
            return -1;
        }
        bench_sleep_ms(20);
    }
    fprintf(stderr, "http_bench: the server did not answer /healthz in %d ms\n",
            HB_START_TIMEOUT_MS);
    return -1;
}

int hb_server_start(hb_server *s, const hb_server_opts *o, hb_target *t)
{
    char store[3][160], *argv[HB_MAX_ARGS];

    memset(s, 0, sizeof *s);
    s->bin = o->bin;
    snprintf(s->dir, sizeof s->dir, "/tmp/http_bench.XXXXXX");
    if (mkdtemp(s->dir) == NULL || (s->port = bench_free_port()) < 0) {
        perror("http_bench: temp dir or port");
        return -1;
    }
    build_argv(o, s, store, argv);
    s->pid = fork();
    if (s->pid < 0) {
        perror("http_bench: fork");
        return -1;
    }
    if (s->pid == 0)
        exec_child(argv, o->log);
    hb_server_pid = s->pid;
    snprintf(t->host, sizeof t->host, "127.0.0.1");
    t->port = s->port;
    if (wait_ready(s, t) != 0) {
        hb_server_stop(s);
        return -1;
    }
    return 0;
}

void hb_server_stop(hb_server *s)
{
    int waited = 0, status;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, &status, WNOHANG) == 0) {
            if (waited >= HB_STOP_TIMEOUT_MS) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
                break;
            }
            bench_sleep_ms(10);
            waited += 10;
        }
    }
    s->pid = hb_server_pid = 0;
    if (s->dir[0])
        bench_remove_tree(s->dir);
    s->dir[0] = '\0';
}

/* The first field of /proc/PID/task/TID/schedstat: ns spent on a CPU. */
static uint64_t task_ns(const char *task_dir, const char *tid)
{
    char path[400];
    unsigned long long ns = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/schedstat", task_dir, tid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%llu", &ns) != 1)
        ns = 0;
    fclose(f);
    return ns;
}

uint64_t hb_cpu_ns(pid_t pid)
{
    char dir[64];
    struct dirent *e;
    uint64_t sum = 0;
    DIR *d;

    if (pid <= 0)
        return 0;
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    d = opendir(dir);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            sum += task_ns(dir, e->d_name);
    closedir(d);
    return sum;
}

static char watchdog_msg[128];
static size_t watchdog_len;

static void on_alarm(int sig)
{
    (void)sig;
    if (hb_server_pid > 0)
        kill(hb_server_pid, SIGKILL);
    if (write(STDERR_FILENO, watchdog_msg, watchdog_len) < 0)
        _exit(3);
    _exit(3);
}

void hb_watchdog(const char *prog, unsigned seconds)
{
    int n = snprintf(watchdog_msg, sizeof watchdog_msg,
                     "%s: watchdog: the run took too long\n", prog);

    watchdog_len = n > 0 && (size_t)n < sizeof watchdog_msg ? (size_t)n : 0;
    signal(SIGALRM, on_alarm);
    alarm(seconds);
}
