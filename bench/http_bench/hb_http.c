/*
 * hb_http.c - a minimal HTTP/1.1 client: one keep-alive connection, one
 * request at a time, the answer read by its Content-Length.  libcurl's
 * per-request work would be a large part of a 20 us request on two cores;
 * this costs one writev and usually one recv.
 */
#include "hb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HB_BUF_FIRST 65536
#define HB_IO_TIMEOUT_S 10
#define HB_HEAD_MAX 1024

uint64_t hb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hb_conn_init(hb_conn *c, const hb_target *t)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->t = t;
}

int hb_conn_open(hb_conn *c)
{
    struct timeval tv = {HB_IO_TIMEOUT_S, 0};
    struct sockaddr_in sa;
    int one = 1;

    hb_conn_close(c);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->t->port);
    if (inet_pton(AF_INET, c->t->host, &sa.sin_addr) != 1)
        return -1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        hb_conn_close(c);
        return -1;
    }
    return 0;
}

void hb_conn_close(hb_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = c->used = 0;
}

void hb_conn_free(hb_conn *c)
{
    hb_conn_close(c);
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
}

static int send_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int send_request(hb_conn *c, const char *method, const char *path,
                        const char *body, size_t body_len)
{
    char head[HB_HEAD_MAX], auth[HB_TOKEN_MAX + 32] = "";
    struct iovec iov[2];
    int n;

    if (c->t->token[0])
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n",
                 c->t->token);
    if (body != NULL)
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, c->t->host, c->t->port, auth, body_len);
    else
        n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n",
                     method, path, c->t->host, c->t->port, auth);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    iov[0].iov_base = head;
    iov[0].iov_len = (size_t)n;
    iov[1].iov_base = (void *)body;
    iov[1].iov_len = body ? body_len : 0;
    return send_all(c->fd, iov, body && body_len ? 2 : 1);
}

/* Read more bytes into the buffer, growing it when full. */
static int read_more(hb_conn *c)
{
    ssize_t r;

    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : HB_BUF_FIRST;
        char *p = realloc(c->buf, cap);

        if (p == NULL)
            return -1;
        c->buf = p;
        c->cap = cap;
    }
    do
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    return 0;
}

/* Offset just past "\r\n\r\n", or 0 when not there yet. */
static size_t head_end(const char *s, size_t len)
{
    size_t i;

    for (i = 3; i < len; i++)
        if (s[i] == '\n' && s[i - 1] == '\r' && s[i - 2] == '\n' &&
            s[i - 3] == '\r')
            return i + 1;
    return 0;
}

typedef struct head_info {
    int status;
    long long content_length;   /* -1: absent */
    int close;
} head_info;

int hb_holds(const char *s, size_t len, const char *word)
{
    size_t w = strlen(word), i;

    for (i = 0; i + w <= len; i++)
        if (strncasecmp(s + i, word, w) == 0)
            return 1;
    return 0;
}

static void header_line(const char *line, size_t len, head_info *h)
{
    static const char cl[] = "content-length:", cn[] = "connection:";

    if (len > sizeof cl - 1 && strncasecmp(line, cl, sizeof cl - 1) == 0)
        h->content_length = strtoll(line + sizeof cl - 1, NULL, 10);
    else if (len > sizeof cn - 1 && strncasecmp(line, cn, sizeof cn - 1) == 0)
        h->close = hb_holds(line, len, "close");
}

/* Status line and the headers we need; -1 when not HTTP/1.x. */
static int parse_head(const char *s, size_t len, head_info *h)
{
    size_t i = 0;

    h->status = 0;
    h->content_length = -1;
    h->close = 0;
    if (len < 12 || strncmp(s, "HTTP/1.", 7) != 0)
        return -1;
    h->status = atoi(s + 9);
    while (i < len && s[i] != '\n')
        i++;
    for (i++; i < len;) {
        size_t j = i;

        while (j < len && s[j] != '\r')
            j++;
        if (j == i)
            break;
        header_line(s + i, j - i, h);
        i = j + 2;
    }
    return h->status >= 100 && h->status < HB_STATUS_MAX ? 0 : -1;
}

static int read_response(hb_conn *c, hb_resp *out)
{
    size_t hend = 0, need;
    head_info h;

    while ((hend = head_end(c->buf, c->len)) == 0)
        if (read_more(c) != 0)
            return -1;
    if (parse_head(c->buf, hend, &h) != 0)
        return -1;
    if (h.content_length < 0)
        h.content_length = 0;   /* 204, or a bodiless error */
    need = hend + (size_t)h.content_length;
    while (c->len < need)
        if (read_more(c) != 0)
            return -1;
    out->status = h.status;
    out->body = c->buf + hend;
    out->body_len = (size_t)h.content_length;
    c->used = need;
    if (h.close)
        c->used = c->len;       /* whatever follows is not ours */
    return h.close;
}

/* Drop the previous response from the buffer. */
static void consume(hb_conn *c)
{
    if (c->used < c->len)
        memmove(c->buf, c->buf + c->used, c->len - c->used);
    c->len -= c->used;
    c->used = 0;
}

int hb_request(hb_conn *c, const char *method, const char *path,
               const char *body, size_t body_len, hb_resp *out)
{
    int rc;

    out->status = 0;
    out->body = NULL;
    out->body_len = 0;
    consume(c);
    if (c->fd < 0 && hb_conn_open(c) != 0)
        return -1;
    if (send_request(c, method, path, body, body_len) != 0) {
        hb_conn_close(c);
        return -1;
    }
    rc = read_response(c, out);
    if (rc < 0) {
        hb_conn_close(c);
        out->status = 0;
        return -1;
    }
    if (rc > 0) {               /* Connection: close; keep the body readable */
        close(c->fd);
        c->fd = -1;
    }
    return 0;
}

int64_t hb_json_u64(const char *body, size_t len, const char *key)
{
    char pat[64];
    size_t plen, i;

    plen = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
    for (i = 0; body != NULL && i + plen < len; i++) {
        int64_t v = 0;

        if (memcmp(body + i, pat, plen) != 0)
            continue;
        i += plen;
        if (body[i] < '0' || body[i] > '9')
            return -1;
        for (; i < len && body[i] >= '0' && body[i] <= '9'; i++)
            v = v * 10 + (body[i] - '0');
        return v;
    }
    return -1;
}
