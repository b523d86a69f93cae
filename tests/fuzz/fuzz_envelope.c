/*
 * Fuzzes the envelope reader: the fixed header, the metadata decoder and
 * the whole open path (header, unsealing, signature check, decoding) for
 * an envelope sealed to a fixed test identity.
 *
 * Every input is tried these ways:
 *   - as metadata: when dm_meta_decode() accepts it, dm_meta_encode() of
 *     the result must succeed and decode to the same fields, and without
 *     optional fields the encoding must equal the input byte for byte.
 *     The decoded fields are then signed and sealed to the test identity
 *     and must come back unchanged through dm_envelope_open().
 *   - as a fixed header, through dm_envelope_parse_header().
 *   - as a whole envelope file, through dm_envelope_open() (which calls
 *     dm_envelope_unseal()), read from a memory file.
 *   - when it starts with "seal", as the plaintext of a sealed header
 *     (signature, then metadata), which anyone can seal to a recipient
 *     because crypto_box_seal() is anonymous: dm_envelope_unseal() must
 *     reject it as dm_meta_decode() does, or for its signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "envelope.h"
#include "fuzz_check.h"
#include "fuzz_identity.h"

#define TAG_ATTACH 0x0d
#define TAG_OPTIONAL 0x80

static struct dm_seckey test_key;
static struct dm_identity test_identity;
static int envelope_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_identity_make(&test_key, 0);
	strcpy(test_identity.user, FUZZ_USER);
	test_identity.keys = &test_key;
	test_identity.n = 1;
	envelope_fd = memfd_create("envelope", MFD_CLOEXEC);
	FUZZ_CHECK(envelope_fd >= 0);
	return 0;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Returns 1 when well-formed metadata carries a field with an optional
 * tag, at the top level or inside an attachment. The decoder skips such
 * fields, so the encoding of the decoded result cannot contain them.
 */
static int
has_optional(const unsigned char *p, size_t n)
{
	size_t off = 0;
	uint32_t len;

	while (off + 5 <= n) {
		len = get_u32(p + off + 1);
		if (p[off] >= TAG_OPTIONAL)
			return 1;
		if (p[off] == TAG_ATTACH && has_optional(p + off + 5, len))
			return 1;
		off += 5 + (size_t)len;
	}
	return 0;
}

static void
check_same_strv(const struct dm_strv *a, const struct dm_strv *b)
{
	size_t i;

	FUZZ_CHECK(a->n == b->n);
	for (i = 0; i < a->n; i++)
		FUZZ_CHECK(strcmp(a->v[i], b->v[i]) == 0);
}

static void
check_same_meta(const struct dm_meta *a, const struct dm_meta *b)
{
	size_t i;

	FUZZ_CHECK(strcmp(a->id, b->id) == 0);
	FUZZ_CHECK(strcmp(a->thread, b->thread) == 0);
	FUZZ_CHECK(strcmp(a->parent, b->parent) == 0);
	FUZZ_CHECK(strcmp(a->from, b->from) == 0);
	FUZZ_CHECK(memcmp(a->signer, b->signer, sizeof(a->signer)) == 0);
	FUZZ_CHECK(a->date_ms == b->date_ms);
	check_same_strv(&a->to, &b->to);
	check_same_strv(&a->rcpt, &b->rcpt);
	FUZZ_CHECK(a->subject_len == b->subject_len);
	FUZZ_CHECK(a->subject_len == 0 ||
	    memcmp(a->subject, b->subject, a->subject_len) == 0);
	FUZZ_CHECK(a->priority == b->priority);
	check_same_strv(&a->tags, &b->tags);
	FUZZ_CHECK(memcmp(a->body_key, b->body_key, sizeof(a->body_key)) == 0);
	FUZZ_CHECK(a->natt == b->natt);
	for (i = 0; i < a->natt; i++) {
		const struct dm_att_meta *x = &a->att[i], *y = &b->att[i];

		FUZZ_CHECK(x->name_len == y->name_len);
		FUZZ_CHECK(x->name_len == 0 ||
		    memcmp(x->name, y->name, x->name_len) == 0);
		FUZZ_CHECK(strcmp(x->type, y->type) == 0);
		FUZZ_CHECK(x->size == y->size);
		FUZZ_CHECK(memcmp(x->key, y->key, sizeof(x->key)) == 0);
	}
}

/* Replaces the memory file's contents with n bytes at p. */
static void
load_file(const void *p, size_t n)
{
	FUZZ_CHECK(ftruncate(envelope_fd, 0) == 0);
	FUZZ_CHECK(n == 0 || pwrite(envelope_fd, p, n, 0) == (ssize_t)n);
}

/*
 * Signs and seals m, with the test identity as signer and recipient,
 * and checks that opening the envelope returns the same fields.
 */
