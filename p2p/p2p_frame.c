/*
 * p2p_frame.c - the v1 message header: the incremental reader and the
 * writer.
 *
 * The reader is a small state machine over two buffers, the fixed header
 * and the payload; which one a byte goes to depends only on how much of
 * the header has arrived, so a message split at any byte reads the same
 * as a whole one.
 */
#include "p2p_frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "am_error.h"
#include "p2p_wire.h"

#define MAGIC_SIZE 4
#define LEN_OFFSET 16
#define SUM_OFFSET 20
/* A payload buffer larger than this is freed once its message is handed
 * out, so an idle connection does not keep a large message's memory. */
#define KEEP_CAP 65536u
/* The first allocation for a payload: small messages need one. */
#define MIN_CAP 4096u

int p2p_checksum(const uint8_t *payload, size_t len, uint8_t sum[4])
{
    uint8_t once[EVP_MAX_MD_SIZE], twice[EVP_MAX_MD_SIZE];
    static const uint8_t empty[1];

    if (payload == NULL)
        payload = empty;   /* EVP_Digest wants a pointer even for 0 bytes */
    if (!EVP_Digest(payload, len, once, NULL, EVP_sha256(), NULL) ||
        !EVP_Digest(once, 32, twice, NULL, EVP_sha256(), NULL))
        return AM_ERR_INTERNAL;
    memcpy(sum, twice, 4);
    return AM_OK;
}

static int printable(uint8_t c)
{
    return c >= 0x20 && c <= 0x7e;
}

int p2p_command_valid(const char *command)
{
    size_t n;

    if (command == NULL)
        return 0;
    for (n = 0; command[n] != '\0'; n++)
        if (n == P2P_COMMAND_SIZE || !printable((uint8_t)command[n]))
            return 0;
    return n > 0;
}

int p2p_frame_build(const uint8_t magic[4], const char *command,
                    const uint8_t *payload, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len)
{
    uint8_t sum[4];

    if (magic == NULL || out == NULL || out_len == NULL ||
        !p2p_command_valid(command) || (payload == NULL && len > 0) ||
        len > UINT32_MAX || len > cap || cap - len < P2P_HEADER_SIZE)
        return AM_ERR_INVAL;
    if (p2p_checksum(payload, len, sum) != AM_OK)
        return AM_ERR_INTERNAL;
    /* memmove: the caller may have built the payload in place at out + 24. */
    if (len > 0)
        memmove(out + P2P_HEADER_SIZE, payload, len);
    memcpy(out, magic, MAGIC_SIZE);
    memset(out + MAGIC_SIZE, 0, P2P_COMMAND_SIZE);
    memcpy(out + MAGIC_SIZE, command, strlen(command));
    p2p_put_le(out + LEN_OFFSET, len, 4);
    memcpy(out + SUM_OFFSET, sum, 4);
    *out_len = P2P_HEADER_SIZE + len;
    return AM_OK;
}

/* ------------------------------------------------------------------------ */
/* The reader. */

void p2p_reader_init(p2p_reader *r, const am_chain *chain)
{
    memset(r, 0, sizeof *r);
    memcpy(r->magic, chain->magic, MAGIC_SIZE);
    r->max_len = P2P_MAX_PAYLOAD_DEFAULT;
}

void p2p_reader_set_max(p2p_reader *r, uint32_t max_len)
{
    if (r->err == AM_OK)
        r->max_len = max_len;
}

void p2p_reader_free(p2p_reader *r)
{
    free(r->payload);
    r->payload = NULL;
    r->payload_cap = r->payload_have = 0;
}

const char *p2p_reader_why(const p2p_reader *r)
{
    return r->why;
}

size_t p2p_reader_buffered(const p2p_reader *r)
{
    return r->header_have + r->payload_cap;
}

__attribute__((format(printf, 3, 4)))
static int refuse(p2p_reader *r, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    r->err = err;
    p2p_reader_free(r);    /* the stream is over: its bytes are not needed */
    return err;
}

/* The command field: printable bytes, then NUL padding only. */
static int check_command(p2p_reader *r)
{
    const uint8_t *c = r->header + MAGIC_SIZE;
    size_t n = 0;

    while (n < P2P_COMMAND_SIZE && c[n] != 0) {
        if (!printable(c[n]))
            return refuse(r, AM_ERR_MALFORMED,
                          "command byte %zu is 0x%02x, not printable ASCII", n,
                          c[n]);
        n++;
    }
    if (n == 0)
        return refuse(r, AM_ERR_MALFORMED, "the command is empty");
    for (size_t i = n; i < P2P_COMMAND_SIZE; i++)
        if (c[i] != 0)
            return refuse(r, AM_ERR_MALFORMED,
                          "command byte %zu is 0x%02x after the NUL padding", i,
                          c[i]);
    return AM_OK;
}

