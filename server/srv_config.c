#include "srv_config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "am_error.h"
#include "am_parse.h"
#include "chain.h"
#include "netaddr.h"

#define MAX_THREADS 1024
#define MAX_BODY_LIMIT ((size_t)1 << 30)
#define MAX_CONNECTIONS 1000000
#define MAX_TIMEOUT 86400
#define MAX_RETRY (INT64_C(365) * 86400)
#define MAX_BUCKETS 65536
#define MAX_NODE_SECONDS (INT64_C(365) * 86400)
#define MAX_SAVE_INTERVAL 86400
#define MAX_P2P_CONNECTIONS 100000
#define MAX_PROBE_RATE 10000.0
#define MAX_PROBE_CONCURRENCY 10000

typedef int (*setter_fn)(srv_config *cfg, const char *value, char *err,
                         size_t err_len);

typedef struct srv_option {
    const char *name;       /* without "--" */
    const char *arg;        /* NULL: a flag */
    const char *def;        /* default as shown by --help */
    const char *help;
    setter_fn set;
} srv_option;

static int fail(char *err, size_t len, const char *what, const char *value,
                const char *expected)
{
    snprintf(err, len, "%s: expected %s, got '%s'", what, expected, value);
    return -1;
}

/* Digits only, at most max: 0, or -1 (the caller names what was wanted). */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    return am_parse_u64_str(s, max, out) == AM_OK ? 0 : -1;
}

static int set_listen(srv_config *cfg, const char *v, char *err, size_t len)
{
    char host[256], port[16];

    if (srv_split_hostport(v, host, sizeof host, port, sizeof port) != 0)
        return fail(err, len, "listen", v, "HOST:PORT or [IPV6]:PORT");
    cfg->listen = v;
    return 0;
}

static int set_datadir(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (*v == '\0')
        return fail(err, len, "datadir", v, "a directory");
    cfg->datadir = v;
    return 0;
}

static int set_save_interval(srv_config *cfg, const char *v, char *err,
                             size_t len)
{
    uint64_t n;

    if (parse_uint(v, MAX_SAVE_INTERVAL, &n) != 0)
        return fail(err, len, "save-interval", v,
                    "seconds from 0 (no periodic saves) to 86400");
    cfg->save_interval = (unsigned)n;
    return 0;
}

static int set_fsync(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (strcmp(v, "always") == 0)
        cfg->fsync_always = 1;
    else if (strcmp(v, "never") == 0)
        cfg->fsync_always = 0;
    else
        return fail(err, len, "fsync", v, "always or never");
    return 0;
}

static int set_token(srv_config *cfg, const char *v, char *err, size_t len)
{
    (void)err;
    (void)len;
    cfg->api_token = v;
    return 0;
}

static int set_threads(srv_config *cfg, const char *v, char *err, size_t len)
{
    uint64_t n;

    if (parse_uint(v, MAX_THREADS, &n) != 0 || n == 0)
        return fail(err, len, "threads", v, "an integer from 1 to 1024");
    cfg->threads = (unsigned)n;
    return 0;
}

/* Bytes, with an optional binary suffix: 16777216, 16M, 16MiB, 512k. */
static int set_max_body(srv_config *cfg, const char *v, char *err, size_t len)
{
    static const struct { const char *suffix; unsigned shift; } units[] = {
        {"", 0}, {"k", 10}, {"K", 10}, {"KiB", 10}, {"m", 20}, {"M", 20},
        {"MiB", 20}, {"g", 30}, {"G", 30}, {"GiB", 30}};
    size_t digits = strspn(v, "0123456789"), i;
    uint64_t n;

    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(v + digits, units[i].suffix) != 0)
            continue;
        if (am_parse_u64(v, digits, MAX_BODY_LIMIT >> units[i].shift,
                         &n) != AM_OK || n == 0)
            break;
        cfg->max_body = (size_t)n << units[i].shift;
        return 0;
    }
    return fail(err, len, "max-body", v,
                "a size from 1 byte to 1GiB (e.g. 16MiB, 512k, 65536)");
}

