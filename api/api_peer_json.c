#include "api_peer_json.h"

#include <string.h>

#include "api_json.h"
#include "netaddr.h"

static const struct {
    const char *name;
    am_state_op op;
} state_ops[] = {
    {"connected", AM_OP_CONNECTED},
    {"tried", AM_OP_TRIED},
    {"failed", AM_OP_FAILED},
    {"never_tried", AM_OP_NEVER_TRIED},
    {"disconnected", AM_OP_DISCONNECTED},
};

int api_state_op_from_name(const char *name, am_state_op *out)
{
    size_t i;

    for (i = 0; i < sizeof state_ops / sizeof state_ops[0]; i++) {
        if (strcmp(name, state_ops[i].name) == 0) {
            *out = state_ops[i].op;
            return AM_OK;
        }
    }
    return AM_ERR_INVAL;
}

const char *api_table_name(int in_tried)
{
    return in_tried ? "tried" : "new";
}

int api_table_from_name(const char *name, int *in_tried)
{
    if (strcmp(name, "new") == 0)
        *in_tried = 0;
    else if (strcmp(name, "tried") == 0)
        *in_tried = 1;
    else
        return AM_ERR_INVAL;
    return AM_OK;
}

int api_network_bit(const char *name, uint32_t *bit, api_err *err)
{
    int net;

    if (am_net_from_name(name, &net) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "unknown network '%s' (ipv4, ipv6, torv3, i2p, cjdns)",
                        name);
    *bit = UINT32_C(1) << net;
    return 0;
}

int api_state_bit(const char *name, uint32_t *bit, api_err *err)
{
    am_state state;

    if (am_state_from_name(name, &state) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "unknown state '%s' (never_tried, tried, connected, "
                        "failed, banned)", name);
    *bit = UINT32_C(1) << state;
    return 0;
}

int api_name_list(const char *csv, api_name_bit_fn fn, uint32_t *mask,
                  api_err *err)
{
    char name[32];

    for (;;) {
        size_t len = strcspn(csv, ",");
        uint32_t bit;

        if (len >= sizeof name) {
            memcpy(name, csv, sizeof name - 1);
            name[sizeof name - 1] = '\0';
        } else {
            memcpy(name, csv, len);
            name[len] = '\0';
        }
        /* An over-long name is cut, which no known name survives. */
        if (fn(name, &bit, err) != 0)
            return -1;
        *mask |= bit;
        if (csv[len] == '\0')
            return 0;
        csv += len + 1;
    }
}

/*
 * Peer and relay objects are built in one stack buffer and appended with a
 * single js_w_raw(): a select answer is mostly this text, and writing it
 * member by member through the generic writer cost more than the selection
 * itself.  Every piece is either a literal of ours, a number, a name from
 * the tables above or canonical host text (decimal, hex, dots, colons,
 * base32), so nothing here needs escaping.
 */
#define PEER_TEXT_MAX 768   /* 155 of literals, 2 hosts, 8 numbers, names */

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Names are a few bytes: copied without a strlen and a memcpy call. */
static char *put_name(char *p, const char *name)
{
    while (*name != '\0')
        *p++ = *name++;
    return p;
}

/* The quoted host; a core that cannot format its own address is a bug,
 * shown rather than hidden. */
static char *put_host(char *p, const am_addr *a)
{
    *p++ = '"';
    if (am_addr_format(a, p, AM_ADDR_STRLEN) != AM_OK)
        strcpy(p, "?");
    p += strlen(p);
    *p++ = '"';
    return p;
}

static const char *net_name(const am_addr *a)
{
    const char *net = am_net_name(a->net);

    return net ? net : "unknown";
}

/* "address":..,"network":..,"port":..,"services":.. : what both objects
 * share, in the order api/openapi.yaml shows. */
static char *put_endpoint(char *p, const am_peer *pr)
{
    p = PUT(p, "\"address\":");
    p = put_host(p, &pr->addr);
    p = PUT(p, ",\"network\":\"");
    p = put_name(p, net_name(&pr->addr));
    p = PUT(p, "\",\"port\":");
    p = js_w_fmt_u64(p, pr->addr.port);
    p = PUT(p, ",\"services\":");
    return js_w_fmt_u64(p, pr->services);
}

