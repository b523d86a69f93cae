/*
 * Key pairs, their publication in the spool, and trust in other users'
 * keys.
 *
 * Each identity has a chain of key generations. A generation is an
 * X25519 key pair (crypto_box, for encryption) and an Ed25519 key pair
 * (crypto_sign, for signatures). The secret halves live in
 * DM_HOME/USER.key (mode 0600, oldest first) so that messages encrypted
 * to a rotated key stay readable. The public halves are published in
 * SPOOL/keys/USER.pub, where every generation after the first carries a
 * signature by the one before it.
 *
 * Trust is pinned on first use in DM_HOME/known_keys, one line a user:
 * the name and the fingerprint of the newest accepted generation. A
 * published chain that extends the pinned generation with valid
 * signatures is accepted, and the pin moves forward. Any other change is
 * rejected until the user accepts it with dm-init --trust.
 */
#ifndef DM_KEYS_H
#define DM_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "err.h"
#include "spool.h"

#define DM_FPR_BYTES 32         /* fingerprint: BLAKE2b-256 of both keys */
#define DM_KID_BYTES 8          /* key id: first bytes of the fingerprint */
#define DM_KEYS_MAX 64          /* generations kept for one identity */

struct dm_pubkey {
	unsigned char box[crypto_box_PUBLICKEYBYTES];
	unsigned char sign[crypto_sign_PUBLICKEYBYTES];
	unsigned char fpr[DM_FPR_BYTES];
	int64_t created;        /* seconds since the epoch */
};

/* A user's published chain of public keys; keys[n - 1] is current. */
struct dm_pubchain {
	char user[33];
	struct dm_pubkey keys[DM_KEYS_MAX];
	size_t n;
};

struct dm_seckey {
	unsigned char box_sk[crypto_box_SECRETKEYBYTES];
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
	struct dm_pubkey pub;
};

/*
 * The acting identity's secret keys, in memory from sodium_malloc()
 * (guarded, locked where the system allows). keys[n - 1] is current.
 */
struct dm_identity {
	char user[33];
	struct dm_seckey *keys;
	size_t n;
};

/*
 * Loads the identity's secret keys from DM_HOME. Returns 0,
 * DM_EX_NOINPUT when the identity has no keys yet, DM_EX_NOPERM when the
 * key file or DM_HOME can be read or written by others, DM_EX_CONFIG
 * when the file is corrupt, or another exit code, with e set.
 */
int dm_keys_load_identity(const struct dm_spool *sp, struct dm_identity *id,
    struct dm_err *e);

/* Wipes and frees the secret keys. Safe on a zeroed identity. */
void dm_keys_free_identity(struct dm_identity *id);

/*
 * Creates the identity's first key generation, or with rotate a new one
 * signed by the current one, stores the secret keys and publishes the
 * chain. When the identity exists and rotate is 0, only republishes a
 * missing or outdated public key file. Stores 1 in *created when a new
 * generation was made. The identity is loaded into id. Returns 0 or an
 * exit code with e set.
 */
int dm_keys_init(const struct dm_spool *sp, int rotate, struct dm_identity *id,
    int *created, struct dm_err *e);

/*
 * Loads and verifies user's published key chain. On a system spool the
 * file must be owned by that user's uid. Returns 0, DM_EX_NOUSER when
 * the user has no published key, DM_EX_DATAERR when the chain is corrupt
 * or a signature fails, or another exit code, with e set.
 */
int dm_keys_load_public(const struct dm_spool *sp, const char *user,
    struct dm_pubchain *chain, struct dm_err *e);

/*
 * Checks chain against the pin in DM_HOME/known_keys, pins it on first
 * use and moves the pin along a signed rotation. Returns 0, or
 * DM_EX_DATAERR when the key changed without a signature from the pinned
 * one, with e set and a hint on how to accept it.
 */
int dm_keys_trust(const struct dm_spool *sp, const struct dm_pubchain *chain,
    struct dm_err *e);

/*
 * Reads user's pin from DM_HOME/known_keys into fpr. Returns 1 when user
 * is pinned, 0 when not.
 */
int dm_keys_pinned(const struct dm_spool *sp, const char *user,
    unsigned char fpr[DM_FPR_BYTES]);

/*
 * Pins user's current published key, replacing any earlier pin: the
 * deliberate acceptance of a changed key. Stores the fingerprint in fpr.
 * Returns 0 or an exit code with e set.
 */
int dm_keys_accept(const struct dm_spool *sp, const char *user,
    unsigned char fpr[DM_FPR_BYTES], struct dm_err *e);

/*
 * Checks that the identity's current key is the one published in the
 * spool, so that recipients can verify what it signs. Returns 0, or
 * DM_EX_CONFIG with e set and a hint to run dm-init.
 */
int dm_keys_check_published(const struct dm_spool *sp,
    const struct dm_identity *id, struct dm_err *e);

/*
 * Finds the generation in chain whose signing key is sign_pk. Returns it,
 * or NULL.
 */
const struct dm_pubkey *dm_keys_find_signer(const struct dm_pubchain *chain,
    const unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES]);

/* Finds the identity's generation whose key id is kid, or NULL. */
const struct dm_seckey *dm_keys_find_kid(const struct dm_identity *id,
    const unsigned char kid[DM_KID_BYTES]);

/*
 * Formats a fingerprint for people: 32 hexadecimal digits in groups of
 * four (the first 16 bytes). out must hold 40 bytes.
 */
void dm_keys_fpr_text(char out[40], const unsigned char fpr[DM_FPR_BYTES]);

#endif