static int set_max_connections(srv_config *cfg, const char *v, char *err,
                               size_t len)
{
    uint64_t n;

    if (parse_uint(v, MAX_CONNECTIONS, &n) != 0 || n == 0)
        return fail(err, len, "max-connections", v,
                    "an integer from 1 to 1000000");
    cfg->max_connections = (unsigned)n;
    return 0;
}

static int set_timeout(srv_config *cfg, const char *v, char *err, size_t len)
{
    uint64_t n;

    if (parse_uint(v, MAX_TIMEOUT, &n) != 0)
        return fail(err, len, "connection-timeout", v,
                    "seconds from 0 (never) to 86400");
    cfg->connection_timeout = (unsigned)n;
    return 0;
}

static int set_log_level(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (srv_log_level_parse(v, &cfg->log_level) != 0)
        return fail(err, len, "log-level", v, "error, warn, info or debug");
    return 0;
}

static int parse_buckets(const char *v, uint32_t *out)
{
    uint64_t n;

    if (parse_uint(v, MAX_BUCKETS, &n) != 0 || n == 0 || (n & (n - 1)) != 0)
        return -1;
    *out = (uint32_t)n;
    return 0;
}

static int set_new_buckets(srv_config *cfg, const char *v, char *err,
                           size_t len)
{
    if (parse_buckets(v, &cfg->new_buckets) != 0)
        return fail(err, len, "new-buckets", v, "a power of two from 1 to 65536");
    return 0;
}

static int set_tried_buckets(srv_config *cfg, const char *v, char *err,
                             size_t len)
{
    if (parse_buckets(v, &cfg->tried_buckets) != 0)
        return fail(err, len, "tried-buckets", v,
                    "a power of two from 1 to 65536");
    return 0;
}

static int set_new_group_cap(srv_config *cfg, const char *v, char *err,
                             size_t len)
{
    uint64_t n;

    if (parse_uint(v, UINT32_MAX, &n) != 0)
        return fail(err, len, "new-group-cap", v,
                    "an integer from 0 (no cap) to 4294967295");
    cfg->new_group_cap = (uint32_t)n;
    return 0;
}

static int set_retry(srv_config *cfg, const char *v, char *err, size_t len)
{
    uint64_t n;

    if (parse_uint(v, (uint64_t)MAX_RETRY, &n) != 0)
        return fail(err, len, "retry-time", v, "seconds from 0 to 31536000");
    cfg->retry_time = (int64_t)n;
    return 0;
}

/* Seconds for the shared pool: min..a year. */
static int parse_seconds(const char *v, uint64_t min, int64_t *out)
{
    uint64_t n;

    if (parse_uint(v, (uint64_t)MAX_NODE_SECONDS, &n) != 0 || n < min)
        return -1;
    *out = (int64_t)n;
    return 0;
}

static int set_node_timeout(srv_config *cfg, const char *v, char *err,
                            size_t len)
{
    if (parse_seconds(v, 1, &cfg->node_timeout) != 0)
        return fail(err, len, "node-timeout", v, "seconds from 1 to 31536000");
    return 0;
}

static int set_default_lease(srv_config *cfg, const char *v, char *err,
                             size_t len)
{
    if (parse_seconds(v, 0, &cfg->default_lease) != 0)
        return fail(err, len, "default-lease", v, "seconds from 0 to 31536000");
    return 0;
}

