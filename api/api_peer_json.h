/*
 * api_peer_json.h - the JSON codec of peers: the one place that knows the
 * JSON field names of a peer, of a relayed address and of an entry to add, and
 * the names of tables (state names: am_state_name).
 *
 * Peer object (api/openapi.yaml): id, address, network, port, services, state, table,
 * time, last_connected, last_try, last_success, attempts, source (null when
 * unknown).  Relay object: address, network, port, services, time.
 *
 * Entry to add: {"address": "<host>" | "<host:port>", "port": 0..65535?,
 * "services": u64?, "time": int?}.  The port defaults to 8333, and to 0
 * for I2P (the only port I2P peers use); when both the address and "port"
 * carry one they must agree.  Port 0 is invalid_address ("port 0") except
 * for I2P.  An omitted time is 0 (the core reads 0 as now).  Its keys are
 * api_peer_in_keys; a request with another key is refused (api_json_only).
 */
#ifndef API_PEER_JSON_H
#define API_PEER_JSON_H

#include <stdint.h>

#include "addrman.h"
#include "api_err.h"
#include "js_reader.h"
#include "js_writer.h"

/* Times a client may send: far beyond any clock, small enough that the
 * core's arithmetic on them cannot overflow. */
#define API_TIME_LIMIT (INT64_C(1) << 53)

/* The keys of an entry to add: address, port, services, time. */
extern const char *const api_peer_in_keys[];

/* What PUT .../state accepts: connected, tried, failed, never_tried,
 * disconnected.  AM_OK or AM_ERR_INVAL. */
int api_state_op_from_name(const char *name, am_state_op *out);
/* "new" / "tried" <-> 0 / 1. */
const char *api_table_name(int in_tried);
int api_table_from_name(const char *name, int *in_tried);

/* A name as its bit in a filter mask: a network (1u << net) or a state
 * (1u << am_state).  0, or -1 with bad_request listing the known names. */
int api_network_bit(const char *name, uint32_t *bit, api_err *err);
int api_state_bit(const char *name, uint32_t *bit, api_err *err);
typedef int (*api_name_bit_fn)(const char *name, uint32_t *bit, api_err *err);
/* A comma-separated list ("ipv4,torv3") OR-ed into *mask.  0 or -1. */
int api_name_list(const char *csv, api_name_bit_fn fn, uint32_t *mask,
                  api_err *err);

/* About what api_peer_write adds for a peer with IP addresses (a Tor or
 * I2P one is longer): the room a list of peers reserves up front. */
#define API_PEER_TEXT_TYPICAL 320
void api_peer_write(js_w *w, const am_peer *p);
void api_relay_write(js_w *w, const am_peer *p);

/*
 * Parse address text with an optional port ("1.2.3.4", "[2001:db8::1]:8333",
 * "<name>.onion:8333"; am_addr_parse).  `what` names it in the message,
 * which says what is wrong ("port 70000 is out of range").  0, or -1 with
 * invalid_address.
 */
int api_addr_parse(const char *text, uint16_t default_port, const char *what,
                   am_addr *out, api_err *err);

/*
 * The optional `node` member: 1..64 characters of [A-Za-z0-9._-].  1 with
 * *node, 0 when absent, -1 with bad_request.
 */
int api_get_node(const js_val *body, const char **node, api_err *err);

typedef struct api_peer_in {
    am_addr addr;           /* with its port */
    uint64_t services;
    int64_t time;
} api_peer_in;

/* One entry of POST /v1/peers.  0, or -1 with bad_request /
 * invalid_address. */
int api_peer_in_parse(const js_val *entry, api_peer_in *out, api_err *err);

#endif
