#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keys.h"
#include "names.h"
#include "util.h"

#define SECRET_MAGIC "dm-secret-key 1"
#define PUBLIC_MAGIC "dm-public-key 1"
#define KEYFILE_MAX 65536
#define B64 sodium_base64_VARIANT_ORIGINAL

static const unsigned char fpr_context[] = "dm key v1";
static const unsigned char cert_context[] = "dm key rotation v1";

static void
fingerprint(struct dm_pubkey *k)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, DM_FPR_BYTES);
	crypto_generichash_update(&st, fpr_context, sizeof(fpr_context));
	crypto_generichash_update(&st, k->box, sizeof(k->box));
	crypto_generichash_update(&st, k->sign, sizeof(k->sign));
	crypto_generichash_final(&st, k->fpr, DM_FPR_BYTES);
}

void
dm_keys_fpr_text(char out[40], const unsigned char fpr[DM_FPR_BYTES])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = ' ';
		out[o++] = digits[fpr[i] >> 4];
		out[o++] = digits[fpr[i] & 15];
	}
	out[o] = '\0';
}

/* The statement a generation's predecessor signs to certify it. */
static void
cert_message(unsigned char *msg, size_t *len, const char *user,
    const struct dm_pubkey *k)
{
	size_t o = 0, ulen = strlen(user);
	int i;

	memcpy(msg + o, cert_context, sizeof(cert_context));
	o += sizeof(cert_context);
	memcpy(msg + o, user, ulen + 1);
	o += ulen + 1;
	for (i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)((uint64_t)k->created >> (i * 8));
	memcpy(msg + o, k->box, sizeof(k->box));
	o += sizeof(k->box);
	memcpy(msg + o, k->sign, sizeof(k->sign));
	o += sizeof(k->sign);
	*len = o;
}

#define CERT_MSG_MAX (sizeof(cert_context) + DM_NAME_MAX + 1 + 8 + 64)

static char *
secret_path(const struct dm_spool *sp)
{
	return dm_strf("%s/%s.key", sp->home, sp->user);
}

/* DM_HOME and the key file must be closed to group and others. */
static int
check_private(const char *path, int want_dir, uid_t uid, struct dm_err *e)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot open %s", path);
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dm_err_set(e, DM_EX_CONFIG, "not a %s: %s",
		    want_dir ? "directory" : "regular file", path);
	if (st.st_uid != uid)
		return dm_err_set(e, DM_EX_NOPERM, "not owned by you: %s", path);
	if (st.st_mode & 077)
		return dm_err_set(e, DM_EX_NOPERM,
		    "%s is accessible by others: %s: run chmod %s %s",
		    want_dir ? "key directory" : "secret key file", path,
		    want_dir ? "700" : "600", path);
	return 0;
}

static int
b64_decode(unsigned char *out, size_t outlen, const char *in)
{
	size_t got;

	if (sodium_base642bin(out, outlen, in, strlen(in), NULL, &got, NULL,
	    B64) != 0 || got != outlen)
		return -1;
	return 0;
}

static void
b64_encode(struct dm_buf *b, const unsigned char *in, size_t n)
{
	char out[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(out, sizeof(out), in, n, B64);
	dm_buf_adds(b, out);
}

static int
parse_int64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < 0)
		return -1;
	*v = x;
	return 0;
}

/* Splits line into at most max space-separated fields. */
static size_t
split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " ", &save); tok != NULL && n < max;
	    tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	return tok != NULL ? max + 1 : n;
}

static int
derive_secret(struct dm_seckey *k, const unsigned char seed[32])
{
	unsigned char ed_pk[crypto_sign_PUBLICKEYBYTES];

	crypto_scalarmult_base(k->pub.box, k->box_sk);
	if (crypto_sign_seed_keypair(ed_pk, k->sign_sk, seed) != 0)
		return -1;
	memcpy(k->pub.sign, ed_pk, sizeof(ed_pk));
	fingerprint(&k->pub);
	return 0;
}

/* Parses the secret key file held in data (sodium_malloc'd by caller). */
static int
parse_secret(char *data, const char *path, const char *user,
    struct dm_identity *id, struct dm_err *e)
{
	char *line, *save = NULL, *f[5];
	unsigned char *seed;
	size_t lineno = 0, nf;
	int code = 0;

