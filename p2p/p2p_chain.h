/*
 * p2p_chain.h - the Bitcoin networks the P2P face can speak on.
 *
 * A chain is its name (Bitcoin Core's -chain= names: "main", "testnet4",
 * "signet", "regtest"), the 4-byte network magic that starts every message
 * on the wire (bytes in wire order) and the default port of its nodes.
 * The chains are constants: nothing here allocates or changes state.
 */
#ifndef P2P_CHAIN_H
#define P2P_CHAIN_H

#include <stdint.h>

typedef enum p2p_chain_id {
    P2P_CHAIN_MAIN,
    P2P_CHAIN_TESTNET4,
    P2P_CHAIN_SIGNET,     /* the default signet (Core's -signet) */
    P2P_CHAIN_REGTEST
} p2p_chain_id;
#define P2P_CHAIN_COUNT 4

typedef struct p2p_chain {
    p2p_chain_id id;
    const char *name;
    uint8_t magic[4];     /* as the bytes appear on the wire */
    uint16_t port;
} p2p_chain;

/* The chain `id`; NULL when id is not one of p2p_chain_id. */
const p2p_chain *p2p_chain_get(p2p_chain_id id);

/*
 * The chain called `name` (exact, lower case): AM_OK and *out, or
 * AM_ERR_NOTFOUND (AM_ERR_INVAL for a NULL argument); *out is unchanged
 * on error.
 */
int p2p_chain_by_name(const char *name, const p2p_chain **out);

#endif
