/*
 * fuzz_common.h - what the fuzz targets share: a reader that turns the
 * fuzzer's bytes into numbers (zeros once the input runs out), a fake
 * clock, and FZ_FAIL, which reports a broken property and aborts so that
 * libFuzzer keeps the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrman.h"
#include "netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_T0 INT64_C(1700000000)
/* Times are kept below 2106 (the core stores u32 seconds). */
#define FZ_T_MAX INT64_C(4000000000)

__attribute__((noreturn, format(printf, 3, 4)))
static void fz_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==FUZZ PROPERTY FAILED== %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
#define FZ_FAIL(...) fz_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define FZ_ASSERT(cond, ...) \
    do { if (!(cond)) FZ_FAIL("assertion '%s': " "%s", #cond, fz_msg(__VA_ARGS__)); } while (0)

/* printf into a static buffer, for FZ_ASSERT's message. */
__attribute__((format(printf, 1, 2)))
static inline const char *fz_msg(const char *fmt, ...)
{
    static char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

/* am_check, aborting with its reason. */
#define FZ_CHECK_CORE(m, what) fz_check_core((m), (what), __FILE__, __LINE__)
static inline void fz_check_core(am_man *m, const char *what, const char *file,
                                 int line)
{
    char why[512];
    why[0] = '\0';
    int rc = am_check(m, why, sizeof why);
    if (rc != AM_OK)
        fz_fail_at(file, line, "am_check after %s: %s (%s)", what, why,
                   am_strerror(rc));
}

/* ---- the byte reader --------------------------------------------------- */

typedef struct fz_in {
    const uint8_t *p;
    size_t n, pos;
} fz_in;

static inline void fz_init(fz_in *in, const uint8_t *p, size_t n)
{
    in->p = p;
    in->n = n;
    in->pos = 0;
}

static inline int fz_more(const fz_in *in)
{
    return in->pos < in->n;
}

static inline uint8_t fz_u8(fz_in *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

static inline uint16_t fz_u16(fz_in *in)
{
    uint16_t v = fz_u8(in);
    return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(fz_in *in)
{
    uint32_t v = fz_u16(in);
    return v | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(fz_in *in)
{
    uint64_t v = fz_u32(in);
    return v | (uint64_t)fz_u32(in) << 32;
}

static inline void fz_bytes(fz_in *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fz_u8(in);
}

/* ---- the fake clock ---------------------------------------------------- */

static int64_t fz_now = FZ_T0;

static inline int64_t fz_clock(void *ctx)
{
    (void)ctx;
    return fz_now;
}

static inline void fz_advance(int64_t seconds)
{
    if (seconds > 0 && fz_now + seconds <= FZ_T_MAX)
        fz_now += seconds;
}

/* A config with small tables, the fake clock and a fixed key and seed. */
static inline void fz_config(am_config *cfg, uint32_t new_buckets,
                             uint32_t tried_buckets)
{
    am_config_default(cfg);
    cfg->new_buckets = new_buckets;
    cfg->tried_buckets = tried_buckets;
    cfg->have_key = 1;
    for (int i = 0; i < 16; i++)
        cfg->key[i] = (uint8_t)(0x5a + 13 * i);
    cfg->seed = UINT64_C(0xf022f022f022f022);
    cfg->clock = fz_clock;
    cfg->clock_ctx = NULL;
}

static inline am_man *fz_new_core(uint32_t new_buckets, uint32_t tried_buckets)
{
    am_config cfg;
    am_man *m = NULL;
    fz_config(&cfg, new_buckets, tried_buckets);
    if (am_new(&cfg, &m) != AM_OK)
        FZ_FAIL("am_new failed");
    return m;
}

#endif
