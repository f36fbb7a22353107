#include "srv_health.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "srv_config.h"

#define HEALTH_TIMEOUT_S 5

typedef struct http_url {
    char host[256];
    char port[16];
    const char *path;
} http_url;

/* "http://host[:port][/path]"; host may be "[v6]". */
static int parse_url(const char *url, http_url *u)
{
    const char *p = url + 7, *end, *colon;
    size_t hlen;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    end = p + strcspn(p, "/");
    u->path = *end ? end : "/";
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close == NULL)
            return -1;
        hlen = (size_t)(close - p - 1);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        p++;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        hlen = (size_t)((colon ? colon : end) - p);
    }
    if (hlen == 0 || hlen >= sizeof u->host)
        return -1;
    memcpy(u->host, p, hlen);
    u->host[hlen] = '\0';
    if (colon == NULL) {
        strcpy(u->port, "80");
        return 0;
    }
    if ((size_t)(end - colon - 1) >= sizeof u->port || end == colon + 1)
        return -1;
    memcpy(u->port, colon + 1, (size_t)(end - colon - 1));
    u->port[end - colon - 1] = '\0';
    return 0;
}

static void default_url(char *out, size_t len)
{
    const char *listen = getenv("ADDRMAND_LISTEN");
    char host[256], port[16];

    if (listen == NULL ||
        srv_split_hostport(listen, host, sizeof host, port, sizeof port) != 0) {
        snprintf(out, len, "http://127.0.0.1:8380/healthz");
        return;
    }
    if (strcmp(host, "0.0.0.0") == 0)
        strcpy(host, "127.0.0.1");
    else if (strcmp(host, "::") == 0)
        strcpy(host, "::1");
    snprintf(out, len, strchr(host, ':') ? "http://[%s]:%s/healthz"
                                         : "http://%s:%s/healthz", host, port);
}

static int connect_to(const http_url *u)
{
    struct timeval tv = {HEALTH_TIMEOUT_S, 0};
    struct addrinfo hints, *res, *ai;
    int fd = -1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "healthcheck: %s: %s\n", u->host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        /* On Linux the send timeout bounds connect() too. */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            rc = errno;
            close(fd);
            fd = -1;
            errno = rc;
        }
    }
    if (fd < 0)
        fprintf(stderr, "healthcheck: cannot connect to %s port %s: %s\n",
                u->host, u->port, strerror(errno));
    freeaddrinfo(res);
    return fd;
}

/* Read the status line; 0 when it says 200. */
static int read_status(int fd, const char *url)
{
    char line[256];
    size_t n = 0;
    ssize_t got;

    while (n + 1 < sizeof line && memchr(line, '\n', n) == NULL) {
        got = read(fd, line + n, sizeof line - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "HTTP/1.", 7) == 0 && line[7] != '\0' &&
        strncmp(line + 8, " 200", 4) == 0)
        return 0;
    fprintf(stderr, "healthcheck: %s answered '%s'\n", url,
            n ? line : "nothing");
    return -1;
}

static int check(const char *url)
{
    char request[512];
    http_url u;
    int fd, rc, len;

    if (parse_url(url, &u) != 0) {
        fprintf(stderr, "healthcheck: '%s' is not an http://host:port/path URL\n",
                url);
        return 2;
    }
    fd = connect_to(&u);
    if (fd < 0)
        return 1;
    len = snprintf(request, sizeof request,
                   "GET %s HTTP/1.0\r\nHost: %s%s%s:%s\r\n"
                   "User-Agent: addrmand-healthcheck\r\n\r\n",
                   u.path, strchr(u.host, ':') ? "[" : "", u.host,
                   strchr(u.host, ':') ? "]" : "", u.port);
    if (len < 0 || (size_t)len >= sizeof request ||
        write(fd, request, (size_t)len) != len) {
        fprintf(stderr, "healthcheck: cannot send the request to %s\n", url);
        close(fd);
        return 1;
    }
    rc = read_status(fd, url) == 0 ? 0 : 1;
    close(fd);
    return rc;
}

int srv_health_main(int argc, char **argv)
{
    char url[512];
    int i;

    default_url(url, sizeof url);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            snprintf(url, sizeof url, "%s", argv[++i]);
        } else if (strncmp(argv[i], "--url=", 6) == 0) {
            snprintf(url, sizeof url, "%s", argv[i] + 6);
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("Usage: addrmand healthcheck [--url URL]\n"
                   "Exit 0 when URL (default %s) answers 200.\n", url);
            return 0;
        } else {
            fprintf(stderr, "healthcheck: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    return check(url);
}