	seed = sodium_malloc(32);
	id->keys = sodium_allocarray(DM_KEYS_MAX, sizeof(struct dm_seckey));
	if (seed == NULL || id->keys == NULL) {
		if (seed != NULL)
			sodium_free(seed);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	sodium_mlock(id->keys, DM_KEYS_MAX * sizeof(struct dm_seckey));

	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		nf = split_fields(line, f, 4);
		if (lineno == 1 && nf == 2 && strcmp(f[0], "dm-secret-key") == 0 &&
		    strcmp(f[1], "1") == 0)
			continue;
		if (lineno == 2 && nf == 2 && strcmp(f[0], "user") == 0 &&
		    strcmp(f[1], user) == 0)
			continue;
		if (lineno > 2 && nf == 4 && strcmp(f[0], "key") == 0 &&
		    id->n < DM_KEYS_MAX) {
			struct dm_seckey *k = &id->keys[id->n];

			if (parse_int64(f[1], &k->pub.created) == 0 &&
			    b64_decode(k->box_sk, sizeof(k->box_sk), f[2]) == 0 &&
			    b64_decode(seed, 32, f[3]) == 0 &&
			    derive_secret(k, seed) == 0) {
				id->n++;
				continue;
			}
		}
		code = dm_err_set(e, DM_EX_CONFIG,
		    "corrupt secret key file: %s: line %zu", path, lineno);
		break;
	}
	if (code == 0 && id->n == 0)
		code = dm_err_set(e, DM_EX_CONFIG,
		    "corrupt secret key file: %s: no keys", path);
	sodium_free(seed);
	return code;
}

int
dm_keys_load_identity(const struct dm_spool *sp, struct dm_identity *id,
    struct dm_err *e)
{
	struct stat st;
	char *path, *data = NULL;
	ssize_t r;
	int fd = -1, code;

	memset(id, 0, sizeof(*id));
	snprintf(id->user, sizeof(id->user), "%s", sp->user);
	path = secret_path(sp);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");

	code = check_private(sp->home, 1, sp->uid, e);
	if (code == 0)
		code = check_private(path, 0, sp->uid, e);
	if (code == DM_EX_NOINPUT)
		dm_err_set(e, code, "no keys for %s in %s: run dm-init", sp->user,
		    sp->home);
	if (code != 0)
		goto out;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		code = dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot open %s", path);
		goto out;
	}
	if (st.st_size > KEYFILE_MAX) {
		code = dm_err_set(e, DM_EX_CONFIG, "corrupt secret key file: %s",
		    path);
		goto out;
	}
	data = sodium_malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		goto out;
	}
	r = dm_read_full(fd, data, (size_t)st.st_size);
	if (r < 0) {
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", path);
		goto out;
	}
	data[r] = '\0';
	code = parse_secret(data, path, sp->user, id, e);
out:
	if (data != NULL) {
		sodium_memzero(data, (size_t)st.st_size + 1);
		sodium_free(data);
	}
	if (fd >= 0)
		close(fd);
	if (code != 0)
		dm_keys_free_identity(id);
	free(path);
	return code;
}

void
dm_keys_free_identity(struct dm_identity *id)
{
	if (id->keys != NULL) {
		sodium_munlock(id->keys, DM_KEYS_MAX * sizeof(struct dm_seckey));
		sodium_free(id->keys);
	}
	id->keys = NULL;
	id->n = 0;
}

const struct dm_seckey *
dm_keys_find_kid(const struct dm_identity *id,
    const unsigned char kid[DM_KID_BYTES])
{
	size_t i;

	for (i = id->n; i > 0; i--)
		if (sodium_memcmp(id->keys[i - 1].pub.fpr, kid, DM_KID_BYTES) == 0)
			return &id->keys[i - 1];
	return NULL;
}

const struct dm_pubkey *
dm_keys_find_signer(const struct dm_pubchain *chain,
    const unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES])
{
	size_t i;

	for (i = chain->n; i > 0; i--)
		if (memcmp(chain->keys[i - 1].sign, sign_pk,
		    crypto_sign_PUBLICKEYBYTES) == 0)
			return &chain->keys[i - 1];
	return NULL;
}

/* Builds the text of the secret key file into a sodium_malloc'd buffer. */
static char *
secret_text(const struct dm_identity *id, size_t *len)
{
	unsigned char seed[32];
	struct dm_buf b = {0};
	char *out;
	size_t i;

	dm_buf_addf(&b, "%s\nuser %s\n", SECRET_MAGIC, id->user);
	for (i = 0; i < id->n; i++) {
		/* The Ed25519 secret key begins with its seed. */
		memcpy(seed, id->keys[i].sign_sk, sizeof(seed));
		dm_buf_addf(&b, "key %" PRId64 " ", id->keys[i].pub.created);
		b64_encode(&b, id->keys[i].box_sk, sizeof(id->keys[i].box_sk));
		dm_buf_addc(&b, ' ');
		b64_encode(&b, seed, sizeof(seed));
		dm_buf_addc(&b, '\n');
	}
	sodium_memzero(seed, sizeof(seed));
	out = b.oom ? NULL : sodium_malloc(b.len + 1);
	if (out != NULL) {
		memcpy(out, b.data, b.len + 1);
		*len = b.len;
	}
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	dm_buf_free(&b);
	return out;
}

