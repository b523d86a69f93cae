/*
 * Cryptographic building blocks on top of libsodium: message ids,
 * encodings, and the chunked crypto_secretstream_xchacha20poly1305
 * format used for bodies and attachments.
 *
 * Stream format: a 24-byte secretstream header, then chunks. Every chunk
 * contains DM_CHUNK plaintext bytes and is DM_CHUNK + 17 bytes long,
 * except the last, which contains 0 to DM_CHUNK - 1 bytes and carries the
 * FINAL tag. A
 * plaintext of n bytes therefore takes exactly dm_stream_size(n) bytes,
 * and truncation, reordering or any changed byte fails authentication.
 */
#ifndef DM_CRYPTO_H
#define DM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "err.h"

#define DM_CHUNK 65536
#define DM_STREAM_KEYBYTES crypto_secretstream_xchacha20poly1305_KEYBYTES
#define DM_STREAM_HEADERBYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define DM_STREAM_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

/* Message ids: 128 random bits in 26 lower-case base32 characters. */
#define DM_ID_LEN 26

/* Initialises libsodium. Returns 0 or an exit code with e set. */
int dm_crypto_init(struct dm_err *e);

/* Stores a new random message id and a terminating NUL in out. */
void dm_id_new(char out[DM_ID_LEN + 1]);

/*
 * Stores in out the id derived from a caller's idempotency key: the same
 * sender and key always give the same id.
 */
void dm_id_derive(char out[DM_ID_LEN + 1], const char *sender, const char *key);

/* Returns 1 when s is a well-formed message id. */
int dm_id_valid(const char *s);

/* Returns 1 when c is a character of the message id alphabet. */
int dm_id_char(int c);

/*
 * Encrypted size of a plaintext of n bytes in the stream format. Returns
 * UINT64_MAX when the size does not fit.
 */
uint64_t dm_stream_size(uint64_t n);

/*
 * Receives bytes produced by a stream writer or reader. Returns 0 to go
 * on, or an exit code with e set to stop.
 */
typedef int (*dm_sink_fn)(void *ctx, const void *buf, size_t n,
    struct dm_err *e);

/* Encrypts a stream, calling sink with the encrypted bytes. */
struct dm_stream_writer {
	crypto_secretstream_xchacha20poly1305_state state;
	unsigned char *plain;   /* DM_CHUNK bytes, sodium_malloc'd */
	unsigned char *cipher;  /* DM_CHUNK + ABYTES bytes */
	size_t fill;
	uint64_t total;
	dm_sink_fn sink;
	void *ctx;
};

/*
 * Starts a stream under key and emits its header. Returns 0 or an exit
 * code with e set.
 */
int dm_stream_writer_init(struct dm_stream_writer *w,
    const unsigned char key[DM_STREAM_KEYBYTES], dm_sink_fn sink, void *ctx,
    struct dm_err *e);
/* Adds plaintext. Returns 0 or the sink's code. */
int dm_stream_writer_push(struct dm_stream_writer *w, const void *buf,
    size_t n, struct dm_err *e);
/* Emits the final chunk. Returns 0 or the sink's code. */
int dm_stream_writer_final(struct dm_stream_writer *w, struct dm_err *e);
/* Wipes and frees the writer's state, also after a failure. */
void dm_stream_writer_free(struct dm_stream_writer *w);

/*
 * Decrypts the stream read from fd at its current offset, calling sink
 * with plaintext. The stream must end exactly at end of file. When
 * expect_size is not UINT64_MAX, the plaintext must have that size. The
 * plaintext size is stored in *size when size is not NULL. Returns 0,
 * DM_EX_DATAERR when the stream fails authentication or is truncated,
 * or another exit code with e set. what names the stream in messages.
 */
int dm_stream_decrypt(int fd, const unsigned char key[DM_STREAM_KEYBYTES],
    uint64_t expect_size, dm_sink_fn sink, void *ctx, uint64_t *size,
    const char *what, struct dm_err *e);

/*
 * Lower-case hexadecimal of n bytes into out (2n + 1 bytes). Returns out.
 */
char *dm_hex(char *out, const unsigned char *in, size_t n);

#endif
