#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "names.h"

static const unsigned char magic[8] = { 'd', 'm', '-', 'e', 'n', 'v', 0,
	DM_ENV_VERSION };
static const unsigned char sign_context[] = "dm envelope v1";

/* Metadata field tags, in the order they must appear. */
enum {
	T_ID = 0x01,
	T_THREAD = 0x02,
	T_PARENT = 0x03,
	T_FROM = 0x04,
	T_SIGNER = 0x05,
	T_DATE = 0x06,
	T_TO = 0x07,
	T_RCPT = 0x08,
	T_SUBJECT = 0x09,
	T_PRIORITY = 0x0a,
	T_TAG = 0x0b,
	T_BODYKEY = 0x0c,
	T_ATTACH = 0x0d,
	T_OPTIONAL = 0x80,      /* tags from here on may be skipped */
};

/* Attachment sub-field tags. */
enum {
	A_NAME = 0x01,
	A_TYPE = 0x02,
	A_SIZE = 0x03,
	A_KEY = 0x04,
};

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_field(struct dm_buf *b, int tag, const void *v, size_t n)
{
	unsigned char hdr[5];

	hdr[0] = (unsigned char)tag;
	put_u32(hdr + 1, (uint32_t)n);
	dm_buf_add(b, hdr, sizeof(hdr));
	dm_buf_add(b, v, n);
}

static void
put_u64_field(struct dm_buf *b, int tag, uint64_t v)
{
	unsigned char be[8];
	int i;

	for (i = 0; i < 8; i++)
		be[i] = (unsigned char)(v >> (56 - 8 * i));
	put_field(b, tag, be, sizeof(be));
}

static void
put_str_field(struct dm_buf *b, int tag, const char *s)
{
	put_field(b, tag, s, strlen(s));
}

static int
valid_type(const char *s, size_t n)
{
	size_t i, slashes = 0;

	if (n == 0 || n > DM_TYPE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '/')
			slashes++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' ||
		    c == '_'))
			return 0;
	}
	return slashes == 1 && s[0] != '/' && s[n - 1] != '/';
}

/* Returns 1 when s is a user name or "@" followed by a group name. */
static int
valid_address(const char *s)
{
	return dm_name_valid(s[0] == '@' ? s + 1 : s);
}

int
dm_meta_encode(const struct dm_meta *m, struct dm_buf *out, struct dm_err *e)
{
	struct dm_buf sub = {0};
	size_t i;

	if (m->subject_len > DM_SUBJECT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "subject too long: %zu bytes: at most %d", m->subject_len,
		    DM_SUBJECT_MAX);
	if (m->rcpt.n > DM_RCPT_MAX || m->to.n > DM_RCPT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "too many recipients: at most %d", DM_RCPT_MAX);
	if (m->tags.n > DM_TAGS_MAX)
		return dm_err_set(e, DM_EX_DATAERR, "too many tags: at most %d",
		    DM_TAGS_MAX);
	if (m->natt > DM_ATT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "too many attachments: at most %d", DM_ATT_MAX);

	put_str_field(out, T_ID, m->id);
	put_str_field(out, T_THREAD, m->thread);
	if (m->parent[0] != '\0')
		put_str_field(out, T_PARENT, m->parent);
	put_str_field(out, T_FROM, m->from);
	put_field(out, T_SIGNER, m->signer, sizeof(m->signer));
	put_u64_field(out, T_DATE, (uint64_t)m->date_ms);
	for (i = 0; i < m->to.n; i++)
		put_str_field(out, T_TO, m->to.v[i]);
	for (i = 0; i < m->rcpt.n; i++)
		put_str_field(out, T_RCPT, m->rcpt.v[i]);
	put_field(out, T_SUBJECT, m->subject, m->subject_len);
	put_field(out, T_PRIORITY, &(unsigned char){ (unsigned char)m->priority },
	    1);
	for (i = 0; i < m->tags.n; i++)
		put_str_field(out, T_TAG, m->tags.v[i]);
	put_field(out, T_BODYKEY, m->body_key, sizeof(m->body_key));
	for (i = 0; i < m->natt; i++) {
		const struct dm_att_meta *a = &m->att[i];

		sub.len = 0;
		put_field(&sub, A_NAME, a->name, a->name_len);
		put_str_field(&sub, A_TYPE, a->type);
		put_u64_field(&sub, A_SIZE, a->size);
		put_field(&sub, A_KEY, a->key, sizeof(a->key));
		put_field(out, T_ATTACH, sub.data, sub.len);
	}
	if (sub.data != NULL)
		sodium_memzero(sub.data, sub.cap);
	dm_buf_free(&sub);

	if (out->oom)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (out->len > DM_META_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "message header too large: %zu bytes: at most %d", out->len,
		    DM_META_MAX);
	return 0;
}

