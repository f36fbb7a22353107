/*
 * p2p_chain.c - the chains' constants (Bitcoin Core's chainparams.cpp:
 * pchMessageStart and nDefaultPort of each).
 */
#include "p2p_chain.h"

#include <stddef.h>
#include <string.h>

#include "am_error.h"

static const p2p_chain chains[P2P_CHAIN_COUNT] = {
    {P2P_CHAIN_MAIN, "main", {0xf9, 0xbe, 0xb4, 0xd9}, 8333},
    {P2P_CHAIN_TESTNET4, "testnet4", {0x1c, 0x16, 0x3f, 0x28}, 48333},
    {P2P_CHAIN_SIGNET, "signet", {0x0a, 0x03, 0xcf, 0x40}, 38333},
    {P2P_CHAIN_REGTEST, "regtest", {0xfa, 0xbf, 0xb5, 0xda}, 18444},
};

const p2p_chain *p2p_chain_get(p2p_chain_id id)
{
    /* A switch rather than an index, so a new id the table lacks is a
     * compiler warning, not a read past the table. */
    switch (id) {
    case P2P_CHAIN_MAIN:
    case P2P_CHAIN_TESTNET4:
    case P2P_CHAIN_SIGNET:
    case P2P_CHAIN_REGTEST:
        return &chains[id];
    }
    return NULL;
}

int p2p_chain_by_name(const char *name, const p2p_chain **out)
{
    if (name == NULL || out == NULL)
        return AM_ERR_INVAL;
    for (size_t i = 0; i < P2P_CHAIN_COUNT; i++) {
        if (strcmp(chains[i].name, name) == 0) {
            *out = &chains[i];
            return AM_OK;
        }
    }
    return AM_ERR_NOTFOUND;
}
