/*
 * hb_cases.c - the request each case sends.  GET /healthz is the baseline:
 * the same server, connection and client, with no work behind it.
 */
#include "hb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_SERVICES 1033
#define HB_SOURCES 4096

uint64_t hb_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void hb_body_printf(hb_worker *w, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(w->body + w->body_len, w->body_cap - w->body_len, fmt,
                      ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < w->body_cap - w->body_len)
            break;
        w->body_cap = w->body_cap ? w->body_cap * 2 : 4096;
        w->body = realloc(w->body, w->body_cap);
        if (w->body == NULL) {
            fprintf(stderr, "http_bench: out of memory\n");
            exit(1);
        }
    }
    w->body_len += (size_t)n;
}

static void build_healthz(hb_worker *w)
{
    snprintf(w->path, sizeof w->path, "/healthz");
}

static void build_select(hb_worker *w, int count)
{
    snprintf(w->path, sizeof w->path, "/v1/select");
    hb_body_printf(w, "{\"count\":%d,\"lease_seconds\":0}", count);
}

static void build_select_1(hb_worker *w)
{
    build_select(w, 1);
}

static void build_select_8(hb_worker *w)
{
    build_select(w, 8);
}

static uint64_t pick(hb_worker *w, const uint64_t *ids, size_t n)
{
    return n ? ids[hb_rand(&w->rng) % n] : 1;
}

static void build_get(hb_worker *w)
{
    snprintf(w->path, sizeof w->path, "/v1/peers/%llu",
             (unsigned long long)pick(w, w->pool->ids, w->pool->n_ids));
}

/* Peers of the tried table, told alternately "tried" and "failed". */
static void build_state(hb_worker *w)
{
    snprintf(w->path, sizeof w->path, "/v1/peers/%llu/state",
             (unsigned long long)pick(w, w->pool->tried, w->pool->n_tried));
    hb_body_printf(w, "{\"state\":\"%s\"}", w->seq & 1 ? "failed" : "tried");
}

static void build_add(hb_worker *w, int n)
{
    char addr[16];
    int i;

    snprintf(w->path, sizeof w->path, "/v1/peers");
    hb_source_addr(hb_rand(&w->rng) % HB_SOURCES, addr);
    hb_body_printf(w, "{\"source\":\"%s\",\"peers\":[", addr);
    for (i = 0; i < n; i++) {
        hb_next_addr(w->pool, addr);
        hb_body_printf(w, "%s{\"address\":\"%s\",\"services\":%d}",
                       i ? "," : "", addr, HB_SERVICES);
    }
    hb_body_printf(w, "]}");
}

static void build_add_1(hb_worker *w)
{
    build_add(w, 1);
}

static void build_add_100(hb_worker *w)
{
    build_add(w, 100);
}

const hb_case hb_cases[] = {
    {"healthz", "GET", build_healthz, 0},
    {"select_1", "POST", build_select_1, 0},
    {"select_8", "POST", build_select_8, 0},
    {"get_peer", "GET", build_get, 0},
    {"state", "PUT", build_state, 0},
    {"add_1", "POST", build_add_1, 1},
    {"add_100", "POST", build_add_100, 1},
};
const size_t hb_n_cases = sizeof hb_cases / sizeof hb_cases[0];