/* A cursor over tag-length-value fields. */
struct tlv {
	const unsigned char *p;
	size_t n;
	int tag;
	const unsigned char *v;
	size_t len;
};

/* Advances to the next field. Returns 1, 0 at the end, -1 when malformed. */
static int
tlv_next(struct tlv *t)
{
	uint32_t len;

	if (t->n == 0)
		return 0;
	if (t->n < 5)
		return -1;
	len = get_u32(t->p + 1);
	if (len > t->n - 5)
		return -1;
	t->tag = t->p[0];
	t->v = t->p + 5;
	t->len = len;
	t->p += 5 + len;
	t->n -= 5 + len;
	return 1;
}

static char *
copy_value(const struct tlv *t)
{
	char *s = malloc(t->len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, t->v, t->len);
	s[t->len] = '\0';
	return s;
}

static int
get_u64(const struct tlv *t, uint64_t *v)
{
	size_t i;

	if (t->len != 8)
		return -1;
	*v = 0;
	for (i = 0; i < 8; i++)
		*v = (*v << 8) | t->v[i];
	return 0;
}

static int
get_id(const struct tlv *t, char out[DM_ID_LEN + 1])
{
	if (t->len != DM_ID_LEN)
		return -1;
	memcpy(out, t->v, DM_ID_LEN);
	out[DM_ID_LEN] = '\0';
	return dm_id_valid(out) ? 0 : -1;
}

static int
decode_attachment(const struct tlv *outer, struct dm_att_meta *a)
{
	struct tlv t = { .p = outer->v, .n = outer->len };
	int last = 0, rc, seen = 0;

	while ((rc = tlv_next(&t)) == 1) {
		if (t.tag <= last && t.tag < T_OPTIONAL)
			return -1;
		last = t.tag;
		switch (t.tag) {
		case A_NAME:
			if (t.len > DM_ATT_NAME_MAX || memchr(t.v, 0, t.len) != NULL)
				return -1;
			a->name = copy_value(&t);
			a->name_len = t.len;
			if (a->name == NULL)
				return -1;
			break;
		case A_TYPE:
			if (!valid_type((const char *)t.v, t.len))
				return -1;
			a->type = copy_value(&t);
			if (a->type == NULL)
				return -1;
			break;
		case A_SIZE:
			if (get_u64(&t, &a->size) != 0 || a->size > INT64_MAX)
				return -1;
			break;
		case A_KEY:
			if (t.len != sizeof(a->key))
				return -1;
			memcpy(a->key, t.v, t.len);
			break;
		default:
			if (t.tag < T_OPTIONAL)
				return -1;
			continue;
		}
		seen |= 1 << t.tag;
	}
	if (rc < 0 || seen != (1 << A_NAME | 1 << A_TYPE | 1 << A_SIZE | 1 << A_KEY))
		return -1;
	return 0;
}

static int
add_value(struct dm_strv *l, const struct tlv *t, int (*valid)(const char *))
{
	char *s;
	int rc;

	if (t->len == 0 || t->len > 128 || memchr(t->v, 0, t->len) != NULL)
		return -1;
	s = copy_value(t);
	if (s == NULL)
		return -1;
	rc = valid(s) ? dm_strv_add(l, s) : -1;
	free(s);
	return rc;
}

