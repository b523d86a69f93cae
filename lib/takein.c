#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "takein.h"

#define BATCH_MAX 256           /* envelopes committed in one transaction */
#define STALE_SECONDS (24 * 3600)

struct pending {
	char *box_path;
	struct dm_meta meta;
	uint64_t body_size;
	char *text;
	size_t text_len;
	int inbox, sent;
	int duplicate;
};

struct sender {
	char user[33];
	int code;               /* result of loading and trusting the key */
	char msg[sizeof(((struct dm_err *)0)->msg)];
	struct dm_pubchain *chain;
};

struct run {
	struct dm_mailbox *mb;
	const struct dm_identity *id;
	struct dm_takein_report *report;
	char *box;
	char *quarantine;
	struct sender *senders;
	size_t nsenders;
};

static void
warn(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(struct run *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dm_strv_add(&r->report->warnings, line);
}

void
dm_takein_report_free(struct dm_takein_report *report)
{
	dm_strv_free(&report->warnings);
	memset(report, 0, sizeof(*report));
}

static int
lock_mailbox(struct dm_mailbox *mb, int *fd, struct dm_err *e)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	char *path;
	long waited_ms = 0;

	path = dm_path_join(mb->dir, "lock");
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int code = dm_err_sys(e, errno, DM_EX_CONFIG, "cannot open %s",
		    path);

		free(path);
		return code;
	}
	/* Poll so that the wait is bounded like SQLite's busy timeout. */
	while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int code = dm_err_sys(e, errno, DM_EX_IOERR,
			    "cannot lock %s", path);

			free(path);
			return code;
		}
		if (waited_ms >= DM_BUSY_TIMEOUT_MS) {
			dm_err_set(e, DM_EX_TEMPFAIL,
			    "mailbox busy: %s: lock held for %d s: try again later",
			    path, DM_BUSY_TIMEOUT_MS / 1000);
			free(path);
			return DM_EX_TEMPFAIL;
		}
		nanosleep(&pause, NULL);
		waited_ms += 2;
	}
	free(path);
	return 0;
}

/* Returns 1 for "<id>.env", the only names taken in. */
static int
is_envelope_name(const char *name)
{
	size_t i;

	for (i = 0; i < DM_ID_LEN; i++)
		if (!dm_id_char((unsigned char)name[i]))
			return 0;
	return strcmp(name + DM_ID_LEN, ".env") == 0;
}

static void
quarantine(struct run *r, const char *path, const char *reason)
{
	static const char prefix[] = "verification failed: ";
	const char *base = strrchr(path, '/') + 1;
	size_t plen = strlen(path);
	char *dst = NULL;
	int n;

	/* The warning names the file once, so drop it from the reason. */
	if (strncmp(reason, prefix, sizeof(prefix) - 1) == 0 &&
	    strncmp(reason + sizeof(prefix) - 1, path, plen) == 0 &&
	    strncmp(reason + sizeof(prefix) - 1 + plen, ": ", 2) == 0)
		reason += sizeof(prefix) - 1 + plen + 2;

	/* A name already in quarantine gets a random suffix. */
	for (n = 0; n < 16; n++) {
		char suffix[DM_ID_LEN + 1];

		free(dst);
		dm_id_new(suffix);
		dst = n == 0 ? dm_strf("%s/%s", r->quarantine, base) :
		    dm_strf("%s/%s.%.8s", r->quarantine, base, suffix);
		if (dst == NULL)
			return;
		if (access(dst, F_OK) != 0)
			break;
	}
	if (rename(path, dst) != 0) {
		warn(r, "cannot quarantine %s: %s: %s", path, reason,
		    strerror(errno));
		unlink(path);
	} else {
		warn(r, "quarantined %s: verification failed: %s; moved to %s",
		    path, reason, dst);
	}
	free(dst);
	r->report->quarantined++;
}

