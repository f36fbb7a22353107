/*
 * bench_util.h - small pieces every benchmark program needs: a seeded
 * random stream, routable test addresses, a free loopback port, resident
 * memory, sleeping, a filled pool, removing a temporary directory.  Linked into each program under bench/.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>

#include "addrman.h"
#include "netaddr.h"

/* splitmix64: the next value of the stream *s. */
uint64_t bench_rng(uint64_t *s);

/* 1 when the IPv4 address (host order) is publicly routable: not 0/8,
 * 10/8, 127/8, multicast or reserved, RFC 1918, 2544, 3927, 6598 or a
 * documentation range. */
int bench_ipv4_routable(uint32_t a);

/* A routable IPv4 address in 12.0.0.0 .. 99.255.255.255 with `port`. */
am_addr bench_random_ipv4(uint64_t *seed, uint16_t port);

/* A port on 127.0.0.1 that nobody listened on a moment ago; -1 on error. */
int bench_free_port(void);

/* VmRSS of process pid (0: this one) in kB; -1 when unknown. */
long bench_rss_kb(long pid);

void bench_sleep_ms(long ms);

/* Seconds on the monotonic clock, and of this process's CPU time (on a
 * shared machine the wall time also counts the neighbours). */
double bench_now_s(void);
double bench_cpu_s(void);

/* "<prog>: <what>: <am_strerror(rc)>" on stderr, then exit(1). */
void bench_die(const char *prog, const char *what, int rc)
    __attribute__((noreturn));

/* Add peers to m until it holds n, heard from 2048 sources (a crawler's
 * spread), always the same for a given n: a fifth of them tried, some
 * failed. */
void bench_fill(am_man *m, size_t n);

/* rm -r path (a benchmark's temporary data directory); errors ignored. */
void bench_remove_tree(const char *path);

/* A comma-separated list of 1..cap numbers, each within lo..hi ("1,64,512"):
 * 0 with out[0..*n), or -1 (nothing is promised of out then). */
int bench_parse_list(const char *text, uint64_t lo, uint64_t hi, uint64_t *out,
                     size_t cap, size_t *n);

/* ---- what the programs that start a server share ------------------------- */

/* "# load average <when>: l1 l5 l15" on stdout (nothing when unknown). */
void bench_print_load(const char *when);

/* "<prog>: server log (<path>):" and the file's lines on stderr. */
void bench_show_log(const char *prog, const char *path);

/* The soft RLIMIT_NOFILE raised to the hard one (the server started
 * later inherits it), said in a "# descriptors" line on stdout: 0, or -1
 * with why on stderr when it cannot be raised or stays below `need`
 * descriptors (0: no need stated). */
int bench_raise_nofile(const char *prog, unsigned need);

/* An unsigned number lo..hi in v (all of it): 0 with *out, or -1. */
int bench_parse_unsigned(const char *v, unsigned lo, unsigned hi,
                         unsigned *out);

#endif
