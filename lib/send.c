#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group.h"
#include "names.h"
#include "send.h"

/* One drop box that gets a copy. */
struct target {
	char user[33];
	struct dm_pubkey key;
	char *box;
	char *tmp;              /* temporary envelope while writing */
	int fd;
	int failed;
	int self;
};

struct job {
	const struct dm_spool *sp;
	const struct dm_identity *me;
	const struct dm_send_req *req;
	struct dm_send_result *res;
	struct target *t;       /* recipients, then the sender's copy last */
	size_t nt;
	int self_rcpt;          /* the sender named themselves */
	char **staged;          /* encrypted attachments in the sender's box */
	size_t nstaged;
	mode_t mode;            /* of files written into drop boxes */
};

static void
add_failure(struct dm_send_result *res, const char *rcpt,
    const struct dm_err *err)
{
	struct dm_send_failure *grown;

	grown = realloc(res->fail, (res->nfail + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	res->fail = grown;
	grown[res->nfail].rcpt = strdup(rcpt);
	memcpy(&grown[res->nfail].err, err, sizeof(*err));
	res->nfail++;
}

static void
fail(struct job *j, const char *rcpt, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
fail(struct job *j, const char *rcpt, int code, const char *fmt, ...)
{
	struct dm_err err;
	va_list ap;

	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	add_failure(j->res, rcpt, &err);
}

static struct target *
new_target(struct job *j, const char *user)
{
	struct target *grown, *t;

	grown = realloc(j->t, (j->nt + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	j->t = grown;
	t = &j->t[j->nt++];
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	snprintf(t->user, sizeof(t->user), "%s", user);
	return t;
}

static int
has_target(const struct job *j, const char *user)
{
	size_t i;

	for (i = 0; i < j->nt; i++)
		if (strcmp(j->t[i].user, user) == 0)
			return 1;
	return 0;
}

/* The drop box must exist, and on a system spool belong to its user. */
static int
check_box(struct job *j, struct target *t, struct dm_err *e)
{
	struct stat st;

	t->box = dm_spool_path(j->sp, "boxes/%s", t->user);
	if (t->box == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (lstat(t->box, &st) != 0 || !S_ISDIR(st.st_mode))
		return dm_err_set(e, DM_EX_NOUSER,
		    "unknown user: %s: no drop box in %s/boxes", t->user,
		    j->sp->root);
	return dm_spool_check_owner(j->sp, t->box, t->user, e);
}

static void
add_user(struct job *j, const char *user, const char *as_typed)
{
	struct dm_pubchain chain;
	struct dm_err err = {0};
	struct target *t;

	if (strcmp(user, j->me->user) == 0) {
		j->self_rcpt = 1;
		return;
	}
	if (has_target(j, user))
		return;
	if (!dm_name_valid(user)) {
		fail(j, as_typed, DM_EX_NOUSER,
		    "unknown user: %s: dm user names match [a-z_][a-z0-9_.-]*",
		    user);
		return;
	}
	if (dm_keys_load_public(j->sp, user, &chain, &err) != 0 ||
	    dm_keys_trust(j->sp, &chain, &err) != 0) {
		add_failure(j->res, as_typed, &err);
		return;
	}
	t = new_target(j, user);
	if (t == NULL) {
		fail(j, as_typed, DM_EX_SOFTWARE, "out of memory");
		return;
	}
	t->key = chain.keys[chain.n - 1];
	if (check_box(j, t, &err) != 0) {
		add_failure(j->res, as_typed, &err);
		free(t->box);
		j->nt--;
	}
}

static void
add_group(struct job *j, const char *addr)
{
	struct dm_group g;
	struct dm_err err = {0};
	size_t i, others = 0;

	if (!dm_name_valid(addr + 1)) {
		fail(j, addr, DM_EX_DATAERR, "invalid group name: %s", addr);
		return;
	}
	if (dm_group_load(j->sp, addr + 1, &g, &err) != 0) {
		add_failure(j->res, addr, &err);
		return;
	}
	/* The sender is never sent a copy of their own group message. */
	for (i = 0; i < g.members.n; i++) {
		if (strcmp(g.members.v[i], j->me->user) == 0)
			continue;
		others++;
		add_user(j, g.members.v[i], g.members.v[i]);
	}
	if (others == 0)
		fail(j, addr, DM_EX_NOUSER, "group has no other members: %s", addr);
	dm_group_free(&g);
}

static void
expand_recipients(struct job *j)
{
	size_t i;

	for (i = 0; i < j->req->to.n; i++) {
		const char *addr = j->req->to.v[i];

		if (addr[0] == '@')
			add_group(j, addr);
		else if (!dm_name_plausible(addr))
			fail(j, addr, DM_EX_DATAERR,
			    "invalid user name: %s: names are [a-z_][a-z0-9_.-],"
			    " at most %d characters", addr, DM_NAME_MAX);
		else
			add_user(j, addr, addr);
	}
}

/* Returns 1 when addr, as the sender typed it, was rejected. */
static int
address_failed(const struct job *j, const char *addr)
{
	size_t i;

	for (i = 0; i < j->res->nfail; i++)
		if (j->res->fail[i].rcpt != NULL &&
		    strcmp(j->res->fail[i].rcpt, addr) == 0)
			return 1;
	return 0;
}

static int
build_meta(struct job *j, struct dm_meta *m, struct dm_err *e)
{
	const struct dm_send_req *req = j->req;
	const struct dm_seckey *key = &j->me->keys[j->me->n - 1];
	size_t i;

	if (req->id != NULL)
		snprintf(m->id, sizeof(m->id), "%s", req->id);
	else
		dm_id_new(m->id);
	snprintf(m->thread, sizeof(m->thread), "%s",
	    req->thread != NULL ? req->thread : m->id);
	snprintf(m->parent, sizeof(m->parent), "%s",
	    req->parent != NULL ? req->parent : "");
	snprintf(m->from, sizeof(m->from), "%s", j->me->user);
	memcpy(m->signer, key->pub.sign, sizeof(m->signer));
	m->date_ms = dm_now_ms();
	m->priority = req->priority;
	randombytes_buf(m->body_key, sizeof(m->body_key));

	/*
	 * A rejected address is left out because it got no copy. A name
	 * that is not a valid user name would also make every recipient's
	 * reader reject the header.
	 */
	for (i = 0; i < req->to.n; i++)
		if (!address_failed(j, req->to.v[i]) &&
		    dm_strv_add(&m->to, req->to.v[i]) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	for (i = 0; i < j->nt; i++)
		if (!j->t[i].self && dm_strv_add(&m->rcpt, j->t[i].user) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (j->self_rcpt && dm_strv_add(&m->rcpt, j->me->user) != 0)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	for (i = 0; i < req->tags.n; i++) {
		if (!dm_tag_valid(req->tags.v[i]))
			return dm_err_set(e, DM_EX_DATAERR, "invalid tag: %s",
			    req->tags.v[i]);
		if (!dm_strv_has(&m->tags, req->tags.v[i]) &&
		    dm_strv_add(&m->tags, req->tags.v[i]) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	if (memchr(req->subject, '\0', req->subject_len) != NULL)
		return dm_err_set(e, DM_EX_DATAERR,
		    "invalid subject: contains a NUL byte");
	m->subject = malloc(req->subject_len + 1);
	if (m->subject == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	memcpy(m->subject, req->subject, req->subject_len);
	m->subject[req->subject_len] = '\0';
	m->subject_len = req->subject_len;
	return 0;
}

/* Writes encrypted bytes to one file. */
static int
sink_fd(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	int fd = *(int *)ctx;

	if (dm_write_full(fd, buf, n) != 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot write");
	return 0;
}

static int
encrypt_stream(int in, const void *head, size_t nhead, int out,
    const unsigned char key[DM_STREAM_KEYBYTES], uint64_t *size,
    const char *what, struct dm_err *e)
{
	struct dm_stream_writer w;
	unsigned char *buf;
	ssize_t n;
	int code;

	buf = malloc(DM_CHUNK);
	if (buf == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = dm_stream_writer_init(&w, key, sink_fd, &out, e);
	if (code == 0 && nhead > 0)
		code = dm_stream_writer_push(&w, head, nhead, e);
	while (code == 0) {
		n = read(in, buf, DM_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			code = dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot read %s",
			    what);
			break;
		}
		if (n == 0)
			break;
		code = dm_stream_writer_push(&w, buf, (size_t)n, e);
	}
	if (code == 0)
		code = dm_stream_writer_final(&w, e);
	*size = w.total;
	dm_stream_writer_free(&w);
	free(buf);
	return code;
}

/*
 * Sets e for an input file that cannot be opened and returns 66 whatever
 * errnum is, even EACCES, because the file is the sender's input and not
 * the spool or the keys.
 */
static int
input_error(struct dm_err *e, int errnum, const char *what, const char *path)
{
	return dm_err_set(e, DM_EX_NOINPUT, "%s %s: %s", what, path,
	    strerror(errnum));
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/*
 * Opens one attachment, detects its type and encrypts it into a hidden
 * file in the sender's drop box. Fills a. Returns 0 or an exit code.
 */
static int
stage_attachment(struct job *j, struct dm_typer *typer,
    const struct dm_send_att *in, struct dm_att_meta *a, struct dm_err *e)
{
	const char *label = strcmp(in->path, "-") == 0 ? "standard input" :
	    in->path;
	char type[DM_TYPE_BUFSIZE], *box, *tmp = NULL;
	unsigned char *head = NULL;
	size_t nhead = 0;
	struct stat st;
	int fd, out, code;

	a->name = strdup(in->name != NULL ? in->name :
	    strcmp(in->path, "-") == 0 ? "stdin" : base_name(in->path));
	if (a->name == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	a->name_len = strlen(a->name);
	if (a->name_len > DM_ATT_NAME_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "attachment name too long: %zu bytes: at most %d",
		    a->name_len, DM_ATT_NAME_MAX);

	fd = strcmp(in->path, "-") == 0 ? dup(STDIN_FILENO) :
	    open(in->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return input_error(e, errno, "cannot open attachment", label);
	if (fstat(fd, &st) != 0) {
		code = input_error(e, errno, "cannot attach", label);
		close(fd);
		return code;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return input_error(e, EISDIR, "cannot attach", label);
	}

	if (S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0) {
		code = dm_type_fd(typer, fd, a->name, type, e);
	} else {
		/* A pipe: keep its first bytes for libmagic and the stream. */
		head = malloc(dm_type_bytes_wanted());
		if (head == NULL) {
			close(fd);
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		}
		code = 0;
		while (nhead < dm_type_bytes_wanted()) {
			ssize_t n = read(fd, head + nhead,
			    dm_type_bytes_wanted() - nhead);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				code = dm_err_sys(e, errno, DM_EX_NOINPUT,
				    "cannot read %s", label);
				break;
			}
			if (n == 0)
				break;
			nhead += (size_t)n;
		}
		if (code == 0)
			code = dm_type_buffer(typer, head, nhead, a->name, type, e);
	}
	if (code == 0) {
		a->type = strdup(type);
		if (a->type == NULL)
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}

	box = dm_spool_path(j->sp, "boxes/%s", j->me->user);
	out = code == 0 && box != NULL ? dm_tmpfile(box, j->mode, &tmp) : -1;
	if (code == 0 && out < 0)
		code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create file in %s", box != NULL ? box : "drop box");
	if (code == 0) {
		randombytes_buf(a->key, sizeof(a->key));
		code = encrypt_stream(fd, head, nhead, out, a->key, &a->size,
		    label, e);
		if (code == 0 && fsync(out) != 0)
			code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s",
			    tmp);
	}
	if (out >= 0 && close(out) != 0 && code == 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s", tmp);
	if (code != 0 && tmp != NULL) {
		unlink(tmp);
		free(tmp);
		tmp = NULL;
	}
	if (tmp != NULL)
		j->staged[j->nstaged++] = tmp;
	free(box);
	free(head);
	close(fd);
	return code;
}

/* Removes everything written for one copy. */
static void
discard_target(struct job *j, struct target *t)
{
	char *path;
	size_t i;

	if (t->failed)
		return;
	t->failed = 1;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->tmp != NULL)
		unlink(t->tmp);
	for (i = 0; i < j->nstaged; i++) {
		path = dm_strf("%s/%s.%zu", t->box, j->res->meta.id, i + 1);
		if (path != NULL)
			unlink(path);
		free(path);
	}
}

static void
fail_target(struct job *j, struct target *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records why a copy failed and removes everything written for it. */
static void
fail_target(struct job *j, struct target *t, int code, const char *fmt, ...)
{
	struct dm_err err;
	va_list ap;

	if (t->failed)
		return;
	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	add_failure(j->res, t->self ? j->me->user : t->user, &err);
	discard_target(j, t);
}

/* Links src to dst, replacing a file a retried batch line left there. */
static int
link_replace(const char *src, const char *dst)
{
	if (link(src, dst) == 0)
		return 0;
	if (errno != EEXIST || unlink(dst) != 0)
		return -1;
	return link(src, dst);
}

/* Hard-links the staged attachments into every box that gets a copy. */
static void
link_parts(struct job *j)
{
	char *dst;
	size_t i, k;

	for (k = 0; k < j->nt; k++) {
		struct target *t = &j->t[k];

		for (i = 0; i < j->nstaged && !t->failed; i++) {
			dst = dm_strf("%s/%s.%zu", t->box, j->res->meta.id, i + 1);
			if (dst == NULL) {
				fail_target(j, t, DM_EX_SOFTWARE, "out of memory");
				break;
			}
			if (link_replace(j->staged[i], dst) != 0)
				fail_target(j, t, dm_err_code_for_errno(errno,
				    DM_EX_IOERR), "cannot deliver to %s: %s: %s",
				    t->user, dst, strerror(errno));
			free(dst);
		}
	}
}

static int
open_envelopes(struct job *j, const struct dm_buf *signed_meta,
    struct dm_err *e)
{
	struct dm_buf hdr = {0};
	size_t k;
	int code;

	for (k = 0; k < j->nt; k++) {
		struct target *t = &j->t[k];

		if (t->failed)
			continue;
		code = dm_envelope_seal(signed_meta, &t->key, &hdr, e);
		if (code != 0) {
			dm_buf_free(&hdr);
			return code;
		}
		t->fd = dm_tmpfile(t->box, j->mode, &t->tmp);
		if (t->fd < 0 || dm_write_full(t->fd, hdr.data, hdr.len) != 0)
			fail_target(j, t, dm_err_code_for_errno(errno, DM_EX_IOERR),
			    "cannot deliver to %s: %s: %s", t->user, t->box,
			    strerror(errno));
	}
	dm_buf_free(&hdr);
	return 0;
}

/* Writes encrypted body bytes to every copy still going. */
static int
sink_targets(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct job *j = ctx;
	size_t k, alive = 0;

	for (k = 0; k < j->nt; k++) {
		struct target *t = &j->t[k];

		if (t->failed)
			continue;
		if (dm_write_full(t->fd, buf, n) != 0)
			fail_target(j, t, dm_err_code_for_errno(errno, DM_EX_IOERR),
			    "cannot deliver to %s: %s: %s", t->user, t->box,
			    strerror(errno));
		else
			alive++;
	}
	if (alive == 0)
		return dm_err_set(e, j->res->fail[0].err.code, "%s",
		    j->res->fail[0].err.msg);
	return 0;
}

static int
write_body(struct job *j, struct dm_err *e)
{
	const struct dm_send_req *req = j->req;
	struct dm_stream_writer w;
	unsigned char *buf = NULL;
	ssize_t n;
	int code;

	code = dm_stream_writer_init(&w, j->res->meta.body_key, sink_targets, j,
	    e);
	if (code == 0 && req->body_fd < 0)
		code = dm_stream_writer_push(&w, req->body, req->body_len, e);
	if (code == 0 && req->body_fd >= 0) {
		buf = malloc(DM_CHUNK);
		if (buf == NULL)
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	while (code == 0 && req->body_fd >= 0) {
		n = read(req->body_fd, buf, DM_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			code = dm_err_sys(e, errno, DM_EX_IOERR,
			    "cannot read the body");
		if (n <= 0)
			break;
		code = dm_stream_writer_push(&w, buf, (size_t)n, e);
	}
	if (code == 0)
		code = dm_stream_writer_final(&w, e);
	j->res->body_size = w.total;
	dm_stream_writer_free(&w);
	free(buf);
	return code;
}

static void
commit_target(struct job *j, struct target *t)
{
	char *final;
	int rc;

	if (t->failed)
		return;
	final = dm_strf("%s/%s.env", t->box, j->res->meta.id);
	if (final == NULL) {
		fail_target(j, t, DM_EX_SOFTWARE, "out of memory");
		return;
	}
	rc = fsync(t->fd);
	if (rc == 0)
		rc = rename(t->tmp, final);
	if (rc == 0 && dm_sync_entry(t->box, t->fd) != 0) {
		int saved = errno;

		unlink(final);
		errno = saved;
		rc = -1;
	}
	if (close(t->fd) != 0 && rc == 0)
		rc = -1;
	t->fd = -1;
	if (rc != 0)
		fail_target(j, t, dm_err_code_for_errno(errno, DM_EX_IOERR),
		    "cannot deliver to %s: %s: %s", t->user, t->box,
		    strerror(errno));
	else if (!t->self || j->self_rcpt)
		j->res->delivered++;
	free(final);
}

static void
job_free(struct job *j)
{
	size_t i;

	for (i = 0; i < j->nt; i++) {
		if (j->t[i].fd >= 0)
			close(j->t[i].fd);
		if (j->t[i].tmp != NULL && j->t[i].failed)
			unlink(j->t[i].tmp);
		free(j->t[i].tmp);
		free(j->t[i].box);
	}
	free(j->t);
	for (i = 0; i < j->nstaged; i++) {
		unlink(j->staged[i]);
		free(j->staged[i]);
	}
	free(j->staged);
}

/* Stages attachments, then writes and commits every copy. */
static int
deliver(struct job *j, struct dm_typer *typer, struct dm_err *e)
{
	struct dm_meta *m = &j->res->meta;
	struct dm_buf meta = {0}, signed_meta = {0};
	size_t i;
	int code = 0;

	m->att = calloc(j->req->natt + 1, sizeof(*m->att));
	j->staged = calloc(j->req->natt + 1, sizeof(char *));
	if (m->att == NULL || j->staged == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (j->req->natt > DM_ATT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "too many attachments: at most %d", DM_ATT_MAX);
	for (i = 0; i < j->req->natt && code == 0; i++) {
		code = stage_attachment(j, typer, &j->req->att[i], &m->att[i], e);
		m->natt = i + 1;
	}
	if (code == 0)
		code = dm_meta_encode(m, &meta, e);
	if (code == 0)
		code = dm_envelope_sign(&meta, &j->me->keys[j->me->n - 1],
		    &signed_meta, e);
	if (meta.data != NULL)
		sodium_memzero(meta.data, meta.cap);
	dm_buf_free(&meta);
	if (code != 0)
		goto out;

	link_parts(j);
	code = open_envelopes(j, &signed_meta, e);
	if (code == 0)
		code = write_body(j, e);
	if (code != 0) {
		for (i = 0; i < j->nt; i++)
			discard_target(j, &j->t[i]);
		goto out;
	}
	/* The sender's copy is last: its presence means all are durable. */
	for (i = 0; i < j->nt; i++)
		commit_target(j, &j->t[i]);
out:
	if (signed_meta.data != NULL)
		sodium_memzero(signed_meta.data, signed_meta.cap);
	dm_buf_free(&signed_meta);
	return code;
}

int
dm_send(const struct dm_spool *sp, const struct dm_identity *me,
    struct dm_typer *typer, const struct dm_send_req *req,
    struct dm_send_result *res, struct dm_err *e)
{
	struct job j = { .sp = sp, .me = me, .req = req, .res = res };
	struct target *self;
	size_t i;
	int code;

	memset(res, 0, sizeof(*res));
	j.mode = sp->system ? 0644 : 0600;
	if (req->to.n == 0)
		return dm_err_set(e, DM_EX_USAGE, "no recipients");
	if (req->to.n > DM_RCPT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "too many recipients: at most %d", DM_RCPT_MAX);

	expand_recipients(&j);
	if (j.nt == 0 && !j.self_rcpt) {
		code = res->nfail > 0 ? res->fail[0].err.code : DM_EX_NOUSER;
		if (res->nfail == 0)
			dm_err_set(e, code, "no recipients");
		job_free(&j);
		return code;
	}

	self = new_target(&j, me->user);
	if (self == NULL) {
		job_free(&j);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	self->self = 1;
	self->key = me->keys[me->n - 1].pub;
	self->box = dm_spool_path(sp, "boxes/%s", me->user);

	code = build_meta(&j, &res->meta, e);
	if (code == 0)
		code = deliver(&j, typer, e);
	job_free(&j);

	/* Keys are not needed after sending; only the description is. */
	sodium_memzero(res->meta.body_key, sizeof(res->meta.body_key));
	for (i = 0; i < res->meta.natt; i++)
		sodium_memzero(res->meta.att[i].key, sizeof(res->meta.att[i].key));
	if (code != 0)
		return code;
	return res->nfail > 0 ? res->fail[0].err.code : 0;
}

void
dm_send_result_free(struct dm_send_result *res)
{
	size_t i;

	for (i = 0; i < res->nfail; i++)
		free(res->fail[i].rcpt);
	free(res->fail);
	dm_meta_free(&res->meta);
	memset(res, 0, sizeof(*res));
}

int
dm_send_was_sent(const struct dm_spool *sp, const char *id)
{
	struct stat st;
	char *path;
	int found;

	path = dm_spool_path(sp, "boxes/%s/%s.env", sp->user, id);
	if (path == NULL)
		return 0;
	found = lstat(path, &st) == 0;
	free(path);
	return found;
}
