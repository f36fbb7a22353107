/*
 * siphash.h - SipHash-2-4, the keyed hash behind bucket placement.
 *
 * A pseudo-random function of a 128-bit secret key: without the key, nobody
 * can predict which bucket or slot an address lands in, which is what keeps
 * one attacker from aiming many addresses at the same buckets.
 */
#ifndef AM_SIPHASH_H
#define AM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t am_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
