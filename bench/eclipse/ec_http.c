/*
 * ec_http.c - the bench's HTTP client: one libcurl easy handle reused for
 * every request, so the connection stays open (keep-alive) and a request
 * costs one round trip on loopback.
 */
#include "ec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct ec_http {
    CURL *curl;
    struct curl_slist *headers;
    char *base;
    ec_buf answer;
    char url[2048];
    uint64_t requests;
    int quiet;
};

/* ---- ec_buf ---- */

static void buf_reserve(ec_buf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 4096;
    char *p;

    if (b->len + more + 1 <= b->cap)
        return;
    while (cap < b->len + more + 1)
        cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
        fprintf(stderr, "eclipse: out of memory\n");
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

void ec_buf_reset(ec_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void ec_buf_add(ec_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    buf_reserve(b, 256);
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void ec_buf_free(ec_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- client ---- */

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    ec_buf *b = ctx;

    buf_reserve(b, size * n);
    memcpy(b->p + b->len, data, size * n);
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

int ec_http_open(ec_http **out, const char *base, const char *token)
{
    static int global_done;
    ec_http *h;
    char auth[1024];

    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return -1;
        global_done = 1;
    }
    h = calloc(1, sizeof *h);
    if (h == NULL || (h->curl = curl_easy_init()) == NULL) {
        free(h);
        return -1;
    }
    h->base = strdup(base);
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip before large bodies. */
    h->headers = curl_slist_append(h->headers, "Expect:");
    if (token && *token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h->headers = curl_slist_append(h->headers, auth);
    }
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->answer);
    curl_easy_setopt(h->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "*");
    *out = h;
    return 0;
}

void ec_http_close(ec_http *h)
{
    if (h == NULL)
        return;
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    ec_buf_free(&h->answer);
    free(h->base);
    free(h);
}

void ec_http_quiet(ec_http *h, int quiet)
{
    h->quiet = quiet;
}

uint64_t ec_http_requests(const ec_http *h)
{
    return h->requests;
}

long ec_http_call(ec_http *h, const char *method, const char *path,
                  const char *body, size_t body_len, json_t **json)
{
    CURLcode rc;
    long status = 0;
    json_error_t jerr;

    if (json)
        *json = NULL;
    snprintf(h->url, sizeof h->url, "%s%s", h->base, path);
    ec_buf_reset(&h->answer);
    curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? body_len : 0));
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
                         strcmp(method, "POST") == 0 ? NULL : method);
    }
    rc = curl_easy_perform(h->curl);
    h->requests++;
    if (rc != CURLE_OK) {
        if (h->quiet)
            return -1;
        fprintf(stderr, "eclipse: %s %s: %s\n", method, h->url,
                curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (json && h->answer.len > 0) {
        *json = json_loadb(h->answer.p, h->answer.len, 0, &jerr);
        if (*json == NULL)
            fprintf(stderr, "eclipse: %s %s: answer is not JSON: %s\n",
                    method, path, jerr.text);
    }
    return status;
}