static int set_max_lease(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (parse_seconds(v, 0, &cfg->max_lease) != 0)
        return fail(err, len, "max-lease", v, "seconds from 0 to 31536000");
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};
    size_t i;

    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
    }
    for (i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int set_debug(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (parse_bool(v, &cfg->enable_debug) != 0)
        return fail(err, len, "enable-debug", v, "1/0, true/false, yes/no, on/off");
    return 0;
}

static int set_p2p_listen(srv_config *cfg, const char *v, char *err, size_t len)
{
    char host[256], port[16];

    if (*v != '\0' && srv_split_p2p_listen(v, host, sizeof host, port,
                                           sizeof port) != 0)
        return fail(err, len, "p2p-listen", v,
                    "HOST[:PORT] or [IPV6][:PORT]");
    cfg->p2p_listen = v;
    return 0;
}

static int set_chain(srv_config *cfg, const char *v, char *err, size_t len)
{
    const am_chain *chain;

    if (am_chain_by_name(v, &chain) != AM_OK)
        return fail(err, len, "chain", v, "main, testnet4, signet or regtest");
    cfg->chain = chain->name;
    return 0;
}

static int set_p2p_services(srv_config *cfg, const char *v, char *err,
                            size_t len)
{
    if (parse_uint(v, UINT64_MAX, &cfg->p2p_services) != 0)
        return fail(err, len, "p2p-services", v, "an integer (service bits)");
    return 0;
}

/* A count of P2P connections from lo to MAX_P2P_CONNECTIONS. */
static int parse_count(const char *v, uint64_t lo, unsigned *out)
{
    uint64_t n;

    if (parse_uint(v, MAX_P2P_CONNECTIONS, &n) != 0 || n < lo)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static int set_p2p_max_connections(srv_config *cfg, const char *v, char *err,
                                   size_t len)
{
    if (parse_count(v, 1, &cfg->p2p_max_connections) != 0)
        return fail(err, len, "p2p-max-connections", v,
                    "an integer from 1 to 100000");
    return 0;
}

static int set_p2p_max_per_ip(srv_config *cfg, const char *v, char *err,
                              size_t len)
{
    if (parse_count(v, 0, &cfg->p2p_max_per_ip) != 0)
        return fail(err, len, "p2p-max-per-ip", v,
                    "an integer from 0 (no cap) to 100000");
    return 0;
}

static int set_p2p_max_per_group(srv_config *cfg, const char *v, char *err,
                                 size_t len)
{
    if (parse_count(v, 0, &cfg->p2p_max_per_group) != 0)
        return fail(err, len, "p2p-max-per-group", v,
                    "an integer from 0 (no cap) to 100000");
    return 0;
}

static int set_p2p_handshake_timeout(srv_config *cfg, const char *v,
                                     char *err, size_t len)
{
    if (parse_seconds(v, 1, &cfg->p2p_handshake_timeout) != 0 ||
        cfg->p2p_handshake_timeout > MAX_TIMEOUT)
        return fail(err, len, "p2p-handshake-timeout", v,
                    "seconds from 1 to 86400");
    return 0;
}

static int set_p2p_idle_timeout(srv_config *cfg, const char *v, char *err,
                                size_t len)
{
    if (parse_seconds(v, 1, &cfg->p2p_idle_timeout) != 0 ||
        cfg->p2p_idle_timeout > MAX_TIMEOUT)
        return fail(err, len, "p2p-idle-timeout", v, "seconds from 1 to 86400");
    return 0;
}

static int set_probe(srv_config *cfg, const char *v, char *err, size_t len)
{
    if (parse_bool(v, &cfg->probe) != 0)
        return fail(err, len, "probe", v, "1/0, true/false, yes/no, on/off");
    return 0;
}

/* A rate: digits with an optional fraction ("2", "0.5", "250"). */
static int set_probe_rate(srv_config *cfg, const char *v, char *err,
                          size_t len)
{
    size_t whole = strspn(v, "0123456789"), frac = 0;
    char *end = NULL;
    double r;

    if (v[whole] == '.')
        frac = strspn(v + whole + 1, "0123456789");
    r = strtod(v, &end);
    if (whole == 0 || (v[whole] == '.' && frac == 0) ||
        end != v + whole + (v[whole] == '.' ? 1 + frac : 0) || *end != '\0' ||
        !(r >= 0.01 && r <= MAX_PROBE_RATE))
        return fail(err, len, "probe-rate", v,
                    "probes a second from 0.01 to 10000");
    cfg->probe_rate = r;
    return 0;
}

static int set_probe_concurrency(srv_config *cfg, const char *v, char *err,
                                 size_t len)
{
    if (parse_count(v, 1, &cfg->probe_concurrency) != 0 ||
        cfg->probe_concurrency > MAX_PROBE_CONCURRENCY)
        return fail(err, len, "probe-concurrency", v,
                    "an integer from 1 to 10000");
    return 0;
}

static int set_probe_timeout(srv_config *cfg, const char *v, char *err,
                             size_t len)
{
    if (parse_seconds(v, 1, &cfg->probe_timeout) != 0 ||
        cfg->probe_timeout > 3600)
        return fail(err, len, "probe-timeout", v, "seconds from 1 to 3600");
    return 0;
}

static int set_probe_tried_age(srv_config *cfg, const char *v, char *err,
                               size_t len)
{
    if (parse_seconds(v, 60, &cfg->probe_tried_age) != 0 ||
        cfg->probe_tried_age > MAX_RETRY)
        return fail(err, len, "probe-tried-age", v,
                    "seconds from 60 to 31536000");
    return 0;
}

/* A comma-separated list of network names (ipv4,ipv6,torv3,i2p,cjdns). */
static int set_probe_networks(srv_config *cfg, const char *v, char *err,
                              size_t len)
{
    uint32_t mask = 0;
    const char *p = v;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char name[16];
        int net;

        if (n == 0 || n >= sizeof name)
            break;
        memcpy(name, p, n);
        name[n] = '\0';
        if (am_net_from_name(name, &net) != AM_OK)
            break;
        mask |= 1u << net;
        if (comma == NULL) {
            cfg->probe_networks = mask;
            return 0;
        }
        p = comma + 1;
    }
    return fail(err, len, "probe-networks", v,
                "a comma-separated list of ipv4, ipv6, torv3, i2p, cjdns");
}

/* A SOCKS5 proxy: a numeric HOST:PORT (no name: a lookup would go around
 * the proxy). */
static int set_proxy_of(const char **dst, const char *what, const char *v,
                        char *err, size_t len)
{
    char host[256], port[16];
    unsigned char a[16];

    if (*v == '\0') {
        *dst = v;
        return 0;
    }
    if (srv_split_hostport(v, host, sizeof host, port, sizeof port) != 0 ||
        strcmp(port, "0") == 0 ||
        (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1))
        return fail(err, len, what, v,
                    "a numeric HOST:PORT or [IPV6]:PORT of a SOCKS5 proxy");
    *dst = v;
    return 0;
}

static int set_proxy(srv_config *cfg, const char *v, char *err, size_t len)
{
    return set_proxy_of(&cfg->proxy, "proxy", v, err, len);
}

static int set_onion_proxy(srv_config *cfg, const char *v, char *err,
                           size_t len)
{
    return set_proxy_of(&cfg->onion_proxy, "onion-proxy", v, err, len);
}

static int set_i2p_proxy(srv_config *cfg, const char *v, char *err, size_t len)
{
    return set_proxy_of(&cfg->i2p_proxy, "i2p-proxy", v, err, len);
}

static const srv_option options[] = {
    {"listen", "ADDR", "127.0.0.1:8380",
     "address and port to serve HTTP on; [::]:8380 for IPv6", set_listen},
    {"datadir", "DIR", "./addrmand-data",
     "data directory, created if missing (/readyz checks it)", set_datadir},
    {"save-interval", "SECONDS", "60",
     "write a snapshot this often (0: only on dump and at exit)",
     set_save_interval},
    {"fsync", "MODE", "never",
     "always: flush each journal write to disk; never: write() only",
     set_fsync},
    {"api-token", "TOKEN", "(none)",
     "require 'Authorization: Bearer TOKEN' on /v1/...", set_token},
    {"threads", "N", "number of cores", "HTTP worker threads", set_threads},
    {"max-body", "SIZE", "16MiB",
     "largest request body (bytes, or with k/M/G suffix)", set_max_body},
    {"max-connections", "N", "1024", "concurrent connections",
     set_max_connections},
    {"connection-timeout", "SECONDS", "60",
     "cut a connection idle, or a request in arrival, this long (0: never)",
     set_timeout},
    {"log-level", "LEVEL", "info", "error, warn, info or debug", set_log_level},
    {"new-buckets", "N", "1024", "buckets of the new table (power of two)",
     set_new_buckets},
    {"tried-buckets", "N", "256", "buckets of the tried table (power of two)",
     set_tried_buckets},
    {"retry-time", "SECONDS", "600", "how long a failed peer rests",
     set_retry},
    {"new-group-cap", "N", "256",
     "most new-table addresses of one network group (0: no cap)",
     set_new_group_cap},
    {"node-timeout", "SECONDS", "900",
     "drop a node not heard from this long (its leases and connections)",
     set_node_timeout},
    {"default-lease", "SECONDS", "120",
     "lease of a selected peer when the request names none (0: no lease)",
     set_default_lease},
    {"max-lease", "SECONDS", "3600", "largest lease_seconds a select may ask",
     set_max_lease},
    {"enable-debug", NULL, "off",
     "serve GET /debug/check (consistency check, for tests)", set_debug},
    {"p2p-listen", "ADDR", "(off)",
     "serve the Bitcoin P2P protocol (getaddr, addr) on this address, "
     "e.g. 0.0.0.0:8333; without a port, the chain's (8333, 48333, 38333, "
     "18444)", set_p2p_listen},
    {"chain", "NAME", "main",
     "main, testnet4, signet or regtest: the P2P magic; regtest also lets "
     "loopback and private addresses into the pool", set_chain},
    {"p2p-services", "N", "9",
     "service bits in our P2P version (9: NODE_NETWORK|NODE_WITNESS)",
     set_p2p_services},
    {"p2p-max-connections", "N", "125", "concurrent P2P connections",
     set_p2p_max_connections},
    {"p2p-max-per-ip", "N", "8",
     "P2P connections from one address (0: no cap)", set_p2p_max_per_ip},
    {"p2p-max-per-group", "N", "16",
     "P2P connections from one routable network group (0: no cap)",
     set_p2p_max_per_group},
    {"p2p-handshake-timeout", "SECONDS", "60",
     "close a P2P connection whose handshake is not done by then",
     set_p2p_handshake_timeout},
    {"p2p-idle-timeout", "SECONDS", "120",
     "close a P2P connection silent this long after its handshake",
     set_p2p_idle_timeout},
    {"probe", NULL, "off",
     "check the pool's addresses with outbound P2P handshakes (the prober)",
     set_probe},
    {"probe-rate", "N", "2", "probes started a second (fractions allowed)",
     set_probe_rate},
    {"probe-concurrency", "N", "32", "probes under way at one time",
     set_probe_concurrency},
    {"probe-timeout", "SECONDS", "10",
     "connect plus handshake of one probe (twice this through a proxy)",
     set_probe_timeout},
    {"probe-tried-age", "SECONDS", "14400",
     "check a tried peer again once its last success is this old",
     set_probe_tried_age},
    {"probe-networks", "LIST", "all",
     "networks the prober probes, e.g. ipv4,torv3 on a host without IPv6 "
     "(ipv4, ipv6, torv3, i2p, cjdns)", set_probe_networks},
    {"proxy", "HOST:PORT", "(none)",
     "SOCKS5 proxy for every probe (Tor and I2P too, unless they have "
     "their own)", set_proxy},
    {"onion-proxy", "HOST:PORT", "(none)",
     "SOCKS5 proxy for Tor (.onion) probes, e.g. Tor's 127.0.0.1:9050",
     set_onion_proxy},
    {"i2p-proxy", "HOST:PORT", "(none)",
     "SOCKS5 proxy for I2P (.b32.i2p) probes, e.g. i2pd's 127.0.0.1:4447",
     set_i2p_proxy},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

/* "api-token" -> "ADDRMAND_API_TOKEN" */
static void env_name(const char *opt, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "ADDRMAND_");
    for (; *opt && n + 1 < len; opt++)
        out[n++] = *opt == '-' ? '_' : (char)(*opt >= 'a' && *opt <= 'z'
                                              ? *opt - 'a' + 'A' : *opt);
    out[n] = '\0';
}

static void set_defaults(srv_config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8380";
    cfg->datadir = "./addrmand-data";
    cfg->save_interval = 60;
    cfg->api_token = "";
    cfg->threads = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS
                                                       : (unsigned)cores;
    cfg->max_body = (size_t)16 << 20;
    cfg->max_connections = 1024;
    cfg->connection_timeout = 60;
    cfg->log_level = SRV_INFO;
    cfg->new_buckets = 1024;
    cfg->tried_buckets = 256;
    cfg->retry_time = 600;
    cfg->new_group_cap = 256;
    cfg->node_timeout = 900;
    cfg->default_lease = 120;
    cfg->max_lease = 3600;
    cfg->p2p_listen = "";
    cfg->chain = "main";
    cfg->p2p_services = 9;
    cfg->p2p_max_connections = 125;
    cfg->p2p_max_per_ip = 8;
    cfg->p2p_max_per_group = 16;
    cfg->p2p_handshake_timeout = 60;
    cfg->p2p_idle_timeout = 120;
    cfg->probe_rate = 2.0;
    cfg->probe_concurrency = 32;
    cfg->probe_timeout = 10;
    cfg->probe_tried_age = 4 * 3600;
    cfg->proxy = "";
    cfg->onion_proxy = "";
    cfg->i2p_proxy = "";
}

static int load_env(srv_config *cfg, char *err, size_t len)
{
    char name[64], msg[256];
    size_t i;

    for (i = 0; i < N_OPTIONS; i++) {
        const char *v;

        env_name(options[i].name, name, sizeof name);
        v = getenv(name);
        if (v == NULL)
            continue;
        if (options[i].set(cfg, v, msg, sizeof msg) != 0) {
            snprintf(err, len, "%s (from %s)", msg, name);
            return -1;
        }
    }
    return 0;
}

static const srv_option *find_option(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len &&
            memcmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* One "--name[=value]" at argv[*i]; may take argv[*i + 1] as the value. */
static int load_arg(srv_config *cfg, int argc, char **argv, int *i, char *err,
                    size_t len)
{
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    const srv_option *opt = find_option(arg, nlen);
    const char *value = eq ? eq + 1 : NULL;

    if (opt == NULL) {
        snprintf(err, len, "unknown option '%s'", argv[*i]);
        return -1;
    }
    if (opt->arg == NULL)
        return value ? opt->set(cfg, value, err, len) : opt->set(cfg, "1", err, len);
    if (value == NULL) {
        if (*i + 1 >= argc) {
            snprintf(err, len, "option '--%s' needs a value", opt->name);
            return -1;
        }
        value = argv[++*i];
    }
    return opt->set(cfg, value, err, len);
}

int srv_config_load(srv_config *cfg, int argc, char **argv, char *err,
                    size_t err_len)
{
    int i;

    set_defaults(cfg);
    if (load_env(cfg, err, err_len) != 0)
        return -1;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cfg->show_help = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            cfg->show_version = 1;
        } else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
            if (load_arg(cfg, argc, argv, &i, err, err_len) != 0)
                return -1;
        } else {
            snprintf(err, err_len, "unexpected argument '%s'", argv[i]);
            return -1;
        }
    }
    /* Checked once every source is read: either may come from either. */
    if (cfg->default_lease > cfg->max_lease) {
        snprintf(err, err_len, "default-lease (%lld) is above max-lease (%lld)",
                 (long long)cfg->default_lease, (long long)cfg->max_lease);
        return -1;
    }
    return 0;
}

