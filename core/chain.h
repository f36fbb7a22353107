/*
 * chain.h - the Bitcoin networks addrmand knows: their magic and port.
 *
 * A chain is its name (Bitcoin Core's -chain= names: "main", "testnet4",
 * "signet", "regtest"), the 4-byte network magic that starts every message
 * on the wire (bytes in wire order) and the default port of its nodes.
 * The chains are constants: nothing here allocates or changes state.
 */
#ifndef AM_CHAIN_H
#define AM_CHAIN_H

#include <stdint.h>

typedef enum am_chain_id {
    AM_CHAIN_MAIN,
    AM_CHAIN_TESTNET4,
    AM_CHAIN_SIGNET,     /* the default signet (Core's -signet) */
    AM_CHAIN_REGTEST
} am_chain_id;
#define AM_CHAIN_COUNT 4

typedef struct am_chain {
    am_chain_id id;
    const char *name;
    uint8_t magic[4];     /* as the bytes appear on the wire */
    uint16_t port;
} am_chain;

/* The chain `id`; NULL when id is not one of am_chain_id. */
const am_chain *am_chain_get(am_chain_id id);

/*
 * The chain called `name` (exact, lower case): AM_OK and *out, or
 * AM_ERR_NOTFOUND (AM_ERR_INVAL for a NULL argument); *out is unchanged
 * on error.
 */
int am_chain_by_name(const char *name, const am_chain **out);

#endif
