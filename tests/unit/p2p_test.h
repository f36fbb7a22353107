/*
 * p2p_test.h - what the p2p/ tests share: hex text to bytes, and the
 * vectors of tests/data/p2p/vectors.txt (written by python-bitcoinlib,
 * see make_vectors.py there).
 */
#ifndef P2P_TEST_H
#define P2P_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P2P_VECTORS AM_TEST_DATA_DIR "/p2p/vectors.txt"
/* The longest vector (the addr message), with room to spare. */
#define P2P_VECTOR_MAX 512

static inline int p2p_t_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Lower-case hex into out; the byte count (the test fails on bad hex). */
static inline size_t p2p_t_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    assert_int_equal(n % 2, 0);
    assert_true(n / 2 <= cap);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = p2p_t_nibble(hex[2 * i]), lo = p2p_t_nibble(hex[2 * i + 1]);
        assert_true(hi >= 0 && lo >= 0);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

/* The framed message `what` of `chain` ("main", "regtest") from the vectors. */
static inline size_t p2p_t_vector(const char *chain, const char *what,
                                  uint8_t *out, size_t cap)
{
    char c[32], w[32], hex[2 * P2P_VECTOR_MAX + 1];
    FILE *f = fopen(P2P_VECTORS, "r");
    size_t n = 0;

    assert_non_null(f);
    while (fscanf(f, "%31s %31s %1024s", c, w, hex) == 3) {
        if (strcmp(c, chain) == 0 && strcmp(w, what) == 0) {
            n = p2p_t_hex(hex, out, cap);
            break;
        }
    }
    fclose(f);
    if (n == 0)
        fail_msg("no vector %s %s in %s", chain, what, P2P_VECTORS);
    return n;
}

/* The vectors' message names, in file order (each chain has them all). */
static const char *const p2p_t_names[] = {
    "version", "version_norelay", "verack", "ping", "getaddr", "addr",
};
#define P2P_T_NAMES (sizeof p2p_t_names / sizeof p2p_t_names[0])

#endif