void srv_config_usage(FILE *out)
{
    char env[64], left[64];
    size_t i;

    fprintf(out,
            "Usage: addrmand [OPTIONS]\n"
            "       addrmand healthcheck [--url URL]\n"
            "       addrmand import --format core|floresta|btcd|lines "
            "[--datadir DIR] [--chain NAME] FILE\n"
            "       addrmand export --format core|floresta [--datadir DIR] "
            "[--chain NAME] > FILE\n"
            "\n"
            "Bitcoin peer address manager, served over HTTP/JSON.\n"
            "Every option can also be set by its environment variable;\n"
            "the command line wins.\n\nOptions:\n");
    for (i = 0; i < N_OPTIONS; i++) {
        env_name(options[i].name, env, sizeof env);
        snprintf(left, sizeof left, "--%s%s%s", options[i].name,
                 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
        fprintf(out, "  %-30s %s\n  %-30s [env %s, default %s]\n", left,
                options[i].help, "", env, options[i].def);
    }
    fprintf(out, "  %-30s %s\n  %-30s %s\n", "--help", "show this and exit",
            "--version", "show the version and exit");
    fprintf(out,
            "\nhealthcheck: exit 0 when GET /healthz answers 200.  URL defaults\n"
            "to http://<ADDRMAND_LISTEN or 127.0.0.1:8380>/healthz.\n"
            "import, export: a data directory's pool from or to a file (core:\n"
            "Bitcoin Core's peers.dat) while the daemon is not running.\n");
}

int srv_split_hostport(const char *text, char *host, size_t host_len,
                       char *port, size_t port_len)
{
    const char *colon, *host_start = text, *host_end;
    uint64_t port_number;

    if (text[0] == '[') {
        host_end = strchr(text, ']');
        if (host_end == NULL || host_end[1] != ':')
            return -1;
        host_start = text + 1;
        colon = host_end + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL)
            return -1;      /* bare IPv6 needs brackets */
        host_end = colon;
    }
    if (host_end == host_start || (size_t)(host_end - host_start) >= host_len ||
        strlen(colon + 1) >= port_len ||
        am_parse_u64_str(colon + 1, 65535, &port_number) != AM_OK)
        return -1;
    memcpy(host, host_start, (size_t)(host_end - host_start));
    host[host_end - host_start] = '\0';
    strcpy(port, colon + 1);
    return 0;
}

