#include "bench_util.h"

#include "am_error.h"
#include "am_parse.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_rng(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int bench_ipv4_routable(uint32_t a)
{
    unsigned b0 = a >> 24, b1 = (a >> 16) & 255, b2 = (a >> 8) & 255;

    if (b0 == 0 || b0 == 127 || b0 == 10 || b0 >= 224)
        return 0;
    if ((b0 == 172 && b1 >= 16 && b1 <= 31) || (b0 == 192 && b1 == 168) ||
        (b0 == 198 && (b1 == 18 || b1 == 19)) || (b0 == 169 && b1 == 254) ||
        (b0 == 100 && b1 >= 64 && b1 <= 127))
        return 0;
    return !((b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) ||
             (b0 == 198 && b1 == 51 && b2 == 100) ||
             (b0 == 203 && b1 == 0 && b2 == 113));
}

am_addr bench_random_ipv4(uint64_t *seed, uint16_t port)
{
    uint64_t r = bench_rng(seed);
    am_addr a;

    memset(&a, 0, sizeof a);
    a.net = AM_NET_IPV4;
    a.port = port;
    a.bytes[0] = (uint8_t)(12 + r % 88);
    a.bytes[1] = (uint8_t)(r >> 8);
    a.bytes[2] = (uint8_t)(r >> 16);
    a.bytes[3] = (uint8_t)(1 + (r >> 24) % 254);
    return a;
}

int bench_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

long bench_rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

void bench_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

double bench_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *prog, const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, am_strerror(rc));
    exit(1);
}

void bench_remove_tree(const char *path)
{
    struct dirent *e;
    struct stat st;
    char sub[1024];
    DIR *d = opendir(path);

    if (d == NULL) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            bench_remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

#define FILL_SOURCES 2048

void bench_fill(am_man *m, size_t n)
{
    static am_addr sources[FILL_SOURCES];
    uint64_t seed = 42, id;
    am_addr a;
    int is_new;

    for (size_t i = 0; i < FILL_SOURCES; i++)
        sources[i] = bench_random_ipv4(&seed, 0);
    while (am_size(m) < n) {
        const am_addr *src = &sources[bench_rng(&seed) % FILL_SOURCES];

        a = bench_random_ipv4(&seed, 8333);
        if (am_add(m, &a, src, 1033, 0, 0, &is_new, &id) != AM_OK || !is_new)
            continue;
        if (id % 5 == 0)
            am_set_state(m, id, AM_OP_TRIED, NULL);
        else if (id % 7 == 0)
            am_set_state(m, id, AM_OP_FAILED, NULL);
    }
}

int bench_parse_list(const char *text, uint64_t lo, uint64_t hi, uint64_t *out,
                     size_t cap, size_t *n)
{
    *n = 0;
    for (;;) {
        size_t len = strcspn(text, ",");

        if (*n == cap || am_parse_u64(text, len, hi, &out[*n]) != AM_OK ||
            out[*n] < lo)
            return -1;
        (*n)++;
        if (text[len] == '\0')
            return 0;
        text += len + 1;
    }
}

void bench_print_load(const char *when)
{
    double l1, l5, l15;
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        printf("# load average %s: %.2f %.2f %.2f\n", when, l1, l5, l15);
    if (f != NULL)
        fclose(f);
}

void bench_show_log(const char *prog, const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return;
    fprintf(stderr, "%s: server log (%s):\n", prog, path);
    while (fgets(line, sizeof line, f) != NULL)
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

int bench_parse_unsigned(const char *v, unsigned lo, unsigned hi,
                         unsigned *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);

    if (end == v || *end || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int bench_raise_nofile(const char *prog, unsigned need)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "%s: cannot raise the descriptor limit\n", prog);
        return -1;
    }
    printf("# descriptors: limit %llu, in this program and the server\n",
           (unsigned long long)rl.rlim_cur);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        fprintf(stderr, "%s: %u descriptors needed; the hard limit is %llu "
                        "(ulimit -Hn)\n", prog, need,
                (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}