static int check_header(p2p_reader *r)
{
    int rc = check_command(r);

    if (rc != AM_OK)
        return rc;
    r->len = (uint32_t)p2p_get_le(r->header + LEN_OFFSET, 4);
    if (r->len > r->max_len)
        return refuse(r, AM_ERR_RANGE,
                      "payload length %lu is above the maximum %lu",
                      (unsigned long)r->len, (unsigned long)r->max_len);
    return AM_OK;
}

/* Header bytes from buf[*pos..len); the magic is checked byte by byte so
 * that a stream of another network is refused at its first wrong byte. */
static int take_header(p2p_reader *r, const uint8_t *buf, size_t len,
                       size_t *pos)
{
    while (*pos < len && r->header_have < P2P_HEADER_SIZE) {
        uint8_t b = buf[(*pos)++];
        size_t at = r->header_have;

        if (at < MAGIC_SIZE && b != r->magic[at])
            return refuse(r, AM_ERR_MALFORMED,
                          "byte %zu of the network magic is 0x%02x, not 0x%02x",
                          at, b, r->magic[at]);
        r->header[r->header_have++] = b;
        if (r->header_have == P2P_HEADER_SIZE)
            return check_header(r);
    }
    return AM_OK;
}

/* Room for `need` payload bytes, growing with what has arrived (doubling)
 * and never beyond the message's length. */
static int reserve(p2p_reader *r, size_t need)
{
    size_t cap = r->payload_cap;
    uint8_t *p;

    if (need <= cap)
        return AM_OK;
    cap = cap * 2 > MIN_CAP ? cap * 2 : MIN_CAP;
    if (cap > r->len)
        cap = r->len;
    if (cap < need)
        cap = need;
    p = realloc(r->payload, cap);
    if (p == NULL)
        return AM_ERR_NOMEM;
    r->payload = p;
    r->payload_cap = cap;
    return AM_OK;
}

static int take_payload(p2p_reader *r, const uint8_t *buf, size_t len,
                        size_t *pos)
{
    size_t n = r->len - r->payload_have;

    if (n > len - *pos)
        n = len - *pos;
    if (n == 0)
        return AM_OK;
    if (reserve(r, r->payload_have + n) != AM_OK)
        return AM_ERR_NOMEM;
    memcpy(r->payload + r->payload_have, buf + *pos, n);
    r->payload_have += n;
    *pos += n;
    return AM_OK;
}

static int deliver(p2p_reader *r, p2p_frame *out)
{
    uint8_t sum[4];
    const uint8_t *want = r->header + SUM_OFFSET;

    if (p2p_checksum(r->payload, r->len, sum) != AM_OK)
        return AM_ERR_INTERNAL;
    if (memcmp(sum, want, 4) != 0)
        return refuse(r, AM_ERR_MALFORMED,
                      "checksum %02x%02x%02x%02x does not match the payload's "
                      "%02x%02x%02x%02x",
                      want[0], want[1], want[2], want[3], sum[0], sum[1],
                      sum[2], sum[3]);
    memcpy(out->command, r->header + MAGIC_SIZE, P2P_COMMAND_SIZE);
    out->command[P2P_COMMAND_SIZE] = '\0';
    out->payload = r->payload != NULL ? r->payload : r->header;
    out->len = r->len;
    r->delivered = 1;
    return AM_OK;
}

/* Forget the message handed out by the previous call. */
static void next_message(p2p_reader *r)
{
    if (!r->delivered)
        return;
    r->delivered = 0;
    r->header_have = 0;
    r->payload_have = 0;
    r->len = 0;
    if (r->payload_cap > KEEP_CAP)
        p2p_reader_free(r);
}

int p2p_reader_feed(p2p_reader *r, const uint8_t *buf, size_t len, size_t *used,
                    p2p_frame *out, int *got)
{
    size_t pos = 0;
    int rc = AM_OK;

    if (r == NULL || (buf == NULL && len > 0) || used == NULL || out == NULL ||
        got == NULL)
        return AM_ERR_INVAL;
    *used = 0;
    *got = 0;
    if (r->err != AM_OK)
        return r->err;
    next_message(r);
    if (r->header_have < P2P_HEADER_SIZE)
        rc = take_header(r, buf, len, &pos);
    if (rc == AM_OK && r->header_have == P2P_HEADER_SIZE)
        rc = take_payload(r, buf, len, &pos);
    if (rc == AM_OK && r->header_have == P2P_HEADER_SIZE &&
        r->payload_have == r->len) {
        rc = deliver(r, out);
        *got = rc == AM_OK;
    }
    *used = pos;
    return rc;
}