/* Decodes one top-level field into m. Returns 0 or -1. */
static int
decode_field(const struct tlv *t, struct dm_meta *m)
{
	uint64_t v;
	struct dm_att_meta *grown;

	switch (t->tag) {
	case T_ID:
		return get_id(t, m->id);
	case T_THREAD:
		return get_id(t, m->thread);
	case T_PARENT:
		return get_id(t, m->parent);
	case T_FROM:
		if (t->len == 0 || t->len > DM_NAME_MAX ||
		    memchr(t->v, 0, t->len) != NULL)
			return -1;
		memcpy(m->from, t->v, t->len);
		m->from[t->len] = '\0';
		return dm_name_valid(m->from) ? 0 : -1;
	case T_SIGNER:
		if (t->len != sizeof(m->signer))
			return -1;
		memcpy(m->signer, t->v, t->len);
		return 0;
	case T_DATE:
		if (get_u64(t, &v) != 0 || v > INT64_MAX)
			return -1;
		m->date_ms = (int64_t)v;
		return 0;
	case T_TO:
		return m->to.n < DM_RCPT_MAX ? add_value(&m->to, t, valid_address) :
		    -1;
	case T_RCPT:
		return m->rcpt.n < DM_RCPT_MAX ?
		    add_value(&m->rcpt, t, dm_name_valid) : -1;
	case T_SUBJECT:
		if (t->len > DM_SUBJECT_MAX || memchr(t->v, 0, t->len) != NULL)
			return -1;
		m->subject = copy_value(t);
		m->subject_len = t->len;
		return m->subject != NULL ? 0 : -1;
	case T_PRIORITY:
		if (t->len != 1 || t->v[0] > DM_PRIO_URGENT)
			return -1;
		m->priority = t->v[0];
		return 0;
	case T_TAG:
		return m->tags.n < DM_TAGS_MAX ?
		    add_value(&m->tags, t, dm_tag_valid) : -1;
	case T_BODYKEY:
		if (t->len != sizeof(m->body_key))
			return -1;
		memcpy(m->body_key, t->v, t->len);
		return 0;
	case T_ATTACH:
		if (m->natt == DM_ATT_MAX)
			return -1;
		grown = realloc(m->att, (m->natt + 1) * sizeof(*m->att));
		if (grown == NULL)
			return -1;
		m->att = grown;
		memset(&m->att[m->natt], 0, sizeof(m->att[0]));
		m->natt++;
		return decode_attachment(t, &m->att[m->natt - 1]);
	default:
		return t->tag >= T_OPTIONAL ? 0 : -1;
	}
}

int
dm_meta_decode(const unsigned char *p, size_t n, struct dm_meta *m,
    struct dm_err *e)
{
	static const int repeatable[] = { T_TO, T_RCPT, T_TAG, T_ATTACH };
	struct tlv t = { .p = p, .n = n };
	unsigned long seen = 0;
	int last = 0, rc;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (n > DM_META_MAX)
		return dm_err_set(e, DM_EX_DATAERR, "message header too large");
	while ((rc = tlv_next(&t)) == 1) {
		int again = t.tag == last;

		for (i = 0; again && i < sizeof(repeatable) / sizeof(int); i++)
			if (t.tag == repeatable[i])
				again = 0;
		if (t.tag < last || again)
			return dm_err_set(e, DM_EX_DATAERR,
			    "invalid message header: field 0x%02x out of order",
			    t.tag);
		last = t.tag;
		if (decode_field(&t, m) != 0)
			return dm_err_set(e, DM_EX_DATAERR,
			    "invalid message header: field 0x%02x", t.tag);
		if (t.tag < T_OPTIONAL)
			seen |= 1ul << t.tag;
	}
	if (rc < 0)
		return dm_err_set(e, DM_EX_DATAERR,
		    "invalid message header: truncated field");
	for (i = T_ID; i <= T_BODYKEY; i++) {
		if (i == T_PARENT || i == T_RCPT || i == T_TAG)
			continue;
		if (!(seen & (1ul << i)))
			return dm_err_set(e, DM_EX_DATAERR,
			    "invalid message header: field 0x%02zx missing", i);
	}
	if (m->parent[0] == '\0' && strcmp(m->thread, m->id) != 0)
		return dm_err_set(e, DM_EX_DATAERR,
		    "invalid message header: thread of a new message must be "
		    "its id");
	return 0;
}

void
dm_meta_free(struct dm_meta *m)
{
	size_t i;

	for (i = 0; i < m->natt; i++) {
		free(m->att[i].name);
		free(m->att[i].type);
		sodium_memzero(m->att[i].key, sizeof(m->att[i].key));
	}
	free(m->att);
	free(m->subject);
	dm_strv_free(&m->to);
	dm_strv_free(&m->rcpt);
	dm_strv_free(&m->tags);
	sodium_memzero(m->body_key, sizeof(m->body_key));
	memset(m, 0, sizeof(*m));
}

static void
sign_input(crypto_sign_state *st, const unsigned char *meta, size_t n)
{
	crypto_sign_init(st);
	crypto_sign_update(st, sign_context, sizeof(sign_context));
	crypto_sign_update(st, meta, n);
}

int
dm_envelope_sign(const struct dm_buf *meta, const struct dm_seckey *key,
    struct dm_buf *signed_meta, struct dm_err *e)
{
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_state st;

	/*
	 * Ed25519ph: the state hashes the input, so the signature covers
	 * the context and the whole metadata without copying it.
	 */
	sign_input(&st, (const unsigned char *)meta->data, meta->len);
	crypto_sign_final_create(&st, sig, NULL, key->sign_sk);
	signed_meta->len = 0;
	dm_buf_add(signed_meta, sig, sizeof(sig));
	dm_buf_add(signed_meta, meta->data, meta->len);
	if (signed_meta->oom)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	return 0;
}

