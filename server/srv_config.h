/*
 * srv_config.h - the daemon's options, from the command line and the
 * environment.
 *
 * Every option --NAME has an environment variable ADDRMAND_NAME (dashes
 * become underscores, upper case).  Precedence: built-in default, then the
 * environment, then the command line.  Values: "--name value" or
 * "--name=value"; flags take no value on the command line and 1/0,
 * true/false, yes/no or on/off in the environment.  srv_config_usage()
 * prints every option with its variable and default.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "srv_log.h"

typedef struct srv_config {
    const char *listen;           /* "host:port", "[v6]:port" */
    const char *datadir;
    unsigned save_interval;       /* seconds between snapshots; 0 = none */
    int fsync_always;             /* fdatasync every journal append */
    const char *api_token;        /* "" = no auth */
    unsigned threads;
    size_t max_body;
    unsigned max_connections;
    unsigned connection_timeout;  /* seconds idle; 0 = never */
    srv_level log_level;
    uint32_t new_buckets;
    uint32_t tried_buckets;
    int64_t retry_time;
    uint32_t new_group_cap;       /* new-table entries per group; 0 = none */
    int64_t node_timeout;         /* seconds a silent node is kept */
    int64_t default_lease;        /* select's lease_seconds when absent */
    int64_t max_lease;            /* larger lease_seconds are refused */
    int enable_debug;
    const char *p2p_listen;       /* "": no P2P face */
    const char *chain;            /* a am_chain name */
    uint64_t p2p_services;
    unsigned p2p_max_connections;
    unsigned p2p_max_per_ip;      /* 0: no cap */
    unsigned p2p_max_per_group;   /* 0: no cap */
    int64_t p2p_handshake_timeout;
    int64_t p2p_idle_timeout;
    int probe;                    /* run the prober */
    double probe_rate;            /* probes started a second */
    unsigned probe_concurrency;
    int64_t probe_timeout;        /* seconds: connect plus handshake */
    int64_t probe_tried_age;      /* seconds: re-check tried peers older */
    uint32_t probe_networks;      /* bits 1u << net; 0: every network */
    const char *proxy;            /* "": none (HOST:PORT, SOCKS5) */
    const char *onion_proxy;
    const char *i2p_proxy;
    int show_help;
    int show_version;
} srv_config;

/*
 * Fill cfg from the defaults, the environment and argv (argv[0] is the
 * program).  0, or -1 with a message in err.  Strings point into argv or
 * the environment.
 */
int srv_config_load(srv_config *cfg, int argc, char **argv, char *err,
                    size_t err_len);
void srv_config_usage(FILE *out);

/*
 * Split "host:port" or "[v6host]:port" into host and port text.  0, or -1
 * when the form is wrong or a part does not fit.
 */
int srv_split_hostport(const char *text, char *host, size_t host_len,
                       char *port, size_t port_len);

/*
 * Settings that are allowed but leave the pool open to others, each as one
 * sentence for the log: an API token shorter than SRV_TOKEN_MIN
 * characters, and a listening address that is not loopback without a
 * token.  How many were written to out (at most cap).
 */
#define SRV_TOKEN_MIN 16
#define SRV_RISK_MAX 200
size_t srv_config_risks(const srv_config *cfg, char (*out)[SRV_RISK_MAX],
                        size_t cap);

/*
 * --p2p-listen's forms: those of srv_split_hostport, or a host alone
 * ("0.0.0.0", "[::]"), which leaves port empty (the chain's port).
 */
int srv_split_p2p_listen(const char *text, char *host, size_t host_len,
                         char *port, size_t port_len);

/* 1 when the --listen text names a loopback host ("localhost", 127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104); 0 for any other host, names included. */
int srv_listen_is_loopback(const char *listen);

#endif
