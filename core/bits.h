/*
 * bits.h - portable 64-bit bit tricks used by the tables, and the one
 * integer hash of the core.
 *
 * Plain C11 (no compiler builtins): a de Bruijn multiplication for the
 * lowest set bit and a SWAR population count.  Compilers recognise both.
 */
#ifndef AM_BITS_H
#define AM_BITS_H

#include <stdint.h>

/* Index of the lowest set bit of x; x != 0. */
static inline unsigned am_ctz64(uint64_t x)
{
    static const unsigned char debruijn[64] = {
        0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
        62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
        63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
        46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6,
    };
    return debruijn[((x & (~x + 1)) * UINT64_C(0x03f79d71b4cb0a89)) >> 58];
}

static inline unsigned am_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Index of the k-th (from 0) set bit of x; k < popcount(x). */
static inline unsigned am_nth_bit64(uint64_t x, unsigned k)
{
    while (k--)
        x &= x - 1;
    return am_ctz64(x);
}

/*
 * The splitmix64 finalizer: every input bit reaches every output bit, so
 * the low bits of sequential ids or group keys make good hash-table homes.
 * The hash of the core's integer-keyed sets (counter.c, pool_*.c) and the
 * seed expander of rng.c.  Not keyed: only for keys an outsider cannot
 * choose freely, or tables that stay fast when they collide.
 */
static inline uint64_t am_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif
