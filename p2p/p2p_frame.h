/*
 * p2p_frame.h - Bitcoin P2P v1 message framing.
 *
 * Every message is a 24-byte header, then the payload:
 *   magic[4] | command[12] | length u32 LE | checksum[4]
 * where the command is printable ASCII (0x20..0x7e) padded with NUL bytes
 * to 12, and the checksum is the first 4 bytes of SHA-256(SHA-256(payload)).
 *
 * The reader (p2p_reader) takes a byte stream in pieces of any size, down
 * to one byte, and gives whole messages out.  It refuses a stream, with an
 * error code and one sentence (p2p_reader_why), as early as the stream
 * shows the fault, so the caller can close the connection at once:
 *   - a magic byte that is not the chain's: at that very byte
 *     (AM_ERR_MALFORMED);
 *   - a command with a byte outside 0x20..0x7e, an empty command, or a
 *     non-NUL byte after the NUL padding (AM_ERR_MALFORMED);
 *   - a length above the reader's maximum (AM_ERR_RANGE), as soon as the
 *     header is whole, before any payload byte is kept;
 *   - a payload whose checksum differs (AM_ERR_MALFORMED).
 * A refused stream stays refused: every later p2p_reader_feed returns the
 * same code and consumes nothing (the bytes after a framing error mean
 * nothing).  The reader keeps at most one header and one payload, and the
 * payload's buffer grows with the bytes that arrive, not with the length
 * the header claims.
 */
#ifndef P2P_FRAME_H
#define P2P_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#define P2P_HEADER_SIZE 24
#define P2P_COMMAND_SIZE 12
/* Bitcoin Core's MAX_PROTOCOL_MESSAGE_LENGTH: the default maximum. */
#define P2P_MAX_PAYLOAD_DEFAULT 4000000u

/* A whole message, as the reader hands it out. */
typedef struct p2p_frame {
    char command[P2P_COMMAND_SIZE + 1];  /* NUL-terminated */
    const uint8_t *payload;              /* valid until the next feed */
    uint32_t len;
} p2p_frame;

typedef struct p2p_reader {
    uint8_t magic[4];
    uint32_t max_len;
    uint8_t header[P2P_HEADER_SIZE];
    size_t header_have;       /* bytes of header[] received */
    uint32_t len;             /* the current message's payload length */
    uint8_t *payload;         /* payload bytes received, [0..payload_have) */
    size_t payload_have, payload_cap;
    int delivered;            /* the last feed handed out a message */
    int err;                  /* AM_OK, or the code the stream was refused with */
    char why[96];
} p2p_reader;

/* A reader for `chain` with the default maximum payload length.  Holds
 * no memory until a payload arrives. */
void p2p_reader_init(p2p_reader *r, const am_chain *chain);
/* The largest payload length accepted (0 allows only empty payloads);
 * takes effect from the next header.  Does not change a refused reader. */
void p2p_reader_set_max(p2p_reader *r, uint32_t max_len);
/* Frees the payload buffer; the reader may be initialised again. */
void p2p_reader_free(p2p_reader *r);

/*
 * Consume buf[0..len) up to the end of the next whole message.  *used gets
 * the bytes consumed (the caller feeds the rest again); *got is 1 when a
 * whole message is in *out (its payload stays valid until the next call),
 * else 0.  Returns AM_OK; AM_ERR_NOMEM when the payload's buffer could not
 * grow (the reader is not refused: feed the bytes after *used again);
 * AM_ERR_INVAL for NULL arguments; or the refusal's code, with *used
 * counting the bytes up to and including the faulty one.
 */
int p2p_reader_feed(p2p_reader *r, const uint8_t *buf, size_t len, size_t *used,
                    p2p_frame *out, int *got);

/* The sentence of the refusal ("" while the stream is fine); never NULL. */
const char *p2p_reader_why(const p2p_reader *r);

/* Bytes the reader holds now: header bytes plus the payload's buffer. */
size_t p2p_reader_buffered(const p2p_reader *r);

/*
 * 1 when `command` is 1..12 bytes of printable ASCII (0x20..0x7e), the
 * commands the writer sends and the reader accepts.
 */
int p2p_command_valid(const char *command);

/*
 * Frame `payload[0..len)` as the message `command` of the network with
 * `magic` into out[0..cap): AM_OK with *out_len = 24 + len; AM_ERR_INVAL
 * for an invalid command, len above UINT32_MAX or cap too small (nothing
 * written then); AM_ERR_INTERNAL if libcrypto fails.
 */
int p2p_frame_build(const uint8_t magic[4], const char *command,
                    const uint8_t *payload, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len);

/* The 4-byte checksum of payload[0..len): AM_OK or AM_ERR_INTERNAL. */
int p2p_checksum(const uint8_t *payload, size_t len, uint8_t sum[4]);

#endif