/* Builds the public key file: each generation certified by the previous. */
static char *
public_text(const struct dm_identity *id)
{
	unsigned char msg[CERT_MSG_MAX], sig[crypto_sign_BYTES];
	struct dm_buf b = {0};
	size_t i, mlen;

	dm_buf_addf(&b, "%s\nuser %s\n", PUBLIC_MAGIC, id->user);
	for (i = 0; i < id->n; i++) {
		const struct dm_pubkey *k = &id->keys[i].pub;

		dm_buf_addf(&b, "key %" PRId64 " ", k->created);
		b64_encode(&b, k->box, sizeof(k->box));
		dm_buf_addc(&b, ' ');
		b64_encode(&b, k->sign, sizeof(k->sign));
		dm_buf_addc(&b, ' ');
		if (i == 0) {
			dm_buf_addc(&b, '-');
		} else {
			cert_message(msg, &mlen, id->user, k);
			crypto_sign_detached(sig, NULL, msg, mlen,
			    id->keys[i - 1].sign_sk);
			b64_encode(&b, sig, sizeof(sig));
		}
		dm_buf_addc(&b, '\n');
	}
	if (b.oom) {
		dm_buf_free(&b);
		return NULL;
	}
	return dm_buf_take(&b);
}

static int
new_generation(struct dm_identity *id, struct dm_err *e)
{
	unsigned char *seed;
	struct dm_seckey *k;

	if (id->keys == NULL) {
		id->keys = sodium_allocarray(DM_KEYS_MAX, sizeof(*id->keys));
		if (id->keys == NULL)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		sodium_mlock(id->keys, DM_KEYS_MAX * sizeof(*id->keys));
	}
	if (id->n == DM_KEYS_MAX)
		return dm_err_set(e, DM_EX_CONFIG,
		    "too many key generations for %s: at most %d", id->user,
		    DM_KEYS_MAX);
	seed = sodium_malloc(32);
	if (seed == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	k = &id->keys[id->n];
	randombytes_buf(k->box_sk, sizeof(k->box_sk));
	randombytes_buf(seed, 32);
	k->pub.created = dm_now_ms() / 1000;
	derive_secret(k, seed);
	sodium_free(seed);
	id->n++;
	return 0;
}

static int
write_secret(const struct dm_spool *sp, const struct dm_identity *id,
    struct dm_err *e)
{
	char *path, *text;
	size_t len = 0;
	int code;

	path = secret_path(sp);
	text = secret_text(id, &len);
	if (path == NULL || text == NULL) {
		free(path);
		if (text != NULL)
			sodium_free(text);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	code = dm_file_replace(path, text, len, 0600, e);
	sodium_memzero(text, len);
	sodium_free(text);
	free(path);
	return code;
}

static int
publish(const struct dm_spool *sp, const struct dm_identity *id,
    struct dm_err *e)
{
	char *path, *text, *old = NULL;
	int code;

	path = dm_spool_path(sp, "keys/%s.pub", id->user);
	text = public_text(id);
	if (path == NULL || text == NULL) {
		free(path);
		free(text);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	if (dm_file_read(path, KEYFILE_MAX, &old, NULL, DM_EX_NOINPUT, NULL) == 0 &&
	    strcmp(old, text) == 0 &&
	    dm_spool_check_owner(sp, path, id->user, NULL) == 0) {
		code = 0;
	} else {
		code = dm_file_replace(path, text, strlen(text), 0644, e);
		if (code == DM_EX_NOPERM)
			dm_err_hint(e, "another user may own %s", path);
	}
	free(old);
	free(text);
	free(path);
	return code;
}

static int
make_home(const struct dm_spool *sp, struct dm_err *e)
{
	char *copy, *p;

	copy = strdup(sp->home);
	if (copy == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			int code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
			    "cannot create %s", copy);

			free(copy);
			return code;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(sp->home, 0700) != 0 && errno != EEXIST)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot create %s",
		    sp->home);
	return check_private(sp->home, 1, sp->uid, e);
}

int
dm_keys_init(const struct dm_spool *sp, int rotate, struct dm_identity *id,
    int *created, struct dm_err *e)
{
	int code;

	*created = 0;
	code = make_home(sp, e);
	if (code != 0)
		return code;
	code = dm_keys_load_identity(sp, id, e);
	if (code == DM_EX_NOINPUT) {
		memset(id, 0, sizeof(*id));
		snprintf(id->user, sizeof(id->user), "%s", sp->user);
		rotate = 1;
	} else if (code != 0) {
		return code;
	}

	if (rotate) {
		code = new_generation(id, e);
		if (code == 0)
			code = write_secret(sp, id, e);
		if (code != 0)
			return code;
		*created = 1;
	}
	code = dm_spool_create_user(sp, e);
	if (code == 0)
		code = publish(sp, id, e);
	/* Pin our own key so that our sent copies verify against it. */
	if (code == 0)
		code = dm_keys_accept(sp, sp->user, NULL, e);
	return code;
}

static int
parse_public(char *data, const char *path, const char *user,
    struct dm_pubchain *chain, struct dm_err *e)
{
	unsigned char msg[CERT_MSG_MAX], sig[crypto_sign_BYTES];
	char *line, *save = NULL, *f[6];
	size_t lineno = 0, nf, mlen;

	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct dm_pubkey *k = &chain->keys[chain->n];

		lineno++;
		nf = split_fields(line, f, 5);
		if (lineno == 1 && nf == 2 && strcmp(f[0], "dm-public-key") == 0 &&
		    strcmp(f[1], "1") == 0)
			continue;
		if (lineno == 2 && nf == 2 && strcmp(f[0], "user") == 0 &&
		    strcmp(f[1], user) == 0)
			continue;
		if (lineno < 3 || nf != 5 || strcmp(f[0], "key") != 0 ||
		    chain->n == DM_KEYS_MAX || parse_int64(f[1], &k->created) != 0 ||
		    b64_decode(k->box, sizeof(k->box), f[2]) != 0 ||
		    b64_decode(k->sign, sizeof(k->sign), f[3]) != 0)
			return dm_err_set(e, DM_EX_DATAERR,
			    "corrupt public key file: %s: line %zu", path, lineno);
		fingerprint(k);

		if (chain->n == 0 ? strcmp(f[4], "-") != 0 :
		    b64_decode(sig, sizeof(sig), f[4]) != 0)
			return dm_err_set(e, DM_EX_DATAERR,
			    "corrupt public key file: %s: line %zu", path, lineno);
		if (chain->n > 0) {
			cert_message(msg, &mlen, user, k);
			if (crypto_sign_verify_detached(sig, msg, mlen,
			    chain->keys[chain->n - 1].sign) != 0)
				return dm_err_set(e, DM_EX_DATAERR,
				    "invalid public key file: %s: line %zu: the "
				    "key is not signed by the one before it",
				    path, lineno);
		}
		chain->n++;
	}
	if (chain->n == 0)
		return dm_err_set(e, DM_EX_DATAERR,
		    "corrupt public key file: %s: no keys", path);
	return 0;
}