static void
check_sealed_roundtrip(const struct dm_meta *m)
{
	struct dm_meta signed_by_test = *m, opened;
	struct dm_buf meta = {0}, signed_meta = {0}, env = {0};
	struct dm_err e = {0};
	unsigned char kid[DM_KID_BYTES];
	uint32_t sealed_len;

	memcpy(signed_by_test.signer, test_key.pub.sign,
	    sizeof(signed_by_test.signer));
	FUZZ_CHECK(dm_meta_encode(&signed_by_test, &meta, &e) == 0);
	FUZZ_CHECK(dm_envelope_sign(&meta, &test_key, &signed_meta, &e) == 0);
	FUZZ_CHECK(dm_envelope_seal(&signed_meta, &test_key.pub, &env, &e) == 0);

	FUZZ_CHECK(dm_envelope_parse_header((unsigned char *)env.data, env.len,
	    kid, &sealed_len, &e) == 0);
	FUZZ_CHECK(memcmp(kid, test_key.pub.fpr, DM_KID_BYTES) == 0);
	FUZZ_CHECK(sealed_len == env.len - DM_ENV_HEADER);

	load_file(env.data, env.len);
	if (dm_envelope_open(envelope_fd, "sealed", &test_identity, &opened,
	    &e) != 0) {
		fprintf(stderr, "open failed: %s\n", e.msg);
		FUZZ_CHECK(!"a freshly sealed envelope opens");
	}
	check_same_meta(&signed_by_test, &opened);
	FUZZ_CHECK(lseek(envelope_fd, 0, SEEK_CUR) == (off_t)env.len);

	dm_meta_free(&opened);
	dm_buf_free(&meta);
	dm_buf_free(&signed_meta);
	dm_buf_free(&env);
}

/* Checks that m encodes, and decodes again to the same fields. */
static void
check_encode_roundtrip(const struct dm_meta *m, const unsigned char *input,
    size_t n)
{
	struct dm_buf out = {0};
	struct dm_err e = {0};
	struct dm_meta again;

	if (dm_meta_encode(m, &out, &e) != 0) {
		fprintf(stderr, "encode failed: %s\n", e.msg);
		FUZZ_CHECK(!"decoded metadata encodes");
	}
	if (dm_meta_decode((unsigned char *)out.data, out.len, &again, &e) != 0) {
		fprintf(stderr, "decode of the encoding failed: %s\n", e.msg);
		FUZZ_CHECK(!"encoded metadata decodes");
	}
	check_same_meta(m, &again);
	if (input != NULL && !has_optional(input, n))
		FUZZ_CHECK(out.len == n && memcmp(out.data, input, n) == 0);
	dm_meta_free(&again);
	dm_buf_free(&out);
}

static void
fuzz_metadata(const uint8_t *data, size_t size)
{
	struct dm_meta m;
	struct dm_err e = {0};

	if (dm_meta_decode(data, size, &m, &e) == 0) {
		check_encode_roundtrip(&m, data, size);
		check_sealed_roundtrip(&m);
	} else {
		FUZZ_CHECK(e.code == DM_EX_DATAERR && e.msg[0] != '\0');
	}
	dm_meta_free(&m);
}

static void
fuzz_header(const uint8_t *data, size_t size)
{
	unsigned char kid[DM_KID_BYTES];
	uint32_t sealed_len = 0;
	struct dm_err e = {0};

	if (dm_envelope_parse_header(data, size, kid, &sealed_len, &e) == 0) {
		FUZZ_CHECK(size >= DM_ENV_HEADER);
		FUZZ_CHECK(memcmp(kid, data + 8, DM_KID_BYTES) == 0);
		FUZZ_CHECK(sealed_len > crypto_box_SEALBYTES + crypto_sign_BYTES);
		FUZZ_CHECK(sealed_len <=
		    crypto_box_SEALBYTES + crypto_sign_BYTES + DM_META_MAX);
	} else {
		FUZZ_CHECK(e.code == DM_EX_DATAERR && e.msg[0] != '\0');
	}
}

static void
fuzz_open(const uint8_t *data, size_t size)
{
	struct dm_meta m;
	struct dm_err e = {0};
	int code;

	load_file(data, size);
	code = dm_envelope_open(envelope_fd, "input", &test_identity, &m, &e);
	if (code == 0)
		check_encode_roundtrip(&m, NULL, 0);
	else
		FUZZ_CHECK(e.code == code && e.msg[0] != '\0');
	dm_meta_free(&m);
}

/*
 * Seals the input to the test identity and unseals it. Sealing costs
 * public-key operations, so only inputs that start with "seal" take this
 * path. The marker lies in the signature bytes, which no input can make
 * valid anyway.
 */
static void
fuzz_sealed_plaintext(const uint8_t *data, size_t size)
{
	size_t sealed_len = size + crypto_box_SEALBYTES;
	unsigned char *sealed;
	struct dm_meta m, direct;
	struct dm_err e = {0}, direct_e = {0};
	int code, direct_code;

	if (size < 4 || memcmp(data, "seal", 4) != 0)
		return;
	sealed = malloc(sealed_len);
	FUZZ_CHECK(sealed != NULL);
	FUZZ_CHECK(crypto_box_seal(sealed, data, size, test_key.pub.box) == 0);

	code = dm_envelope_unseal(sealed, sealed_len, &test_key, "input", &m, &e);
	FUZZ_CHECK(code == DM_EX_DATAERR);
	if (size <= crypto_sign_BYTES) {
		FUZZ_CHECK(strstr(e.msg, "too short") != NULL);
	} else {
		direct_code = dm_meta_decode(data + crypto_sign_BYTES,
		    size - crypto_sign_BYTES, &direct, &direct_e);
		if (direct_code != 0)
			FUZZ_CHECK(strstr(e.msg, "invalid message header") != NULL);
		else
			FUZZ_CHECK(strstr(e.msg, "bad signature") != NULL);
		dm_meta_free(&direct);
	}
	dm_meta_free(&m);
	free(sealed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_metadata(data, size);
	fuzz_header(data, size);
	fuzz_open(data, size);
	fuzz_sealed_plaintext(data, size);
	return 0;
}
