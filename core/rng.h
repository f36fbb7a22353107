/*
 * rng.h - a small, fast, seedable pseudo-random generator (xoshiro256**).
 *
 * Not for secrets: the bucketing key comes from getrandom() directly.  It
 * drives the random choices of selection and sampling, and a fixed seed
 * makes those choices repeatable in tests.
 */
#ifndef AM_RNG_H
#define AM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_rng {
    uint64_t s[4];
} am_rng;

/* Seed from a 64-bit value (expanded with splitmix64); any value is fine. */
void am_rng_seed(am_rng *r, uint64_t seed);
uint64_t am_rng_next(am_rng *r);
/* Uniform in [0, n); n > 0.  Unbiased. */
uint64_t am_rng_below(am_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double am_rng_double(am_rng *r);
/* Fill buf with bytes from the operating system; 0 on success, -1 on error. */
int am_os_random(void *buf, size_t len);

#endif