int
dm_keys_load_public(const struct dm_spool *sp, const char *user,
    struct dm_pubchain *chain, struct dm_err *e)
{
	char *path, *data = NULL;
	int code;

	memset(chain, 0, sizeof(*chain));
	if (!dm_name_valid(user))
		return dm_err_set(e, DM_EX_NOUSER, "unknown user: %s", user);
	snprintf(chain->user, sizeof(chain->user), "%s", user);
	path = dm_spool_path(sp, "keys/%s.pub", user);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");

	code = dm_file_read(path, KEYFILE_MAX, &data, NULL, DM_EX_NOUSER, e);
	if (code == DM_EX_NOUSER) {
		dm_err_set(e, code, "unknown user: %s: no public key in %s/keys",
		    user, sp->root);
		dm_err_hint(e, "%s must run dm-init first", user);
	}
	if (code == 0 && dm_spool_check_owner(sp, path, user, e) != 0) {
		/* A key file someone else planted does not count as a key. */
		code = dm_err_set(e, DM_EX_NOUSER,
		    "unknown user: %s: %s is not owned by %s, ignoring it", user,
		    path, user);
	}
	if (code == 0)
		code = parse_public(data, path, user, chain, e);
	free(data);
	free(path);
	return code;
}

/* known_keys: "USER HEX-FINGERPRINT" lines. */
static char *
known_path(const struct dm_spool *sp)
{
	return dm_strf("%s/known_keys", sp->home);
}

/*
 * Rewrites known_keys with user pinned to fpr. The lock file serialises
 * writers so that concurrent pins of different users are all kept.
 */
