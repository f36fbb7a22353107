/*
 * itest_addr.h - addresses for integration tests.
 *
 * Every it_uniq_* call gives an address no other call (in this or another
 * run) is likely to give, in a routable range, so that tests can share a
 * server whose pool is not empty.  IPv4 addresses lie in 12.0.0.0 ..
 * 99.255.255.255 (11.0.0.0/8 is kept for the ban tests), IPv6 in
 * 2a00::/8, CJDNS in fc00::/8.  Tor v3 names carry a valid checksum.
 * Thread-safe.
 */
#ifndef ITEST_ADDR_H
#define ITEST_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define IT_HOST_MAX 80

uint64_t it_rand64(void);
void it_rand_bytes(void *buf, size_t n);

void it_uniq_ipv4(char out[IT_HOST_MAX]);
/* Canonical RFC 5952 text, and the same address written non-canonically
 * (upper case, leading zeros, zero groups spelt out). */
void it_uniq_ipv6(char canon[IT_HOST_MAX], char noncanon[IT_HOST_MAX]);
void it_uniq_cjdns(char canon[IT_HOST_MAX], uint8_t bytes[16]);
void it_uniq_onion(char out[IT_HOST_MAX], uint8_t pubkey[32]);
void it_uniq_i2p(char out[IT_HOST_MAX], uint8_t hash[32]);
/* The v3 name of a public key. */
void it_onion_name(const uint8_t pubkey[32], char out[IT_HOST_MAX]);
/* Service bits no other test uses: 1 plus random bits 24..51. */
uint64_t it_uniq_services(void);

/*
 * A random host of one kind ("ipv4", "ipv6", "onion", "i2p", "cjdns") from
 * the real seed list AM_TEST_DATA_DIR/nodes_main.txt, without port or
 * brackets.  Fails the test when none is found.
 */
void it_seed_host(const char *kind, char out[IT_HOST_MAX]);

#endif
