#include "srv_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"
#include "am_parse.h"
#include "srv_config.h"
#include "srv_guard.h"
#include "srv_log.h"

/* See discard_limit(). */
#define SRV_DISCARD_MIN ((size_t)1 << 20)
/* Largest first allocation of a body buffer. */
#define SRV_BODY_FIRST ((size_t)64 << 10)

struct srv_http {
    struct MHD_Daemon *daemon;
    srv_guard *guard;
    api_ctx *api;
    size_t max_body;
    atomic_int starting;        /* libmicrohttpd messages are errors then */
    atomic_int stopping;        /* answers say "Connection: close" */
    atomic_long inflight;       /* requests between first call and completion */
    char address[128];
};

/* One request, from the first call of the access handler to completion. */
typedef struct srv_req {
    struct timespec start;
    srv_guard_conn *gc;     /* its connection's deadline record */
    char method[32];
    char *path;             /* raw, as received */
    char *query;            /* raw, rebuilt from libmicrohttpd's pieces */
    unsigned char *body;
    size_t len, cap;
    size_t discarded;       /* body bytes dropped after the limit */
    int too_large;
    int status;             /* 0 until answered */
    size_t bytes;
} srv_req;

/* ---- listening socket ----------------------------------------------- */

static void format_bound(int fd, char *out, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
    }
    if (ss.ss_family == AF_INET6)
        snprintf(out, len, "[%s]:%u", host, port);
    else
        snprintf(out, len, "%s:%u", host, port);
}

static int bind_one(const struct addrinfo *ai)
{
    int one = 1, fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                             ai->ai_protocol);

    if (fd < 0)
        return -1;
    /* A restart must not wait for TIME_WAIT; [::] means IPv6 only. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int open_listener(const char *listen_on, int *family, char *err,
                         size_t err_len)
{
    struct addrinfo hints, *res, *ai;
    char host[256], port[16];
    int fd = -1, e = EINVAL, rc;

    if (srv_split_hostport(listen_on, host, sizeof host, port, sizeof port)) {
        snprintf(err, err_len, "cannot listen on '%s': not HOST:PORT", listen_on);
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_len, "cannot listen on '%s': %s", listen_on,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = bind_one(ai);
        if (fd < 0)
            e = errno;
        else
            *family = ai->ai_family;
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, err_len, "cannot listen on '%s': %s", listen_on,
                 strerror(e));
    return fd;
}

/* ---- per request ------------------------------------------------------ */

typedef struct query_text {
    char *s;
    size_t len;
    int failed;
} query_text;

/* libmicrohttpd splits the query into key/value pieces (left raw by our
 * unescape callback); put them back as "k=v&k2=v2" for the API. */
static enum MHD_Result add_query_piece(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *value)
{
    query_text *q = cls;
    size_t need = strlen(key) + (value ? strlen(value) + 1 : 0) + 2;
    char *p;

    (void)kind;
    p = realloc(q->s, q->len + need);
    if (p == NULL) {
        q->failed = 1;
        return MHD_NO;
    }
    q->s = p;
    q->len += (size_t)sprintf(q->s + q->len, "%s%s%s%s", q->len ? "&" : "",
                              key, value ? "=" : "", value ? value : "");
    return MHD_YES;
}

/* An absolute-form target ("http://host/path") names its path after the
 * authority. */
static const char *path_of(const char *url)
{
    const char *p;

    if (url[0] == '/' || (strncmp(url, "http://", 7) != 0 &&
                          strncmp(url, "https://", 8) != 0))
        return url;
    p = strchr(strstr(url, "//") + 2, '/');
    return p ? p : "/";
}

static srv_req *req_new(struct MHD_Connection *conn, const char *url,
                        const char *method)
{
    srv_req *r = calloc(1, sizeof *r);
    query_text q = {NULL, 0, 0};

    if (r == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    snprintf(r->method, sizeof r->method, "%s", method);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_piece, &q);
    r->path = strdup(path_of(url));
    r->query = q.s;
    if (r->path == NULL || q.failed) {
        free(r->path);
        free(r->query);
        free(r);
        return NULL;
    }
    return r;
}

static void req_free(srv_req *r)
{
    free(r->path);
    free(r->query);
    free(r->body);
    free(r);
}

static void drop_body(srv_req *r)
{
    r->too_large = 1;
    free(r->body);
    r->body = NULL;
    r->len = r->cap = 0;
}

