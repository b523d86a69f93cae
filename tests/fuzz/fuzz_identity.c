#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_identity.h"

void
fuzz_identity_make(struct dm_seckey *key, unsigned char seed_byte)
{
	/* The context, NUL included, that lib/keys.c hashes first. */
	static const unsigned char fpr_context[] = "dm key v1";
	unsigned char box_seed[crypto_box_SEEDBYTES];
	unsigned char sign_seed[crypto_sign_SEEDBYTES];
	crypto_generichash_state st;

	if (sodium_init() < 0)
		abort();
	memset(key, 0, sizeof(*key));
	memset(box_seed, 0x40 + seed_byte, sizeof(box_seed));
	memset(sign_seed, 0x80 + seed_byte, sizeof(sign_seed));
	if (crypto_box_seed_keypair(key->pub.box, key->box_sk, box_seed) != 0 ||
	    crypto_sign_seed_keypair(key->pub.sign, key->sign_sk,
	    sign_seed) != 0)
		abort();
	key->pub.created = 1796376615;

	crypto_generichash_init(&st, NULL, 0, DM_FPR_BYTES);
	crypto_generichash_update(&st, fpr_context, sizeof(fpr_context));
	crypto_generichash_update(&st, key->pub.box, sizeof(key->pub.box));
	crypto_generichash_update(&st, key->pub.sign, sizeof(key->pub.sign));
	crypto_generichash_final(&st, key->pub.fpr, DM_FPR_BYTES);
}
