/*
 * test_openapi.c - api/openapi.yaml (as embedded in the library) describes
 * exactly the routes the router knows: every documented route is in it,
 * every path and method in it is routed, the debug route is not in it.
 *
 * The document is read line by line with the layout it is written in
 * (block style, two-space indent): under "paths:", a path is a key at
 * indent 2 starting with '/', an operation a method key at indent 4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "st_ignore.h"
#include "api_router.h"

#define MAX_OPS 128

typedef struct op {
    char path[128];
    char method[8];
} op;

typedef struct doc_ops {
    size_t n;
    op ops[MAX_OPS];
    size_t n_paths;
} doc_ops;

static const char *const http_methods[] = {"get", "put", "post", "delete",
                                           "patch", "head", "options", "trace"};

static size_t indent_of(const char *line)
{
    return strspn(line, " ");
}

/* "  /v1/peers/{peer}:" or "  '/x':" -> path text. */
static int path_key(const char *line, char *out, size_t len)
{
    const char *p = line + 2;
    size_t n;

    if (*p == '\'' || *p == '"')
        p++;
    if (*p != '/')
        return 0;
    n = strcspn(p, "'\":");
    assert_true(n < len);
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static int method_key(const char *line, char *out)
{
    size_t i, n = strcspn(line + 4, ":");

    for (i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++) {
        if (strlen(http_methods[i]) == n &&
            strncmp(line + 4, http_methods[i], n) == 0) {
            size_t j;
            for (j = 0; j < n; j++)
                out[j] = (char)toupper((unsigned char)line[4 + j]);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

static void scan_line(doc_ops *d, const char *line, char *path)
{
    size_t ind = indent_of(line);

    if (ind == 2 && path_key(line, path, 128)) {
        d->n_paths++;
        return;
    }
    if (ind == 4 && path[0] != '\0') {
        op *o = &d->ops[d->n];
        if (method_key(line, o->method)) {
            assert_true(d->n < MAX_OPS);
            snprintf(o->path, sizeof o->path, "%s", path);
            d->n++;
        }
    }
}

static void scan(doc_ops *d)
{
    size_t len;
    const char *text = api_openapi(&len);
    char *copy = malloc(len + 1), *line, *save = NULL;
    char path[128] = "";
    int in_paths = 0;

    assert_non_null(copy);
    memcpy(copy, text, len);
    copy[len] = '\0';
    memset(d, 0, sizeof *d);
    for (line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != ' ' && line[0] != '#' && line[0] != '\0') {
            in_paths = strncmp(line, "paths:", 6) == 0;
            continue;
        }
        if (in_paths)
            scan_line(d, line, path);
    }
    free(copy);
}

static int documented(const doc_ops *d, const char *method, const char *path)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->ops[i].method, method) == 0 &&
            strcmp(d->ops[i].path, path) == 0)
            return 1;
    return 0;
}

static void test_document_shape(void **state)
{
    size_t len;
    const char *text = api_openapi(&len);

    (void)state;
    assert_true(len > 1000);
    assert_int_equal(strlen(text), len);   /* embedded NUL-terminated */
    assert_int_equal(strncmp(text, "openapi: 3.0.", 13), 0);
    assert_non_null(strstr(text, "\npaths:\n"));
    assert_non_null(strstr(text, "\ncomponents:\n"));
    assert_null(strchr(text, '\t'));       /* YAML forbids tab indents */
}

/* The answer of adds, imports and loads (AddResult) names every reason
 * for an ignored entry, and requires ignored_by. */
static void test_every_ignore_reason_documented(void **state)
{
    size_t len;
    const char *text = api_openapi(&len);
    const char *result = strstr(text, "\n    AddResult:\n");
    const char *by, *end;
    char line[64];

    (void)state;
    assert_non_null(result);
    assert_non_null(strstr(result, "required: [added, updated, ignored, "
                                   "ignored_by, errors]"));
    by = strstr(result, "\n        ignored_by:\n");
    assert_non_null(by);
    end = strstr(by, "\n        errors:\n");
    assert_non_null(end);
    for (int i = 0; i < ST_IGN_COUNT; i++) {
        const char *at;
        snprintf(line, sizeof line, "\n            %s: {type: integer",
                 st_ignore_name((st_ignore)i));
        at = strstr(by, line);
        if (at == NULL || at > end)
            fail_msg("reason %s is not in AddResult's ignored_by",
                     st_ignore_name((st_ignore)i));
    }
}

static void test_every_route_documented(void **state)
{
    const api_route *routes;
    size_t n, i;
    doc_ops d;

    (void)state;
    scan(&d);
    assert_true(d.n > 0);
    routes = api_route_table(&n);
    for (i = 0; i < n; i++) {
        int doc = documented(&d, routes[i].method, routes[i].pattern);

        if (routes[i].flags & API_ROUTE_DEBUG) {
            if (doc)
                fail_msg("debug route %s %s must not be documented",
                         routes[i].method, routes[i].pattern);
        } else if (!doc) {
            fail_msg("%s %s is routed but not in openapi.yaml",
                     routes[i].method, routes[i].pattern);
        }
    }
}

static void test_every_operation_routed(void **state)
{
    const api_route *routes;
    size_t n, i, j;
    doc_ops d;

    (void)state;
    scan(&d);
    routes = api_route_table(&n);
    for (i = 0; i < d.n; i++) {
        for (j = 0; j < n; j++)
            if (strcmp(d.ops[i].method, routes[j].method) == 0 &&
                strcmp(d.ops[i].path, routes[j].pattern) == 0 &&
                !(routes[j].flags & API_ROUTE_DEBUG))
                break;
        if (j == n)
            fail_msg("openapi.yaml has %s %s, which is not routed",
                     d.ops[i].method, d.ops[i].path);
    }
}

static void test_no_path_without_operation(void **state)
{
    doc_ops d;
    size_t i, j, distinct = 0;

    (void)state;
    scan(&d);
    for (i = 0; i < d.n; i++) {
        for (j = 0; j < i; j++)
            if (strcmp(d.ops[i].path, d.ops[j].path) == 0)
                break;
        distinct += j == i;
    }
    assert_int_equal(distinct, d.n_paths);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_shape),
        cmocka_unit_test(test_every_ignore_reason_documented),
        cmocka_unit_test(test_every_route_documented),
        cmocka_unit_test(test_every_operation_routed),
        cmocka_unit_test(test_no_path_without_operation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
