#include "api_router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "api_url.h"

int api_path_parse(const char *raw, api_path *p, api_err *err)
{
    size_t len, used = 0;
    const char *s, *end;

    memset(p, 0, sizeof *p);
    if (raw == NULL || raw[0] != '/')
        return api_fail(err, API_BAD_REQUEST, "the path must start with '/'");
    len = strlen(raw);
    if (len > API_PATH_MAX_LEN)
        return api_fail(err, API_BAD_REQUEST, "the path is longer than %d bytes",
                        API_PATH_MAX_LEN);
    p->mem = malloc(len + 1);
    if (p->mem == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    /* Segments are decoded one after the other into mem, each with its
     * NUL; api_route_match relies on that layout to join a REST param. */
    s = raw + 1;
    end = raw + len;
    for (;;) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        size_t slen = slash ? (size_t)(slash - s) : (size_t)(end - s);
        size_t out;

        if (p->n == API_PATH_MAX_SEGMENTS) {
            p->too_deep = 1;
            return 0;
        }
        if (api_pct_decode(s, slen, 0, p->mem + used, &out) != AM_OK)
            return api_fail(err, API_BAD_REQUEST,
                            "invalid percent-encoding in the path");
        p->seg[p->n++] = p->mem + used;
        used += out + 1;
        if (slash == NULL)
            return 0;
        s = slash + 1;
    }
}

void api_path_free(api_path *p)
{
    free(p->mem);
    memset(p, 0, sizeof *p);
}

/*
 * Does `r` match the path?  Returns its score (a bit per literal segment,
 * leftmost highest) plus one, or 0 for no match; *param_at gets the index
 * of the parameter segment (or -1).
 */
static uint32_t route_score(const api_route *r, const api_path *path,
                            int *param_at)
{
    const char *p = r->pattern + 1;
    uint32_t score = 1;
    size_t i = 0;

    *param_at = -1;
    for (;;) {
        const char *seg;

        if (i >= path->n)
            return 0;
        seg = path->seg[i];
        if (p[0] == '{') {
            if (seg[0] == '\0')
                return 0;
            *param_at = (int)i;
            while (*p != '/' && *p != '\0')
                p++;
            if (*p == '\0' && (r->flags & API_ROUTE_REST))
                return score;      /* takes every remaining segment */
        } else {
            /* A literal segment, compared as it is walked: most routes
             * part from the path at the first byte that differs. */
            while (*p != '/' && *p != '\0' && *p == *seg) {
                p++;
                seg++;
            }
            if ((*p != '/' && *p != '\0') || *seg != '\0')
                return 0;
            score |= UINT32_C(1) << (31 - i);
        }
        i++;
        if (*p == '\0')
            return i == path->n ? score : 0;
        p++;
    }
}

static int method_is(const char *route_method, const char *method)
{
    if (strcmp(route_method, method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t len = strlen(allow);

    if (len > 0 && len + 2 < cap) {
        memcpy(allow + len, ", ", 3);
        len += 2;
    }
    if (len + strlen(method) < cap)
        memcpy(allow + len, method, strlen(method) + 1);
}

/* The methods of every route with the pattern of `best`. */
static void build_allow(const api_route *routes, size_t n, unsigned skip,
                        const api_route *best, char *allow, size_t cap)
{
    size_t i;

    allow[0] = '\0';
    for (i = 0; i < n; i++) {
        if ((routes[i].flags & skip) ||
            strcmp(routes[i].pattern, best->pattern) != 0)
            continue;
        allow_add(allow, cap, routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0)
            allow_add(allow, cap, "HEAD");
    }
}

/* Join the segments from `from` to the end with '/' (see api_path_parse). */
static void join_rest(api_path *path, size_t from)
{
    size_t i;

    for (i = from; i + 1 < path->n; i++)
        path->seg[i][strlen(path->seg[i])] = '/';
}

void api_route_match(const api_route *routes, size_t n, unsigned skip_flags,
                     const char *method, api_path *path, api_match *m)
{
    const api_route *best = NULL;
    uint32_t best_score = 0, score;
    int param_at = -1, at;
    size_t i;

    memset(m, 0, sizeof *m);
    m->kind = API_NO_ROUTE;
    if (path->too_deep)
        return;
    for (i = 0; i < n; i++) {
        if (routes[i].flags & skip_flags)
            continue;
        score = route_score(&routes[i], path, &at);
        if (score > best_score ||
            (score != 0 && score == best_score &&
             method_is(routes[i].method, method) &&
             !method_is(best->method, method))) {
            best = &routes[i];
            best_score = score;
            param_at = at;
        }
    }
    if (best == NULL)
        return;
    m->route = best;
    if (!method_is(best->method, method)) {
        m->kind = API_WRONG_METHOD;
        build_allow(routes, n, skip_flags, best, m->allow, sizeof m->allow);
        return;
    }
    m->kind = API_MATCHED;
    if (param_at >= 0) {
        if (best->flags & API_ROUTE_REST)
            join_rest(path, (size_t)param_at);
        m->param = path->seg[param_at];
    }
}