int
dm_envelope_seal(const struct dm_buf *signed_meta, const struct dm_pubkey *rcpt,
    struct dm_buf *out, struct dm_err *e)
{
	size_t sealed_len = signed_meta->len + crypto_box_SEALBYTES;
	unsigned char len[4], *sealed;

	sealed = malloc(sealed_len);
	if (sealed == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (crypto_box_seal(sealed, (const unsigned char *)signed_meta->data,
	    signed_meta->len, rcpt->box) != 0) {
		free(sealed);
		return dm_err_set(e, DM_EX_DATAERR,
		    "cannot encrypt to the key of the recipient");
	}

	out->len = 0;
	dm_buf_add(out, magic, sizeof(magic));
	dm_buf_add(out, rcpt->fpr, DM_KID_BYTES);
	put_u32(len, (uint32_t)sealed_len);
	dm_buf_add(out, len, sizeof(len));
	dm_buf_add(out, sealed, sealed_len);
	free(sealed);
	if (out->oom)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	return 0;
}

int
dm_envelope_parse_header(const unsigned char *p, size_t n,
    unsigned char kid[DM_KID_BYTES], uint32_t *sealed_len, struct dm_err *e)
{
	uint32_t len;

	if (n < DM_ENV_HEADER || memcmp(p, magic, 7) != 0)
		return dm_err_set(e, DM_EX_DATAERR, "not a dm envelope");
	if (p[7] != DM_ENV_VERSION)
		return dm_err_set(e, DM_EX_DATAERR,
		    "unknown envelope version %u: this dm reads version %d",
		    p[7], DM_ENV_VERSION);
	memcpy(kid, p + 8, DM_KID_BYTES);
	len = get_u32(p + 16);
	if (len <= crypto_box_SEALBYTES + crypto_sign_BYTES ||
	    len > crypto_box_SEALBYTES + crypto_sign_BYTES + DM_META_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "invalid envelope: sealed header of %u bytes", len);
	*sealed_len = len;
	return 0;
}

int
dm_envelope_unseal(const unsigned char *sealed, size_t len,
    const struct dm_seckey *key, const char *what, struct dm_meta *m,
    struct dm_err *e)
{
	unsigned char *plain;
	crypto_sign_state st;
	size_t plen;
	int code = 0;

	memset(m, 0, sizeof(*m));
	if (len <= crypto_box_SEALBYTES + crypto_sign_BYTES)
		return dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: sealed header too short", what);
	plen = len - crypto_box_SEALBYTES;
	plain = malloc(plen);
	if (plain == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (crypto_box_seal_open(plain, sealed, len, key->pub.box,
	    key->box_sk) != 0) {
		code = dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: cannot decrypt with the "
		    "recipient's key", what);
		goto out;
	}
	code = dm_meta_decode(plain + crypto_sign_BYTES,
	    plen - crypto_sign_BYTES, m, e);
	if (code != 0) {
		dm_err_set(e, code, "verification failed: %s: %s", what,
		    "invalid message header");
		goto out;
	}
	sign_input(&st, plain + crypto_sign_BYTES, plen - crypto_sign_BYTES);
	if (crypto_sign_final_verify(&st, plain, m->signer) != 0)
		code = dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: bad signature", what);
out:
	sodium_memzero(plain, plen);
	free(plain);
	return code;
}

int
dm_envelope_open(int fd, const char *what, const struct dm_identity *id,
    struct dm_meta *m, struct dm_err *e)
{
	unsigned char hdr[DM_ENV_HEADER], kid[DM_KID_BYTES], *sealed;
	const struct dm_seckey *key;
	uint32_t len;
	ssize_t r;
	int code;

	memset(m, 0, sizeof(*m));
	if (lseek(fd, 0, SEEK_SET) != 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", what);
	r = dm_read_full(fd, hdr, sizeof(hdr));
	if (r < 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", what);
	code = dm_envelope_parse_header(hdr, (size_t)r, kid, &len, e);
	if (code != 0) {
		char reason[sizeof(e->msg)];

		memcpy(reason, e->msg, sizeof(reason));
		return dm_err_set(e, code, "verification failed: %s: %s", what,
		    reason);
	}
	key = dm_keys_find_kid(id, kid);
	if (key == NULL)
		return dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: not encrypted to any key of %s",
		    what, id->user);

	sealed = malloc(len);
	if (sealed == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	r = dm_read_full(fd, sealed, len);
	if (r < 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", what);
	else if ((size_t)r != len)
		code = dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: truncated", what);
	else
		code = dm_envelope_unseal(sealed, len, key, what, m, e);
	free(sealed);
	return code;
}
