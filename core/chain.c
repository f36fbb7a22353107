/*
 * chain.c - the chains' constants (Bitcoin Core's chainparams.cpp:
 * pchMessageStart and nDefaultPort of each).
 */
#include "chain.h"

#include <stddef.h>
#include <string.h>

#include "am_error.h"

static const am_chain chains[AM_CHAIN_COUNT] = {
    {AM_CHAIN_MAIN, "main", {0xf9, 0xbe, 0xb4, 0xd9}, 8333},
    {AM_CHAIN_TESTNET4, "testnet4", {0x1c, 0x16, 0x3f, 0x28}, 48333},
    {AM_CHAIN_SIGNET, "signet", {0x0a, 0x03, 0xcf, 0x40}, 38333},
    {AM_CHAIN_REGTEST, "regtest", {0xfa, 0xbf, 0xb5, 0xda}, 18444},
};

const am_chain *am_chain_get(am_chain_id id)
{
    /* A switch rather than an index, so a new id the table lacks is a
     * compiler warning, not a read past the table. */
    switch (id) {
    case AM_CHAIN_MAIN:
    case AM_CHAIN_TESTNET4:
    case AM_CHAIN_SIGNET:
    case AM_CHAIN_REGTEST:
        return &chains[id];
    }
    return NULL;
}

int am_chain_by_name(const char *name, const am_chain **out)
{
    if (name == NULL || out == NULL)
        return AM_ERR_INVAL;
    for (size_t i = 0; i < AM_CHAIN_COUNT; i++) {
        if (strcmp(chains[i].name, name) == 0) {
            *out = &chains[i];
            return AM_OK;
        }
    }
    return AM_ERR_NOTFOUND;
}
