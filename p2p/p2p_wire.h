/*
 * p2p_wire.h - fixed-width integers as the P2P wire has them, shared by
 * the frame and message codecs of p2p/ (not a public interface).
 *
 * Bitcoin writes integers little-endian, except the port of a network
 * address, which is big-endian (network order).  The readers take a
 * pointer the caller has checked for `n` bytes; they never fail.
 */
#ifndef P2P_WIRE_H
#define P2P_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t p2p_get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

static inline void p2p_put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline uint16_t p2p_get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void p2p_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

#endif
