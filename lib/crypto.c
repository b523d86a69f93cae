#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "util.h"

/* Crockford's base32 alphabet in lower case: no i, l, o or u. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

int
dm_crypto_init(struct dm_err *e)
{
	if (sodium_init() < 0)
		return dm_err_set(e, DM_EX_SOFTWARE,
		    "cannot initialise libsodium");
	return 0;
}

static void
id_encode(char out[DM_ID_LEN + 1], const unsigned char bits[16])
{
	unsigned int acc = 0, nbits = 2;
	size_t i, o = 0;

	/* 128 bits are padded to 130 at the front: the first digit is 0-7. */
	for (i = 0; i < 16; i++) {
		acc = (acc << 8) | bits[i];
		nbits += 8;
		while (nbits >= 5) {
			nbits -= 5;
			out[o++] = id_alphabet[(acc >> nbits) & 31];
		}
	}
	out[o] = '\0';
}

void
dm_id_new(char out[DM_ID_LEN + 1])
{
	unsigned char bits[16];

	randombytes_buf(bits, sizeof(bits));
	id_encode(out, bits);
}

void
dm_id_derive(char out[DM_ID_LEN + 1], const char *sender, const char *key)
{
	static const unsigned char context[] = "dm batch message id v1";
	crypto_generichash_state st;
	unsigned char bits[16];

	crypto_generichash_init(&st, context, sizeof(context) - 1, sizeof(bits));
	crypto_generichash_update(&st, (const unsigned char *)sender,
	    strlen(sender) + 1);
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, bits, sizeof(bits));
	id_encode(out, bits);
}

int
dm_id_char(int c)
{
	return c != '\0' && strchr(id_alphabet, c) != NULL;
}

int
dm_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < DM_ID_LEN; i++)
		if (!dm_id_char((unsigned char)s[i]))
			return 0;
	return s[DM_ID_LEN] == '\0' && s[0] <= '7';
}

uint64_t
dm_stream_size(uint64_t n)
{
	uint64_t chunks = n / DM_CHUNK + 1;

	if (n > UINT64_MAX / 2)
		return UINT64_MAX;
	return DM_STREAM_HEADERBYTES + n + chunks * DM_STREAM_ABYTES;
}

int
dm_stream_writer_init(struct dm_stream_writer *w,
    const unsigned char key[DM_STREAM_KEYBYTES], dm_sink_fn sink, void *ctx,
    struct dm_err *e)
{
	unsigned char header[DM_STREAM_HEADERBYTES];

	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->ctx = ctx;
	w->plain = sodium_malloc(DM_CHUNK);
	w->cipher = malloc(DM_CHUNK + DM_STREAM_ABYTES);
	if (w->plain == NULL || w->cipher == NULL) {
		dm_stream_writer_free(w);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	crypto_secretstream_xchacha20poly1305_init_push(&w->state, header, key);
	return sink(ctx, header, sizeof(header), e);
}

static int
writer_emit(struct dm_stream_writer *w, unsigned char tag, struct dm_err *e)
{
	unsigned long long clen;

	crypto_secretstream_xchacha20poly1305_push(&w->state, w->cipher, &clen,
	    w->plain, w->fill, NULL, 0, tag);
	w->fill = 0;
	return w->sink(w->ctx, w->cipher, (size_t)clen, e);
}

int
dm_stream_writer_push(struct dm_stream_writer *w, const void *buf, size_t n,
    struct dm_err *e)
{
	const unsigned char *p = buf;
	size_t take;
	int rc;

	while (n > 0) {
		/*
		 * A full chunk is emitted only when more data follows, so
		 * the FINAL tag always goes on the last chunk.
		 */
		if (w->fill == DM_CHUNK) {
			rc = writer_emit(w, 0, e);
			if (rc != 0)
				return rc;
		}
		take = DM_CHUNK - w->fill;
		if (take > n)
			take = n;
		memcpy(w->plain + w->fill, p, take);
		w->fill += take;
		w->total += take;
		p += take;
		n -= take;
	}
	return 0;
}

int
dm_stream_writer_final(struct dm_stream_writer *w, struct dm_err *e)
{
	int rc;

	if (w->fill == DM_CHUNK) {
		rc = writer_emit(w, 0, e);
		if (rc != 0)
			return rc;
	}
	return writer_emit(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL, e);
}

void
dm_stream_writer_free(struct dm_stream_writer *w)
{
	sodium_memzero(&w->state, sizeof(w->state));
	if (w->plain != NULL)
		sodium_free(w->plain);
	free(w->cipher);
	w->plain = NULL;
	w->cipher = NULL;
}

int
dm_stream_decrypt(int fd, const unsigned char key[DM_STREAM_KEYBYTES],
    uint64_t expect_size, dm_sink_fn sink, void *ctx, uint64_t *size,
    const char *what, struct dm_err *e)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char header[DM_STREAM_HEADERBYTES];
	unsigned char *cipher, *plain;
	unsigned long long plen;
	unsigned char tag = 0, extra;
	uint64_t total = 0;
	ssize_t r;
	int rc = 0;

	r = dm_read_full(fd, header, sizeof(header));
	if (r < 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", what);
	if ((size_t)r < sizeof(header) ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key) != 0)
		return dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: truncated stream header", what);

	cipher = malloc(DM_CHUNK + DM_STREAM_ABYTES);
	plain = sodium_malloc(DM_CHUNK);
	if (cipher == NULL || plain == NULL) {
		rc = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		goto out;
	}

	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		r = dm_read_full(fd, cipher, DM_CHUNK + DM_STREAM_ABYTES);
		if (r < 0) {
			rc = dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s",
			    what);
			goto out;
		}
		if ((size_t)r < DM_STREAM_ABYTES ||
		    crypto_secretstream_xchacha20poly1305_pull(&st, plain, &plen,
		    &tag, cipher, (unsigned long long)r, NULL, 0) != 0) {
			rc = dm_err_set(e, DM_EX_DATAERR,
			    "verification failed: %s: %s", what,
			    r == 0 ? "stream is truncated" :
			    "chunk fails authentication");
			goto out;
		}
		if (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL &&
		    plen != DM_CHUNK) {
			rc = dm_err_set(e, DM_EX_DATAERR,
			    "verification failed: %s: stream is truncated", what);
			goto out;
		}
		total += plen;
		if (expect_size != UINT64_MAX && total > expect_size) {
			rc = dm_err_set(e, DM_EX_DATAERR,
			    "verification failed: %s: longer than recorded", what);
			goto out;
		}
		if (sink != NULL && plen > 0) {
			rc = sink(ctx, plain, (size_t)plen, e);
			if (rc != 0)
				goto out;
		}
	}

	r = dm_read_full(fd, &extra, 1);
	if (r != 0) {
		rc = r < 0 ? dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s",
		    what) : dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: data after end of stream", what);
		goto out;
	}
	if (expect_size != UINT64_MAX && total != expect_size) {
		rc = dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: shorter than recorded", what);
		goto out;
	}
	if (size != NULL)
		*size = total;
out:
	sodium_memzero(&st, sizeof(st));
	free(cipher);
	if (plain != NULL)
		sodium_free(plain);
	return rc;
}

char *
dm_hex(char *out, const unsigned char *in, size_t n)
{
	return sodium_bin2hex(out, n * 2 + 1, in, n);
}
