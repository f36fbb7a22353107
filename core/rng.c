#include "rng.h"

#include <errno.h>
#include <sys/random.h>

#include "bits.h"

static uint64_t splitmix64(uint64_t *x)
{
    return am_mix64(*x += UINT64_C(0x9e3779b97f4a7c15));
}

void am_rng_seed(am_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t am_rng_next(am_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t am_rng_below(am_rng *r, uint64_t n)
{
    /* Rejection of the short top range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = am_rng_next(r);
    } while (x >= limit);
    return x % n;
}

double am_rng_double(am_rng *r)
{
    return (double)(am_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int am_os_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t got = getrandom(p, len, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        len -= (size_t)got;
    }
    return 0;
}