/* Loads and trusts a sender's key once per run. */
static struct sender *
sender_lookup(struct run *r, const char *user)
{
	struct dm_err e = {0};
	struct sender *s, *grown;
	size_t i;

	for (i = 0; i < r->nsenders; i++)
		if (strcmp(r->senders[i].user, user) == 0)
			return &r->senders[i];
	grown = realloc(r->senders, (r->nsenders + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	r->senders = grown;
	s = &r->senders[r->nsenders];
	memset(s, 0, sizeof(*s));
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->chain = malloc(sizeof(*s->chain));
	if (s->chain == NULL)
		return NULL;
	r->nsenders++;
	s->code = dm_keys_load_public(r->mb->sp, user, s->chain, &e);
	if (s->code == 0)
		s->code = dm_keys_trust(r->mb->sp, s->chain, &e);
	memcpy(s->msg, e.msg, sizeof(s->msg));
	return s;
}

/*
 * Checks that the signing key inside a message belongs to its sender.
 * Returns 0, DM_EX_DATAERR (quarantine), DM_EX_TEMPFAIL (hold: the
 * sender's key changed and is not trusted yet) with reason set.
 */
static int
check_sender(struct run *r, const struct dm_meta *m, const struct stat *st,
    char *reason, size_t len)
{
	const struct dm_spool *sp = r->mb->sp;
	struct sender *s;
	size_t i;

	if (sp->system) {
		uid_t uid;

		if (dm_spool_user_uid(m->from, &uid, NULL) != 0 ||
		    st->st_uid != uid) {
			snprintf(reason, len, "file not written by %s", m->from);
			return DM_EX_DATAERR;
		}
	}
	if (strcmp(m->from, r->id->user) == 0) {
		for (i = 0; i < r->id->n; i++)
			if (sodium_memcmp(r->id->keys[i].pub.sign, m->signer,
			    sizeof(m->signer)) == 0)
				return 0;
		snprintf(reason, len, "signed by a key that is not %s's",
		    m->from);
		return DM_EX_DATAERR;
	}

	s = sender_lookup(r, m->from);
	if (s == NULL) {
		snprintf(reason, len, "out of memory");
		return DM_EX_SOFTWARE;
	}
	if (s->code == DM_EX_DATAERR && strncmp(s->msg, "key of ", 7) == 0) {
		snprintf(reason, len, "%s", s->msg);
		return DM_EX_TEMPFAIL;
	}
	if (s->code != 0) {
		snprintf(reason, len, "sender not verified: %.600s", s->msg);
		return DM_EX_DATAERR;
	}
	if (dm_keys_find_signer(s->chain, m->signer) == NULL) {
		snprintf(reason, len, "signed by a key that is not %s's",
		    m->from);
		return DM_EX_DATAERR;
	}
	return 0;
}

struct text_sink {
	char *text;
	size_t len;
};

static int
keep_text(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct text_sink *t = ctx;
	size_t room = DM_SEARCH_MAX - t->len;

	if (room == 0)
		return 0;
	if (t->text == NULL) {
		t->text = malloc(DM_SEARCH_MAX);
		if (t->text == NULL)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	if (n > room)
		n = room;
	memcpy(t->text + t->len, buf, n);
	t->len += n;
	return 0;
}

/* Checks that every attachment file is present with the expected size. */
static int
check_parts(struct run *r, const struct dm_meta *m, uid_t owner,
    char *reason, size_t len)
{
	struct stat st;
	char *path;
	size_t i;

	for (i = 0; i < m->natt; i++) {
		path = dm_strf("%s/%s.%zu", r->box, m->id, i + 1);
		if (path == NULL) {
			snprintf(reason, len, "out of memory");
			return -1;
		}
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			snprintf(reason, len, "attachment %zu missing", i + 1);
			free(path);
			return -1;
		}
		free(path);
		if ((uint64_t)st.st_size != dm_stream_size(m->att[i].size)) {
			snprintf(reason, len, "attachment %zu has the wrong size",
			    i + 1);
			return -1;
		}
		if (r->mb->sp->system && st.st_uid != owner) {
			snprintf(reason, len, "attachment %zu not written by %s",
			    i + 1, m->from);
			return -1;
		}
	}
	return 0;
}

/*
 * Verifies one envelope. Returns 1 and fills p when it can be taken in,
 * 0 when it was quarantined or held, or -1 with e set on a local error.
 */
static int
verify_one(struct run *r, const char *name, struct pending *p,
    struct dm_err *e)
{
	struct text_sink text = {0};
	struct dm_err ve = {0};
	char reason[sizeof(ve.msg)];
	struct stat st;
	int fd, code;

	memset(p, 0, sizeof(*p));
	p->box_path = dm_strf("%s/%s", r->box, name);
	if (p->box_path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory"), -1;
	fd = open(p->box_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		/* Another reader took it in first. */
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP) {
			quarantine(r, p->box_path, "not a regular file");
			return 0;
		}
		/* Another user may plant a file the owner cannot read. */
		if (errno == EACCES || errno == EPERM) {
			quarantine(r, p->box_path, "not readable by the recipient");
			return 0;
		}
		dm_err_sys(e, errno, DM_EX_IOERR, "cannot open %s", p->box_path);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		quarantine(r, p->box_path, "not a regular file");
		return 0;
	}

	code = dm_envelope_open(fd, p->box_path, r->id, &p->meta, &ve);
	if (code == 0 && strncmp(name, p->meta.id, DM_ID_LEN) != 0) {
		code = DM_EX_DATAERR;
		snprintf(ve.msg, sizeof(ve.msg), "file name does not match "
		    "message id %s", p->meta.id);
	}
	if (code == 0 && strcmp(p->meta.from, r->id->user) != 0 &&
	    !dm_strv_has(&p->meta.rcpt, r->id->user)) {
		code = DM_EX_DATAERR;
		snprintf(ve.msg, sizeof(ve.msg), "not addressed to %s",
		    r->id->user);
	}
	if (code == 0) {
		code = check_sender(r, &p->meta, &st, reason, sizeof(reason));
		if (code != 0)
			memcpy(ve.msg, reason, sizeof(ve.msg));
	}
	if (code == 0)
		code = dm_stream_decrypt(fd, p->meta.body_key, UINT64_MAX,
		    keep_text, &text, &p->body_size, p->box_path, &ve);
	close(fd);
	if (code == 0 && check_parts(r, &p->meta, st.st_uid, reason,
	    sizeof(reason)) != 0) {
		code = DM_EX_DATAERR;
		memcpy(ve.msg, reason, sizeof(ve.msg));
	}

	if (code == DM_EX_TEMPFAIL) {
		warn(r, "left in drop box: %s: %s", p->box_path, ve.msg);
		r->report->left_in_box++;
		free(text.text);
		return 0;
	}
	if (code == DM_EX_DATAERR) {
		quarantine(r, p->box_path, ve.msg);
		free(text.text);
		return 0;
	}
	if (code != 0) {
		memcpy(e, &ve, sizeof(ve));
		free(text.text);
		return -1;
	}
	p->text = text.text;
	p->text_len = text.len;
	p->sent = strcmp(p->meta.from, r->id->user) == 0;
	p->inbox = dm_strv_has(&p->meta.rcpt, r->id->user);
	return 1;
}

static void
pending_free(struct pending *p)
{
	free(p->box_path);
	free(p->text);
	dm_meta_free(&p->meta);
	memset(p, 0, sizeof(*p));
}

static int
copy_file(const char *src, const char *dst, const char *dir, struct dm_err *e)
{
	char buf[65536], *tmp = NULL;
	ssize_t n;
	int in, out, code = 0;

	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot open %s", src);
	out = dm_tmpfile(dir, 0600, &tmp);
	if (out < 0) {
		code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create file in %s", dir);
		close(in);
		return code;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (dm_write_full(out, buf, (size_t)n) != 0)
			break;
	if (n != 0 || fsync(out) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot copy %s", src);
	close(in);
	if (close(out) != 0 && code == 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot copy %s", src);
	if (code == 0 && rename(tmp, dst) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot rename %s", dst);
	if (code != 0)
		unlink(tmp);
	free(tmp);
	return code;
}

/*
 * Puts a drop-box file into the store. On a personal spool a hard link
 * is enough. On a system spool the file belongs to its sender, who could
 * still write to it through another link, so the store gets its own copy.
 */
static int
place(struct run *r, const char *src, const char *dst, struct dm_err *e)
{
	if (!r->mb->sp->system) {
		if (link(src, dst) == 0)
			return 0;
		if (errno == EEXIST && unlink(dst) == 0 && link(src, dst) == 0)
			return 0;
		if (errno != EXDEV && errno != EPERM)
			return dm_err_sys(e, errno, DM_EX_IOERR, "cannot link %s",
			    dst);
	}
	return copy_file(src, dst, r->mb->store, e);
}

static int
store_files(struct run *r, struct pending *p, struct dm_err *e)
{
	char *src, *dst;
	size_t i;
	int code;

	dst = dm_mailbox_envelope_path(r->mb, p->meta.id);
	if (dst == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = place(r, p->box_path, dst, e);
	free(dst);
	for (i = 0; code == 0 && i < p->meta.natt; i++) {
		src = dm_strf("%s/%s.%zu", r->box, p->meta.id, i + 1);
		dst = dm_mailbox_part_path(r->mb, p->meta.id, (int)i + 1);
		if (src == NULL || dst == NULL)
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		else
			code = place(r, src, dst, e);
		free(src);
		free(dst);
	}
	return code;
}

static void
remove_box_files(struct run *r, const struct pending *p)
{
	char *path;
	size_t i;

	for (i = 0; i < p->meta.natt; i++) {
		path = dm_strf("%s/%s.%zu", r->box, p->meta.id, i + 1);
		if (path != NULL)
			unlink(path);
		free(path);
	}
	unlink(p->box_path);
}

static int
by_date(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->meta.date_ms != y->meta.date_ms)
		return x->meta.date_ms < y->meta.date_ms ? -1 : 1;
	return strcmp(x->meta.id, y->meta.id);
}

/* Stores and commits a batch of verified envelopes. */
static int
commit_batch(struct run *r, struct pending *p, size_t n, struct dm_err *e)
{
	int64_t number;
	size_t i;
	int code = 0;

	qsort(p, n, sizeof(*p), by_date);
	for (i = 0; i < n && code == 0; i++) {
		p[i].duplicate = dm_mailbox_has_id(r->mb, p[i].meta.id);
		if (!p[i].duplicate)
			code = store_files(r, &p[i], e);
	}
	if (code == 0 && dm_fsync_dir(r->mb->store) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot sync %s",
		    r->mb->store);
	if (code != 0)
		return code;

	code = dm_mailbox_begin(r->mb, e);
	for (i = 0; i < n && code == 0; i++) {
		if (p[i].duplicate)
			continue;
		code = dm_mailbox_insert(r->mb, &p[i].meta, p[i].inbox, p[i].sent,
		    p[i].body_size, p[i].text, p[i].text_len, &number, e);
	}
	if (code == 0)
		code = dm_mailbox_commit(r->mb, e);
	else
		dm_mailbox_rollback(r->mb);
	if (code != 0)
		return code;

	/* Only now is every message durable in the mailbox. */
	for (i = 0; i < n; i++) {
		remove_box_files(r, &p[i]);
		if (p[i].duplicate)
			r->report->duplicates++;
		else
			r->report->added++;
	}
	return 0;
}

/*
 * Removes leftovers older than a day: temporary files of senders that
 * died, and attachment files whose envelope never arrived or was
 * quarantined.
 */
static void
sweep(DIR *d)
{
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	char env[DM_ID_LEN + 5];

	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		int tmp = strncmp(de->d_name, ".tmp.", 5) == 0;
		int part = strlen(de->d_name) > DM_ID_LEN + 1 &&
		    de->d_name[DM_ID_LEN] == '.' && !is_envelope_name(de->d_name);

		if (!tmp && !part)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    now - st.st_mtime < STALE_SECONDS)
			continue;
		if (part) {
			snprintf(env, sizeof(env), "%.*s.env", DM_ID_LEN,
			    de->d_name);
			if (faccessat(dirfd(d), env, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
		}
		unlinkat(dirfd(d), de->d_name, 0);
	}
}

static int
scan(struct run *r, DIR *d, struct dm_strv *names, struct dm_err *e)
{
	struct dirent *de;

	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!is_envelope_name(de->d_name))
			continue;
		if (dm_strv_add(names, de->d_name) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	if (errno != 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", r->box);
	return 0;
}

static int
take_all(struct run *r, DIR *d, struct dm_err *e)
{
	struct dm_strv names = {0};
	struct pending *batch;
	size_t i, n = 0, k;
	int code, ok;

	code = scan(r, d, &names, e);
	if (code != 0 || names.n == 0) {
		dm_strv_free(&names);
		return code;
	}
	batch = calloc(BATCH_MAX, sizeof(*batch));
	if (batch == NULL) {
		dm_strv_free(&names);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < names.n && code == 0; i++) {
		ok = verify_one(r, names.v[i], &batch[n], e);
		if (ok < 0) {
			code = e->code;
			pending_free(&batch[n]);
			break;
		}
		if (ok == 0) {
			pending_free(&batch[n]);
			continue;
		}
		if (++n == BATCH_MAX || i + 1 == names.n) {
			code = commit_batch(r, batch, n, e);
			for (k = 0; k < n; k++)
				pending_free(&batch[k]);
			n = 0;
		}
	}
	if (code == 0 && n > 0)
		code = commit_batch(r, batch, n, e);
	for (k = 0; k < n; k++)
		pending_free(&batch[k]);
	free(batch);
	dm_strv_free(&names);
	return code;
}

int
dm_takein(struct dm_mailbox *mb, const struct dm_identity *id,
    struct dm_takein_report *report, struct dm_err *e)
{
	struct run r = { .mb = mb, .id = id, .report = report };
	DIR *d = NULL;
	size_t i;
	int lockfd = -1, code;

	memset(report, 0, sizeof(*report));
	r.box = dm_spool_path(mb->sp, "boxes/%s", id->user);
	r.quarantine = dm_path_join(mb->dir, "quarantine");
	if (r.box == NULL || r.quarantine == NULL) {
		code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		goto out;
	}
	code = lock_mailbox(mb, &lockfd, e);
	if (code != 0)
		goto out;
	d = opendir(r.box);
	if (d == NULL) {
		code = dm_err_sys(e, errno, DM_EX_CONFIG, "cannot open drop box %s",
		    r.box);
		goto out;
	}
	code = take_all(&r, d, e);
	if (code == 0)
		sweep(d);
out:
	if (d != NULL)
		closedir(d);
	if (lockfd >= 0)
		close(lockfd);
	for (i = 0; i < r.nsenders; i++)
		free(r.senders[i].chain);
	free(r.senders);
	free(r.box);
	free(r.quarantine);
	return code;
}
