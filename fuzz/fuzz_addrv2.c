/*
 * fuzz_addrv2.c - the BIP155 addrv2 payload decoder.
 *
 * Input: one addrv2 payload.  Properties:
 *   - decoding never reads outside the buffer (ASan) and reports each
 *     entry with a status; a usable entry has a known network and bytes
 *     past the network's length are zero;
 *   - when every entry is usable, encoding them gives back the very same
 *     bytes (the decoder accepts canonical encodings only);
 *   - the usable entries, encoded and decoded again, come back the same.
 */
#include "fuzz_common.h"

#include "addrv2.h"

static am_addrv2_entry g_in[AM_ADDRV2_MAX_ENTRIES];
static am_addrv2_entry g_ok[AM_ADDRV2_MAX_ENTRIES];
static am_addrv2_entry g_back[AM_ADDRV2_MAX_ENTRIES];
static uint8_t g_buf[AM_ADDRV2_MAX_ENTRY_SIZE * AM_ADDRV2_MAX_ENTRIES + 3];

static void check_entry(const am_addrv2_entry *e, size_t i)
{
    size_t len;

    if (e->status != AM_OK)
        return;
    len = am_net_len(e->addr.net);
    FZ_ASSERT(len > 0, "entry %zu: usable with unknown network %u", i,
              (unsigned)e->addr.net);
    FZ_ASSERT(e->addr.reserved == 0, "entry %zu: reserved byte set", i);
    for (size_t k = len; k < AM_ADDR_MAXLEN; k++)
        FZ_ASSERT(e->addr.bytes[k] == 0, "entry %zu: byte %zu past the length", i,
                  k);
}

static int entry_eq(const am_addrv2_entry *a, const am_addrv2_entry *b)
{
    return a->time == b->time && a->services == b->services &&
           am_addr_eq(&a->addr, &b->addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0, n_ok = 0, n_back = 0, len = 0;
    int rc;

    rc = am_addrv2_decode(data, size, g_in, AM_ADDRV2_MAX_ENTRIES, &n);
    if (rc != AM_OK)
        return 0;
    FZ_ASSERT(n <= AM_ADDRV2_MAX_ENTRIES, "%zu entries", n);
    for (size_t i = 0; i < n; i++) {
        check_entry(&g_in[i], i);
        if (g_in[i].status == AM_OK)
            g_ok[n_ok++] = g_in[i];
    }

    rc = am_addrv2_encode(g_ok, n_ok, g_buf, sizeof g_buf, &len);
    FZ_ASSERT(rc == AM_OK, "encode of %zu decoded entries: %s", n_ok,
              am_strerror(rc));
    if (n_ok == n) {
        /* CJDNS bytes may arrive as network 2 inside fc00::/8; the encoder
         * writes addr.net, which is then 2 as well: same bytes. */
        FZ_ASSERT(len == size && memcmp(g_buf, data, size) == 0,
                  "re-encoding %zu entries gives %zu bytes, input %zu", n, len,
                  size);
    }
    rc = am_addrv2_decode(g_buf, len, g_back, AM_ADDRV2_MAX_ENTRIES, &n_back);
    FZ_ASSERT(rc == AM_OK, "decode of our own encoding: %s", am_strerror(rc));
    FZ_ASSERT(n_back == n_ok, "%zu entries back, %zu sent", n_back, n_ok);
    for (size_t i = 0; i < n_ok; i++) {
        FZ_ASSERT(g_back[i].status == AM_OK, "entry %zu: status %d back", i,
                  g_back[i].status);
        FZ_ASSERT(entry_eq(&g_back[i], &g_ok[i]), "entry %zu changed", i);
    }

    /* A cap below the count is refused, never overrun. */
    if (n > 0) {
        am_addrv2_entry *small = malloc(n > 1 ? (n - 1) * sizeof *small : 1);
        if (small == NULL)
            return 0;
        rc = am_addrv2_decode(data, size, small, n - 1, &n_back);
        free(small);
        FZ_ASSERT(rc == AM_ERR_TOOMANY, "cap %zu for %zu entries gave %d", n - 1,
                  n, rc);
    }
    return 0;
}