int srv_split_p2p_listen(const char *text, char *host, size_t host_len,
                         char *port, size_t port_len)
{
    size_t n = strlen(text);

    if (srv_split_hostport(text, host, host_len, port, port_len) == 0)
        return 0;
    /* No port: "HOST" (no colon at all) or "[V6]". */
    if (text[0] == '[' && n > 2 && text[n - 1] == ']' &&
        memchr(text + 1, ']', n - 2) == NULL) {
        if (n - 2 >= host_len)
            return -1;
        memcpy(host, text + 1, n - 2);
        host[n - 2] = '\0';
    } else if (n > 0 && strchr(text, ':') == NULL && strchr(text, '[') == NULL &&
               strchr(text, ']') == NULL && n < host_len) {
        memcpy(host, text, n + 1);
    } else {
        return -1;
    }
    if (port_len > 0)
        port[0] = '\0';
    return 0;
}

int srv_listen_is_loopback(const char *listen)
{
    char host[256], port[16];
    unsigned char a[16];
    static const unsigned char v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                              0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0xff, 0xff};

    if (srv_split_hostport(listen, host, sizeof host, port, sizeof port) != 0)
        return 0;
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1)
        return memcmp(a, v6_loop, 16) == 0 ||
               (memcmp(a, v4_mapped, 12) == 0 && a[12] == 127);
    return 0;
}

size_t srv_config_risks(const srv_config *cfg, char (*out)[SRV_RISK_MAX],
                        size_t cap)
{
    size_t n = 0, token = strlen(cfg->api_token);

    if (token > 0 && token < SRV_TOKEN_MIN && n < cap)
        snprintf(out[n++], SRV_RISK_MAX,
                 "the API token has %zu characters, fewer than %d: it can be "
                 "guessed (openssl rand -hex 32 makes a good one)", token,
                 SRV_TOKEN_MIN);
    if (token == 0 && !srv_listen_is_loopback(cfg->listen) && n < cap)
        snprintf(out[n++], SRV_RISK_MAX,
                 "listening on %s, not a loopback address, without "
                 "--api-token: anyone who reaches the port can change the "
                 "pool", cfg->listen);
    return n;
}
