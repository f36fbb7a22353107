/*
 * itest_addr.c - unique test addresses and seed-list picks.
 */
#include "itest_addr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#ifndef AM_TEST_DATA_DIR
#error "AM_TEST_DATA_DIR must name tests/data"
#endif

void it_rand_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;

    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            fail_msg("getrandom failed");
        p += got;
        n -= (size_t)got;
    }
}

uint64_t it_rand64(void)
{
    uint64_t v;

    it_rand_bytes(&v, sizeof v);
    return v;
}

void it_uniq_ipv4(char out[IT_HOST_MAX])
{
    uint64_t r = it_rand64();

    snprintf(out, IT_HOST_MAX, "%u.%u.%u.%u", 12u + (unsigned)(r % 88),
             (unsigned)((r >> 8) & 255), (unsigned)((r >> 16) & 255),
             1u + (unsigned)((r >> 24) % 254));
}

/* A group 1..0xffff. */
static unsigned group16(uint64_t r)
{
    return 1u + (unsigned)(r % 0xffff);
}

void it_uniq_ipv6(char canon[IT_HOST_MAX], char noncanon[IT_HOST_MAX])
{
    unsigned g0 = 0x2a00u + (unsigned)(it_rand64() & 0xff);
    unsigned g1 = group16(it_rand64()), g2 = group16(it_rand64());
    unsigned g3 = group16(it_rand64()), g7 = group16(it_rand64());

    snprintf(canon, IT_HOST_MAX, "%x:%x:%x:%x::%x", g0, g1, g2, g3, g7);
    if (noncanon != NULL)
        snprintf(noncanon, IT_HOST_MAX, "%04X:%04X:%04x:%X:0:0000:0:%04X",
                 g0, g1, g2, g3, g7);
}

void it_uniq_cjdns(char canon[IT_HOST_MAX], uint8_t bytes[16])
{
    unsigned g[8];
    int i;

    g[0] = 0xfc00u + (unsigned)(it_rand64() & 0xff);
    for (i = 1; i < 8; i++)
        g[i] = group16(it_rand64());
    snprintf(canon, IT_HOST_MAX, "%x:%x:%x:%x:%x:%x:%x:%x", g[0], g[1], g[2],
             g[3], g[4], g[5], g[6], g[7]);
    if (bytes != NULL)
        for (i = 0; i < 8; i++) {
            bytes[2 * i] = (uint8_t)(g[i] >> 8);
            bytes[2 * i + 1] = (uint8_t)(g[i] & 255);
        }
}

static void base32(const uint8_t *in, size_t n, char *out)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned acc = 0, bits = 0;
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alpha[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

void it_onion_name(const uint8_t pubkey[32], char out[IT_HOST_MAX])
{
    static const char prefix[] = ".onion checksum";
    uint8_t buf[sizeof prefix - 1 + 33], digest[32], raw[35];
    unsigned int len = 0;
    char name[64];

    memcpy(buf, prefix, sizeof prefix - 1);
    memcpy(buf + sizeof prefix - 1, pubkey, 32);
    buf[sizeof buf - 1] = 3;
    if (EVP_Digest(buf, sizeof buf, digest, &len, EVP_sha3_256(), NULL) != 1)
        fail_msg("SHA3-256 failed");
    memcpy(raw, pubkey, 32);
    raw[32] = digest[0];
    raw[33] = digest[1];
    raw[34] = 3;
    base32(raw, sizeof raw, name);
    snprintf(out, IT_HOST_MAX, "%s.onion", name);
}

void it_uniq_onion(char out[IT_HOST_MAX], uint8_t pubkey[32])
{
    uint8_t key[32];

    it_rand_bytes(key, sizeof key);
    it_onion_name(key, out);
    if (pubkey != NULL)
        memcpy(pubkey, key, sizeof key);
}

void it_uniq_i2p(char out[IT_HOST_MAX], uint8_t hash[32])
{
    uint8_t h[32];
    char name[64];

    it_rand_bytes(h, sizeof h);
    base32(h, sizeof h, name);
    snprintf(out, IT_HOST_MAX, "%s.b32.i2p", name);
    if (hash != NULL)
        memcpy(hash, h, sizeof h);
}

/*
 * Exactly 14 of the 28 bits 24..51, drawn at random (C(28,14) = 40116600
 * patterns): a filter on "every one of these bits" then matches another
 * value of this kind only when it is the same one.  (With each bit drawn
 * alone, one in 3,000 other values would hold every bit of ours, and a
 * shared pool holds thousands.)
 */
uint64_t it_uniq_services(void)
{
    unsigned bits[28], i;
    uint64_t v = 1;

    for (i = 0; i < 28; i++)
        bits[i] = 24 + i;
    for (i = 0; i < 14; i++) {
        unsigned j = i + (unsigned)(it_rand64() % (28 - i)), t = bits[i];

        bits[i] = bits[j];
        bits[j] = t;
        v |= UINT64_C(1) << bits[i];
    }
    return v;
}

/* The host of a seed line ("[v6]:port # AS1" -> "v6"); 0 if none. */
static int seed_line_host(const char *line, char *out, size_t len)
{
    const char *end;

    if (line[0] == '[') {
        end = strchr(line, ']');
        if (end == NULL)
            return 0;
        snprintf(out, len, "%.*s", (int)(end - line - 1), line + 1);
        return 1;
    }
    end = strchr(line, ':');
    if (end == NULL)
        return 0;
    snprintf(out, len, "%.*s", (int)(end - line), line);
    return 1;
}

static int seed_kind_is(const char *host, const char *kind)
{
    size_t n = strlen(host);

    if (strcmp(kind, "onion") == 0)
        return n > 6 && strcmp(host + n - 6, ".onion") == 0;
    if (strcmp(kind, "i2p") == 0)
        return n > 8 && strcmp(host + n - 8, ".b32.i2p") == 0;
    if (strcmp(kind, "cjdns") == 0)
        return strncmp(host, "fc", 2) == 0 && strchr(host, ':') != NULL;
    if (strcmp(kind, "ipv6") == 0)
        return strchr(host, ':') != NULL && strncmp(host, "fc", 2) != 0;
    return strchr(host, ':') == NULL && strchr(host, '.') != NULL &&
           strstr(host, ".onion") == NULL && strstr(host, ".i2p") == NULL;
}

void it_seed_host(const char *kind, char out[IT_HOST_MAX])
{
    char line[256], host[IT_HOST_MAX];
    FILE *f = fopen(AM_TEST_DATA_DIR "/nodes_main.txt", "r");
    unsigned long seen = 0;

    if (f == NULL)
        fail_msg("cannot open %s", AM_TEST_DATA_DIR "/nodes_main.txt");
    /* Reservoir sampling: every matching line equally likely. */
    while (fgets(line, sizeof line, f) != NULL) {
        if (!seed_line_host(line, host, sizeof host) ||
            !seed_kind_is(host, kind))
            continue;
        seen++;
        if (it_rand64() % seen == 0)
            snprintf(out, IT_HOST_MAX, "%s", host);
    }
    fclose(f);
    if (seen == 0)
        fail_msg("no %s address in nodes_main.txt", kind);
}
