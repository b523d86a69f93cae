/*
 * Writes the seed corpus of fuzz_envelope into the directory given as
 * the only argument: metadata encodings, envelopes sealed to the fixed
 * test identity, plaintexts for the target to seal, and a header.
 * Envelopes differ from run to run because crypto_box_seal() uses a
 * fresh ephemeral key each time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "fuzz_identity.h"
#include "names.h"

static const char *seed_dir;
static struct dm_seckey test_key, other_key;

static void
write_seed(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

static void
add_attachment(struct dm_meta *m, const char *name, const char *type,
    uint64_t size)
{
	struct dm_att_meta *a;

	m->att = realloc(m->att, (m->natt + 1) * sizeof(*m->att));
	if (m->att == NULL)
		exit(1);
	a = &m->att[m->natt++];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->name_len = strlen(name);
	a->type = strdup(type);
	a->size = size;
	memset(a->key, 0x33 + (int)m->natt, sizeof(a->key));
}

/* Fills m with a new message from the test identity to bob. */
static void
base_meta(struct dm_meta *m, const char *id, const char *subject)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->id, id);
	strcpy(m->thread, id);
	strcpy(m->from, FUZZ_USER);
	memcpy(m->signer, test_key.pub.sign, sizeof(m->signer));
	m->date_ms = 1796376615123;
	dm_strv_add(&m->to, "bob");
	dm_strv_add(&m->rcpt, "bob");
	m->subject = strdup(subject);
	m->subject_len = strlen(subject);
	m->priority = DM_PRIO_NORMAL;
	memset(m->body_key, 0x11, sizeof(m->body_key));
}

/*
 * Writes m, signed by the test identity and sealed to key, as an
 * envelope with a short body named "env-NAME".
 */
static void
write_envelope(const char *name, const struct dm_meta *m,
    const struct dm_seckey *key)
{
	struct dm_buf meta = {0}, signed_meta = {0}, env = {0};
	struct dm_err e = {0};
	char file[256];

	if (dm_meta_encode(m, &meta, &e) != 0 ||
	    dm_envelope_sign(&meta, &test_key, &signed_meta, &e) != 0 ||
	    dm_envelope_seal(&signed_meta, &key->pub, &env, &e) != 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", name, e.msg);
		exit(1);
	}
	/* The body stream does not affect opening, but real files carry it. */
	dm_buf_add(&env, "body", 4);
	snprintf(file, sizeof(file), "env-%s", name);
	write_seed(file, env.data, env.len);
	dm_buf_free(&meta);
	dm_buf_free(&signed_meta);
	dm_buf_free(&env);
}

/* Writes m as metadata named "meta-NAME" and as an envelope. */
static void
write_message(const char *name, const struct dm_meta *m)
{
	struct dm_buf meta = {0};
	struct dm_err e = {0};
	char file[256];

	if (dm_meta_encode(m, &meta, &e) != 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", name, e.msg);
		exit(1);
	}
	snprintf(file, sizeof(file), "meta-%s", name);
	write_seed(file, meta.data, meta.len);
	dm_buf_free(&meta);
	write_envelope(name, m, &test_key);
}

/* Writes m as metadata followed by an optional field, which readers skip. */
static void
write_with_optional(const char *name, const struct dm_meta *m)
{
	static const unsigned char field[] = { 0x90, 0, 0, 0, 3, 'n', 'e', 'w' };
	struct dm_buf meta = {0};
	struct dm_err e = {0};

	if (dm_meta_encode(m, &meta, &e) != 0)
		exit(1);
	dm_buf_add(&meta, field, sizeof(field));
	write_seed(name, meta.data, meta.len);
	dm_buf_free(&meta);
}

/*
 * Writes inputs that fuzz_envelope seals as plaintext: "seal" and zero
 * bytes in place of the signature, then the metadata of m, whole
 * ("seal-NAME") and cut short ("seal-NAME-cut"), and a plaintext too
 * short to hold a signature ("seal-short").
 */
static void
write_plaintexts(const char *name, const struct dm_meta *m)
{
	struct dm_buf meta = {0}, plain = {0};
	struct dm_err e = {0};
	unsigned char signature[crypto_sign_BYTES] = { 's', 'e', 'a', 'l' };
	char file[256];

	if (dm_meta_encode(m, &meta, &e) != 0)
		exit(1);
	dm_buf_add(&plain, signature, sizeof(signature));
	dm_buf_add(&plain, meta.data, meta.len);
	snprintf(file, sizeof(file), "seal-%s", name);
	write_seed(file, plain.data, plain.len);
	snprintf(file, sizeof(file), "seal-%s-cut", name);
	write_seed(file, plain.data, plain.len - 7);
	write_seed("seal-short", signature, 24);
	dm_buf_free(&meta);
	dm_buf_free(&plain);
}

int
main(int argc, char **argv)
{
	static const unsigned char header[DM_ENV_HEADER] = {
		'd', 'm', '-', 'e', 'n', 'v', 0, DM_ENV_VERSION,
		1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 200,
	};
	struct dm_meta m;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 64;
	}
	seed_dir = argv[1];
	fuzz_identity_make(&test_key, 0);
	fuzz_identity_make(&other_key, 1);

	base_meta(&m, "0abcdefghjkmnpqrstvwxyz012", "");
	write_message("minimal", &m);
	write_with_optional("meta-optional", &m);
	write_envelope("other-key", &m, &other_key);
	dm_meta_free(&m);

	base_meta(&m, "1bcdefghjkmnpqrstvwxyz0123", "Re: weekly report");
	strcpy(m.thread, "0abcdefghjkmnpqrstvwxyz012");
	strcpy(m.parent, "0abcdefghjkmnpqrstvwxyz012");
	dm_strv_add(&m.to, "@team");
	dm_strv_add(&m.rcpt, "carol");
	dm_strv_add(&m.tags, "work");
	dm_strv_add(&m.tags, "q4");
	m.priority = DM_PRIO_URGENT;
	write_message("reply", &m);
	write_plaintexts("reply", &m);
	dm_meta_free(&m);

	base_meta(&m, "7zzzzzzzzzzzzzzzzzzzzzzzzz",
	    "\x1b]0;title\x07 caf\xc3\xa9 \xe2\x80\xae");
	add_attachment(&m, "report.pdf", "application/pdf", 52000);
	add_attachment(&m, "../../.profile", "text/plain", 0);
	write_message("attachments", &m);
	write_with_optional("meta-attachments-optional", &m);
	dm_meta_free(&m);

	write_seed("header", header, sizeof(header));
	return 0;
}
