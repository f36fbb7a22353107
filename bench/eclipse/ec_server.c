/*
 * ec_server.c - one addrmand per scenario: a fresh temp directory (data
 * directory and log), free loopback ports for HTTP and P2P, started with
 * execv, ready when
 * GET /readyz answers 200; stopped with SIGTERM (SIGKILL after 10 s).  The
 * child gets SIGKILL should the bench die first.
 */
#define _GNU_SOURCE 1
#include "ec.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 10000
#define MAX_ARGS 64

/* A loopback port nobody listens on now (bound, read back, released). */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void show_log(const ec_server *s)
{
    char path[300], line[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/server.log", s->root);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    fprintf(stderr, "eclipse: server log (%s):\n", path);
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

static int exited(ec_server *s)
{
    int status;

    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        s->pid = 0;
        return 1;
    }
    return 0;
}

int ec_server_start(ec_server *s, const char *bin, char *const *args,
                    int n_args)
{
    char listen[32], p2p[32], data[300], log[300];
    char *argv[MAX_ARGS + 8];
    int port, argc = 0, i, ok = 0;
    ec_http *h = NULL;

    memset(s, 0, sizeof *s);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "eclipse: cannot run '%s' (build addrmand, or give "
                        "--server PATH)\n", bin);
        return -1;
    }
    snprintf(s->root, sizeof s->root, "/tmp/eclipse.XXXXXX");
    if (mkdtemp(s->root) == NULL) {
        fprintf(stderr, "eclipse: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    port = bench_free_port();
    if (port <= 0) {
        fprintf(stderr, "eclipse: no free loopback port\n");
        return -1;
    }
    /* Two calls in a row may give the same port back. */
    for (i = 0; i < 10 && (s->p2p_port <= 0 || s->p2p_port == port); i++)
        s->p2p_port = bench_free_port();
    if (s->p2p_port <= 0 || s->p2p_port == port) {
        fprintf(stderr, "eclipse: no second free loopback port\n");
        return -1;
    }
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(p2p, sizeof p2p, "127.0.0.1:%d", s->p2p_port);
    snprintf(data, sizeof data, "%s/data", s->root);
    snprintf(log, sizeof log, "%s/server.log", s->root);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", port);
    argv[argc++] = (char *)bin;
    argv[argc++] = "--listen";
    argv[argc++] = listen;
    argv[argc++] = "--p2p-listen";
    argv[argc++] = p2p;
    argv[argc++] = "--datadir";
    argv[argc++] = data;
    for (i = 0; i < n_args && i < MAX_ARGS; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    s->pid = fork();
    if (s->pid < 0) {
        fprintf(stderr, "eclipse: fork: %s\n", strerror(errno));
        return -1;
    }
    if (s->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            close(fd);
        }
        execv(bin, argv);
        _exit(127);
    }
    if (ec_http_open(&h, s->url, NULL) != 0)
        return -1;
    ec_http_quiet(h, 1);    /* refused connections while it starts */
    for (i = 0; i < START_TIMEOUT_MS / 20 && !ok; i++) {
        if (exited(s))
            break;
        ok = ec_http_call(h, "GET", "/readyz", NULL, 0, NULL) == 200;
        if (!ok)
            bench_sleep_ms(20);
    }
    ec_http_close(h);
    if (!ok) {
        fprintf(stderr, "eclipse: addrmand did not become ready on %s\n",
                s->url);
        show_log(s);
        ec_server_stop(s, 1);
        return -1;
    }
    return 0;
}

void ec_server_stop(ec_server *s, int keep)
{
    int i;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (i = 0; i < STOP_TIMEOUT_MS / 20 && !exited(s); i++)
            bench_sleep_ms(20);
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            s->pid = 0;
        }
    }
    if (!keep && s->root[0])
        nftw(s->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    else if (s->root[0])
        fprintf(stderr, "eclipse: kept %s\n", s->root);
}