static int
write_pin(const struct dm_spool *sp, const char *user,
    const unsigned char fpr[DM_FPR_BYTES], struct dm_err *e)
{
	char hex[DM_FPR_BYTES * 2 + 1], *path, *lockpath, *data = NULL;
	char *line, *save = NULL;
	struct dm_buf b = {0};
	size_t ulen = strlen(user);
	int lockfd, code;

	path = known_path(sp);
	lockpath = dm_strf("%s/.known_keys.lock", sp->home);
	if (path == NULL || lockpath == NULL) {
		free(path);
		free(lockpath);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
		code = dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot lock %s",
		    lockpath);
		goto out;
	}
	if (dm_file_read(path, 1 << 22, &data, NULL, DM_EX_NOINPUT, NULL) == 0) {
		for (line = strtok_r(data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, user, ulen) == 0 && line[ulen] == ' ')
				continue;
			dm_buf_addf(&b, "%s\n", line);
		}
	}
	dm_buf_addf(&b, "%s %s\n", user, dm_hex(hex, fpr, DM_FPR_BYTES));
	code = b.oom ? dm_err_set(e, DM_EX_SOFTWARE, "out of memory") :
	    dm_file_replace(path, b.data, b.len, 0600, e);
out:
	if (lockfd >= 0)
		close(lockfd);
	dm_buf_free(&b);
	free(data);
	free(path);
	free(lockpath);
	return code;
}

int
dm_keys_pinned(const struct dm_spool *sp, const char *user,
    unsigned char fpr[DM_FPR_BYTES])
{
	char *path, *data = NULL, *line, *save = NULL;
	size_t ulen = strlen(user), got;
	int found = 0;

	path = known_path(sp);
	if (path == NULL)
		return 0;
	if (dm_file_read(path, 1 << 22, &data, NULL, DM_EX_NOINPUT, NULL) == 0) {
		for (line = strtok_r(data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, user, ulen) != 0 || line[ulen] != ' ')
				continue;
			found = sodium_hex2bin(fpr, DM_FPR_BYTES, line + ulen + 1,
			    strlen(line + ulen + 1), NULL, &got, NULL) == 0 &&
			    got == DM_FPR_BYTES;
		}
	}
	free(data);
	free(path);
	return found;
}

int
dm_keys_trust(const struct dm_spool *sp, const struct dm_pubchain *chain,
    struct dm_err *e)
{
	const unsigned char *current = chain->keys[chain->n - 1].fpr;
	unsigned char pinned[DM_FPR_BYTES];
	char now[40], was[40];
	size_t i;

	if (!dm_keys_pinned(sp, chain->user, pinned)) {
		/* First use. A DM_HOME that cannot be written keeps no pin. */
		write_pin(sp, chain->user, current, NULL);
		return 0;
	}
	if (memcmp(pinned, current, DM_FPR_BYTES) == 0)
		return 0;
	for (i = 0; i + 1 < chain->n; i++) {
		if (memcmp(chain->keys[i].fpr, pinned, DM_FPR_BYTES) == 0) {
			/* Every later generation was verified as signed. */
			write_pin(sp, chain->user, current, NULL);
			return 0;
		}
	}
	dm_keys_fpr_text(now, current);
	dm_keys_fpr_text(was, pinned);
	return dm_err_set(e, DM_EX_DATAERR,
	    "key of %s changed: %s/keys/%s.pub has %s, known_keys has %s; "
	    "if %s really made a new key, accept it with: dm-init --trust %s",
	    chain->user, sp->root, chain->user, now, was, chain->user,
	    chain->user);
}

int
dm_keys_accept(const struct dm_spool *sp, const char *user,
    unsigned char fpr[DM_FPR_BYTES], struct dm_err *e)
{
	struct dm_pubchain chain;
	int code;

	code = dm_keys_load_public(sp, user, &chain, e);
	if (code != 0)
		return code;
	if (fpr != NULL)
		memcpy(fpr, chain.keys[chain.n - 1].fpr, DM_FPR_BYTES);
	return write_pin(sp, user, chain.keys[chain.n - 1].fpr, e);
}

int
dm_keys_check_published(const struct dm_spool *sp,
    const struct dm_identity *id, struct dm_err *e)
{
	struct dm_pubchain chain;
	struct dm_err le = {0};

	if (dm_keys_load_public(sp, id->user, &chain, &le) != 0 ||
	    memcmp(chain.keys[chain.n - 1].fpr, id->keys[id->n - 1].pub.fpr,
	    DM_FPR_BYTES) != 0)
		return dm_err_set(e, DM_EX_CONFIG,
		    "your published key does not match your secret key: %s/keys/"
		    "%s.pub: run dm-init to publish it", sp->root, id->user);
	return 0;
}
