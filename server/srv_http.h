/*
 * srv_http.h - the HTTP transport: libmicrohttpd in front of api_handle().
 *
 * The server opens the listening socket itself (clear errors, IPv4 or IPv6,
 * port 0 for "any free port") and runs libmicrohttpd with its own polling
 * threads (a pool of `threads`, epoll where the library has it), keep-alive,
 * a connection limit and an idle timeout, with srv_guard.h refusing
 * connections past the limit at once and cutting off clients that trickle
 * their requests.  URLs reach the API raw: a no-op
 * unescape callback keeps libmicrohttpd from decoding them.  Bodies are read
 * incrementally into memory up to max_body.  A Content-Length above it is
 * answered 413 at once, before any of the body is read (the rest is never
 * read; the connection closes).  A chunked body that grows past it is no
 * longer kept: libmicrohttpd 0.9.75 cannot answer while a body is being
 * received, so the 413 goes out when the body ends, and a client that sends
 * more than max(max_body, 1 MiB) past the limit is disconnected instead.
 * One log line per request.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <stddef.h>

#include "api.h"

typedef struct srv_http_config {
    const char *listen;             /* "host:port" or "[v6]:port" */
    unsigned threads;               /* >= 1 */
    unsigned max_connections;
    unsigned connection_timeout;    /* seconds idle, and per request
                                       (srv_guard.h); 0 = never */
    size_t max_body;
} srv_http_config;

typedef struct srv_http srv_http;

/* Listen and serve.  0, or -1 with a message in err. */
int srv_http_start(const srv_http_config *cfg, api_ctx *api, srv_http **out,
                   char *err, size_t err_len);

/* The address really bound, e.g. "127.0.0.1:8380" or "[::1]:40123". */
const char *srv_http_address(const srv_http *h);

/*
 * Stop accepting, let the requests in flight finish (at most grace_seconds),
 * then close every connection and free the server.
 */
void srv_http_stop(srv_http *h, unsigned grace_seconds);

#endif
