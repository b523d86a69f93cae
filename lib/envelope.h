/*
 * Envelopes: one file per recipient per message, holding the message's
 * metadata sealed to the recipient and signed by the sender, followed by
 * the encrypted body.
 *
 *   offset  size  field
 *   0       6     "dm-env"
 *   6       1     0
 *   7       1     format version, 1
 *   8       8     key id of the recipient's key generation
 *   16      4     L, length of the sealed metadata, big-endian
 *   20      L     crypto_box_seal(signature || metadata, recipient key)
 *   20 + L  ...   the body in the stream format of crypto.h
 *
 * The signature is Ed25519 over "dm envelope v1", a NUL byte and the
 * metadata. The metadata is a sequence of fields, each a one-byte tag, a
 * four-byte big-endian length and the value; tags appear in increasing
 * order. dm(5) lists the tags.
 */
#ifndef DM_ENVELOPE_H
#define DM_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "err.h"
#include "keys.h"
#include "util.h"

#define DM_ENV_HEADER 20
#define DM_ENV_VERSION 1

/* Limits checked when sending and when reading. */
#define DM_SUBJECT_MAX 1024     /* bytes in a subject */
#define DM_RCPT_MAX 256         /* recipients of one message */
#define DM_TAGS_MAX 32          /* tags on one message */
#define DM_ATT_MAX 256          /* attachments of one message */
#define DM_ATT_NAME_MAX 1024    /* bytes in an attachment name as sent */
#define DM_TYPE_MAX 127         /* bytes in a MIME type */
#define DM_META_MAX (1 << 20)   /* bytes of encoded metadata */

struct dm_att_meta {
	char *name;             /* as the sender named it; no NUL inside */
	size_t name_len;
	char *type;             /* MIME type detected at send time */
	uint64_t size;          /* plaintext bytes */
	unsigned char key[DM_STREAM_KEYBYTES];
};

struct dm_meta {
	char id[DM_ID_LEN + 1];
	char thread[DM_ID_LEN + 1];
	char parent[DM_ID_LEN + 1];     /* "" unless a reply */
	char from[33];
	unsigned char signer[crypto_sign_PUBLICKEYBYTES];
	int64_t date_ms;
	struct dm_strv to;              /* as addressed: "bob", "@team" */
	struct dm_strv rcpt;            /* users the message was delivered to */
	char *subject;                  /* not NUL-free: use subject_len */
	size_t subject_len;
	int priority;
	struct dm_strv tags;
	unsigned char body_key[DM_STREAM_KEYBYTES];
	struct dm_att_meta *att;
	size_t natt;
};

/*
 * Encodes m into out. Returns 0, or DM_EX_DATAERR when a field breaks a
 * limit, with e set.
 */
int dm_meta_encode(const struct dm_meta *m, struct dm_buf *out,
    struct dm_err *e);

/*
 * Decodes n bytes of metadata into m, checking every field and limit.
 * Returns 0 or DM_EX_DATAERR with e set; m must be freed either way.
 */
int dm_meta_decode(const unsigned char *p, size_t n, struct dm_meta *m,
    struct dm_err *e);

/* Wipes the keys in m and frees what it owns. */
void dm_meta_free(struct dm_meta *m);

/*
 * Signs encoded metadata with the sender's key, producing the plaintext
 * that is sealed for every recipient (signature || metadata). Returns 0
 * or an exit code with e set.
 */
int dm_envelope_sign(const struct dm_buf *meta, const struct dm_seckey *key,
    struct dm_buf *signed_meta, struct dm_err *e);

/*
 * Builds the envelope header and sealed metadata for one recipient key
 * into out (cleared first). Returns 0 or an exit code with e set.
 */
int dm_envelope_seal(const struct dm_buf *signed_meta,
    const struct dm_pubkey *rcpt, struct dm_buf *out, struct dm_err *e);

/*
 * Parses the fixed header. Returns 0 or DM_EX_DATAERR with e set.
 */
int dm_envelope_parse_header(const unsigned char *p, size_t n,
    unsigned char kid[DM_KID_BYTES], uint32_t *sealed_len, struct dm_err *e);

/*
 * Reads the header and metadata of the envelope open on fd (from offset
 * 0), unseals it with the matching key of id, checks the signature
 * against the signing key named inside, and decodes it into m. On
 * success fd is positioned at the body. The caller must still check that
 * m->signer belongs to m->from. Returns 0, DM_EX_DATAERR when anything
 * fails verification, or another exit code, with e set naming what.
 */
int dm_envelope_open(int fd, const char *what, const struct dm_identity *id,
    struct dm_meta *m, struct dm_err *e);

/*
 * Checks and unseals an envelope's sealed part held in memory: the
 * pure-computation core of dm_envelope_open(), also used by the fuzzer.
 */
int dm_envelope_unseal(const unsigned char *sealed, size_t len,
    const struct dm_seckey *key, const char *what, struct dm_meta *m,
    struct dm_err *e);

#endif