void api_peer_write(js_w *w, const am_peer *pr)
{
    char text[PEER_TEXT_MAX], *p = text;

    p = PUT(p, "{\"id\":");
    p = js_w_fmt_u64(p, pr->id);
    *p++ = ',';
    p = put_endpoint(p, pr);
    p = PUT(p, ",\"state\":\"");
    p = put_name(p, am_state_name(pr->state));
    p = PUT(p, "\",\"table\":\"");
    p = put_name(p, api_table_name(pr->in_tried));
    p = PUT(p, "\",\"time\":");
    p = js_w_fmt_i64(p, pr->time);
    p = PUT(p, ",\"last_connected\":");
    p = js_w_fmt_i64(p, pr->last_connected);
    p = PUT(p, ",\"last_try\":");
    p = js_w_fmt_i64(p, pr->last_try);
    p = PUT(p, ",\"last_success\":");
    p = js_w_fmt_i64(p, pr->last_success);
    p = PUT(p, ",\"attempts\":");
    p = js_w_fmt_u64(p, pr->attempts);
    p = PUT(p, ",\"source\":");
    if (pr->has_source)
        p = put_host(p, &pr->source);
    else
        p = PUT(p, "null");
    *p++ = '}';
    js_w_raw(w, text, (size_t)(p - text));
}

void api_relay_write(js_w *w, const am_peer *pr)
{
    char text[PEER_TEXT_MAX], *p = text;

    *p++ = '{';
    p = put_endpoint(p, pr);
    p = PUT(p, ",\"time\":");
    p = js_w_fmt_i64(p, pr->time);
    *p++ = '}';
    js_w_raw(w, text, (size_t)(p - text));
}

/* The parser's own sentence about what is wrong with text. */
static int addr_parse(const char *text, uint16_t default_port, const char *what,
                      am_addr *out, int *has_port, api_err *err)
{
    char why[API_ERR_MSG_MAX / 2];
    int rc = am_addr_parse_ex(out, text, default_port, has_port, why,
                              sizeof why);

    if (rc != AM_OK)
        return api_fail(err, API_INVALID_ADDRESS, "%s '%.100s' is not valid: "
                        "%s", what, text, why);
    return 0;
}

int api_addr_parse(const char *text, uint16_t default_port, const char *what,
                   am_addr *out, api_err *err)
{
    return addr_parse(text, default_port, what, out, NULL, err);
}

const char *const api_peer_in_keys[] = {"address", "port", "services", "time",
                                        NULL};

int api_peer_in_parse(const js_val *entry, api_peer_in *out, api_err *err)
{
    const char *text;
    uint64_t port = AM_DEFAULT_PORT;
    int has_port, own_port = 0;

    if (entry->type != JS_OBJ)
        return api_fail(err, API_BAD_REQUEST, "a peer entry must be an object");
    memset(out, 0, sizeof *out);
    /* No length limit here: am_addr_parse refuses long text as invalid. */
    switch (api_json_get_str(entry, "address", (size_t)-1, &text, err)) {
    case 0:
        return api_fail(err, API_BAD_REQUEST, "address is required");
    case -1:
        return -1;
    default:
        break;
    }
    has_port = api_json_get_u64(entry, "port", 0, 65535, &port, err);
    if (has_port < 0)
        return -1;
    if (addr_parse(text, (uint16_t)port, "address", &out->addr, &own_port,
                   err) != 0)
        return -1;
    if (has_port && own_port && out->addr.port != port)
        return api_fail(err, API_BAD_REQUEST,
                        "address '%s' and port %u name different ports", text,
                        (unsigned)port);
    /* A port given as a member is kept as given, for I2P too (whose
     * default is 0). */
    if (has_port)
        out->addr.port = (uint16_t)port;
    if (!am_addr_port_usable(&out->addr))
        return api_fail(err, API_INVALID_ADDRESS,
                        "address '%.100s' is not valid: port 0", text);
    if (api_json_get_u64(entry, "services", 0, UINT64_MAX, &out->services,
                         err) < 0 ||
        api_json_get_i64(entry, "time", -API_TIME_LIMIT, API_TIME_LIMIT,
                         &out->time, err) < 0)
        return -1;
    return 0;
}

int api_get_node(const js_val *body, const char **node, api_err *err)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    int rc = api_json_get_str(body, "node", 64, node, err);

    if (rc <= 0)
        return rc;
    if ((*node)[0] == '\0' || (*node)[strspn(*node, allowed)] != '\0')
        return api_fail(err, API_BAD_REQUEST,
                        "node must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    return 1;
}
