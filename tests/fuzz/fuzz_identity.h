/*
 * A fixed identity for the fuzz targets and their seed generator. Its
 * keys come from constant seeds, so envelopes sealed to it by the
 * generator can still be opened by a fuzz target built later.
 */
#ifndef FUZZ_IDENTITY_H
#define FUZZ_IDENTITY_H

#include "keys.h"

#define FUZZ_USER "fuzz"

/*
 * Fills key with the fixed X25519 and Ed25519 key pairs and their
 * fingerprint, computed as lib/keys.c computes it. seed_byte selects one
 * of several fixed identities (0 is the one the targets use). Calls
 * abort() when libsodium cannot be initialised.
 */
void fuzz_identity_make(struct dm_seckey *key, unsigned char seed_byte);

#endif