/* Content-Length above the limit: refuse before reading any of it. */
static int announced_too_large(struct MHD_Connection *conn, size_t max,
                               size_t *announced)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t n;
    int rc;

    *announced = 0;
    if (cl == NULL)
        return 0;
    /* libmicrohttpd answers a malformed value itself (400) before calling
     * us: one we cannot read is left to it. */
    rc = am_parse_u64_str(cl, max, &n);
    if (rc == AM_OK)
        *announced = (size_t)n;
    return rc == AM_ERR_RANGE;
}

/* Body bytes dropped past the limit before the connection is cut. */
static size_t discard_limit(size_t max_body)
{
    return max_body > SRV_DISCARD_MIN ? max_body : SRV_DISCARD_MIN;
}

/* Keep body bytes up to the limit; past it, keep nothing. 0, or -1 when
 * memory runs out. */
static int body_append(srv_req *r, const char *data, size_t n, size_t max)
{
    size_t cap;
    unsigned char *p;

    if (r->too_large) {
        r->discarded += n;
        return 0;
    }
    if (n > max - r->len) {
        drop_body(r);
        r->discarded = n;
        return 0;
    }
    if (r->len + n > r->cap) {
        cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap = cap > max / 2 ? max : cap * 2;
        p = realloc(r->body, cap);
        if (p == NULL)
            return -1;
        r->body = p;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return 0;
}

static struct MHD_Response *to_mhd(srv_http *h, api_response *resp)
{
    struct MHD_Response *m;
    size_t i;

    if (resp->body != NULL)
        m = MHD_create_response_from_buffer(resp->body_len, resp->body,
                                            MHD_RESPMEM_MUST_FREE);
    else
        m = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (m == NULL)
        return NULL;
    resp->body = NULL;          /* libmicrohttpd frees it now */
    if (resp->content_type != NULL)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE,
                                resp->content_type);
    for (i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(m, resp->headers[i].name,
                                resp->headers[i].value);
    if (atomic_load(&h->stopping))
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    return m;
}

static enum MHD_Result respond(srv_http *h, struct MHD_Connection *conn,
                               srv_req *r)
{
    struct MHD_Response *m;
    api_response resp;
    api_request req;
    enum MHD_Result ret;

    memset(&req, 0, sizeof req);
    req.method = r->method;
    req.path = r->path;
    req.query = r->query;
    req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    req.authorization = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req.body = r->body;
    req.body_len = r->len;
    req.body_too_large = r->too_large;
    api_handle(h->api, &req, &resp);
    r->status = resp.status;
    r->bytes = resp.body_len;
    m = to_mhd(h, &resp);
    api_response_free(&resp);
    if (m == NULL)
        return MHD_NO;
    ret = MHD_queue_response(conn, (unsigned)r->status, m);
    MHD_destroy_response(m);
    free(r->body);
    r->body = NULL;
    return ret;
}

/* The guard's record of a connection (its socket context). */
static srv_guard_conn *conn_guard(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/*
 * Called after the headers, for every piece of body, and once more at the
 * end.  A response may be queued at the first call (before any body: the
 * rest is then discarded) or at the last, not while body data is passed.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    srv_http *h = cls;
    srv_req *r = *con_cls;
    size_t announced;

    (void)version;
    if (r == NULL) {
        r = req_new(conn, url, method);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        atomic_fetch_add(&h->inflight, 1);
        r->gc = conn_guard(conn);
        if (announced_too_large(conn, h->max_body, &announced)) {
            drop_body(r);
            srv_guard_answering(h->guard, r->gc);
            return respond(h, conn, r);
        }
        /* Size the buffer from Content-Length, but only so far: memory
         * is spent as the body arrives, not as it is announced. */
        if (announced > 0) {
            size_t first = announced < SRV_BODY_FIRST ? announced
                                                      : SRV_BODY_FIRST;
            r->body = malloc(first);
            r->cap = r->body ? first : 0;
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        srv_guard_body(h->guard, r->gc, *upload_data_size);
        if (body_append(r, upload_data, *upload_data_size, h->max_body) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        /* libmicrohttpd 0.9.75 cannot queue a response while body data is
         * being passed, so a chunked body past the limit is answered at its
         * end; one that keeps coming long after is cut off instead. */
        return r->discarded > discard_limit(h->max_body) ? MHD_NO : MHD_YES;
    }
    srv_guard_answering(h->guard, r->gc);
    return respond(h, conn, r);
}

static const char *termination_reason(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "completed";
    case MHD_REQUEST_TERMINATED_WITH_ERROR: return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR: return "read error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client abort";
    default: return "unknown";
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    srv_http *h = cls;
    srv_req *r = *con_cls;
    struct timespec now;
    double ms;
    int ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;

    (void)conn;
    if (r == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
         (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
    srv_log(ok ? SRV_INFO : SRV_WARN, "%s %s%s%s %d %.3fms %zuB%s%s", r->method,
            r->path, r->query ? "?" : "", r->query ? r->query : "", r->status,
            ms, r->bytes, ok ? "" : " aborted: ", ok ? "" : termination_reason(toe));
    atomic_fetch_sub(&h->inflight, 1);
    srv_guard_waiting(h->guard, r->gc);
    req_free(r);
    *con_cls = NULL;
}

/* Open connections are counted and given deadlines (srv_guard.h).
 * libmicrohttpd reports CLOSED before it closes the socket. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    srv_http *h = cls;
    const union MHD_ConnectionInfo *ci;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci != NULL
            ? srv_guard_opened(h->guard, (int)ci->connect_fd)
            : srv_guard_opened(h->guard, -1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        srv_guard_closed(h->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* Leave %-escapes alone: the API decodes them itself. */
static size_t unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    srv_http *h = cls;
    char msg[512];
    size_t n;

    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    /* Once serving, its messages are mostly about clients going away. */
    srv_log(atomic_load(&h->starting) ? SRV_ERROR : SRV_DEBUG,
            "libmicrohttpd: %s", msg);
}

/*
 * Once stopping, or with --max-connections open, a new connection is closed
 * as soon as it is accepted.
 * (MHD_quiesce_daemon would close the listening socket instead, but with
 * epoll and a thread pool it races with the workers over removing that
 * socket from their epoll sets and can abort the process -- an open
 * libmicrohttpd defect, seen as "Failed to remove listen FD from epoll
 * set" at SIGTERM, before the final save.)
 */
static enum MHD_Result accept_unless_stopping(void *cls,
                                              const struct sockaddr *addr,
                                              socklen_t addrlen)
{
    srv_http *h = cls;

    (void)addr;
    (void)addrlen;
    if (atomic_load(&h->stopping))
        return MHD_NO;
    return srv_guard_may_accept(h->guard) ? MHD_YES : MHD_NO;
}

int srv_http_start(const srv_http_config *cfg, api_ctx *api, srv_http **out,
                   char *err, size_t err_len)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    srv_http *h;
    int fd, family = AF_INET;
    uint64_t want = ((uint64_t)cfg->max_connections + 1) * cfg->threads;
    unsigned mhd_limit = want > UINT_MAX / 2 ? UINT_MAX / 2 : (unsigned)want;

    *out = NULL;
    h = calloc(1, sizeof *h);
    if (h == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    h->api = api;
    h->max_body = cfg->max_body;
    atomic_init(&h->starting, 1);
    atomic_init(&h->stopping, 0);
    atomic_init(&h->inflight, 0);
    if (srv_guard_start(cfg->max_connections, cfg->connection_timeout,
                        &h->guard) != 0) {
        snprintf(err, err_len, "cannot start the connection guard");
        free(h);
        return -1;
    }
    fd = open_listener(cfg->listen, &family, err, err_len);
    if (fd < 0) {
        srv_guard_stop(h->guard);
        free(h);
        return -1;
    }
    format_bound(fd, h->address, sizeof h->address);
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(
        flags, 0, accept_unless_stopping, h, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        /* The guard enforces --max-connections; libmicrohttpd's own limit,
         * shared out between its threads, must not stop any thread from
         * accepting (and so refusing) first. */
        MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
        MHD_OPTION_END);
    if (h->daemon == NULL) {
        snprintf(err, err_len, "libmicrohttpd could not start on %s",
                 h->address);
        close(fd);
        srv_guard_stop(h->guard);
        free(h);
        return -1;
    }
    atomic_store(&h->starting, 0);
    *out = h;
    return 0;
}

const char *srv_http_address(const srv_http *h)
{
    return h->address;
}

void srv_http_stop(srv_http *h, unsigned grace_seconds)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    unsigned long waited_ms = 0;

    atomic_store(&h->stopping, 1);      /* no new connections from now */
    while (atomic_load(&h->inflight) > 0 &&
           waited_ms < (unsigned long)grace_seconds * 1000) {
        nanosleep(&tick, NULL);
        waited_ms += 10;
    }
    if (atomic_load(&h->inflight) > 0)
        srv_log(SRV_WARN, "%ld requests still in flight after %us; closing",
                (long)atomic_load(&h->inflight), grace_seconds);
    MHD_stop_daemon(h->daemon);
    srv_guard_stop(h->guard);
    free(h);
}
