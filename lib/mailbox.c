#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mailbox.h"
#include "names.h"

static const char schema[] =
    "CREATE TABLE message ("
    " number INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " thread TEXT NOT NULL,"
    " parent TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " signer BLOB NOT NULL,"
    " addressed TEXT NOT NULL,"
    " recipients TEXT NOT NULL,"
    " date INTEGER NOT NULL,"
    " received INTEGER NOT NULL,"
    " subject BLOB NOT NULL,"
    " priority INTEGER NOT NULL,"
    " body_size INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " attachments INTEGER NOT NULL,"
    " inbox INTEGER NOT NULL,"
    " sent INTEGER NOT NULL,"
    " unread INTEGER NOT NULL,"
    " archived INTEGER NOT NULL DEFAULT 0,"
    " replied INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX message_thread ON message(thread);"
    "CREATE INDEX message_date ON message(date, number);"
    "CREATE INDEX message_unread ON message(inbox, unread) WHERE unread = 1;"
    "CREATE TABLE tag ("
    " number INTEGER NOT NULL REFERENCES message(number) ON DELETE CASCADE,"
    " tag TEXT NOT NULL,"
    " PRIMARY KEY (number, tag));"
    "CREATE INDEX tag_tag ON tag(tag);"
    "CREATE TABLE attachment ("
    " number INTEGER NOT NULL REFERENCES message(number) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL,"
    " name BLOB NOT NULL,"
    " type TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " PRIMARY KEY (number, idx));"
    "CREATE TABLE cursor (name TEXT PRIMARY KEY, number INTEGER NOT NULL);"
    "CREATE TABLE cursor_retry ("
    " name TEXT NOT NULL, number INTEGER NOT NULL,"
    " PRIMARY KEY (name, number));"
    "CREATE VIRTUAL TABLE search USING fts5(subject, body,"
    " tokenize = 'trigram');"
    "PRAGMA user_version = 1;";

/* Maps an SQLite result to an exit code and message. */
static int
sql_fail(struct dm_mailbox *mb, int rc, const char *what, struct dm_err *e)
{
	const char *msg = mb->db != NULL ? sqlite3_errmsg(mb->db) :
	    sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return dm_err_set(e, DM_EX_TEMPFAIL,
		    "mailbox busy: %s: %s: try again later", mb->dir, what);
	case SQLITE_FULL:
		return dm_err_set(e, DM_EX_TEMPFAIL, "%s: %s: %s", what, mb->dir,
		    strerror(ENOSPC));
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return dm_err_set(e, DM_EX_CONFIG, "corrupt mailbox: %s: %s",
		    mb->dir, msg);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return dm_err_set(e, DM_EX_NOPERM, "%s: %s: %s", what, mb->dir,
		    msg);
	case SQLITE_CANTOPEN:
		return dm_err_set(e, DM_EX_CONFIG, "cannot open mailbox: %s: %s",
		    mb->dir, msg);
	case SQLITE_IOERR:
		return dm_err_set(e, DM_EX_IOERR, "%s: %s: %s", what, mb->dir, msg);
	default:
		return dm_err_set(e, DM_EX_SOFTWARE, "%s: %s: %s", what, mb->dir,
		    msg);
	}
}

static int
exec(struct dm_mailbox *mb, const char *sql, const char *what,
    struct dm_err *e)
{
	int rc = sqlite3_exec(mb->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(mb, rc, what, e);
}

/*
 * Runs a statement that sets up a newly opened connection. While another
 * process recovers or checkpoints the write-ahead log, SQLite can return
 * SQLITE_BUSY here at once, without calling the busy handler, so the
 * statement is retried until the busy timeout runs out.
 */
static int
exec_setup(struct dm_mailbox *mb, const char *sql, struct dm_err *e)
{
	int64_t deadline = dm_now_ms() + DM_BUSY_TIMEOUT_MS;
	int rc;

	while ((rc = sqlite3_exec(mb->db, sql, NULL, NULL, NULL)) != SQLITE_OK &&
	    (rc & 0xff) == SQLITE_BUSY && dm_now_ms() < deadline)
		sqlite3_sleep(10);
	return rc == SQLITE_OK ? 0 : sql_fail(mb, rc, "cannot open mailbox", e);
}

static int
prepare(struct dm_mailbox *mb, const char *sql, sqlite3_stmt **st,
    struct dm_err *e)
{
	int rc = sqlite3_prepare_v2(mb->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(mb, rc, "cannot query", e);
}

void
dm_filter_init(struct dm_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since_ms = INT64_MIN;
	f->until_ms = INT64_MAX;
}

static int
schema_version(struct dm_mailbox *mb, int *version, struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	code = prepare(mb, "PRAGMA user_version", &st, e);
	if (code != 0)
		return code;
	rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sql_fail(mb, rc, "cannot read schema", e);
}

static int
ensure_schema(struct dm_mailbox *mb, struct dm_err *e)
{
	int version, code;

	code = schema_version(mb, &version, e);
	if (code != 0 || version == DM_SCHEMA_VERSION)
		return code;
	if (version == 0) {
		/* WAL lets readers go on while one writer commits. */
		code = exec_setup(mb, "PRAGMA journal_mode = WAL", e);
		if (code == 0)
			code = dm_mailbox_begin(mb, e);
		if (code != 0)
			return code;
		/* Another process may have created it while we waited. */
		code = schema_version(mb, &version, e);
		if (code == 0 && version == 0)
			code = exec(mb, schema, "cannot create mailbox", e);
		if (code == 0)
			return dm_mailbox_commit(mb, e);
		dm_mailbox_rollback(mb);
		return code;
	}
	return dm_err_set(e, DM_EX_CONFIG,
	    "unknown mailbox version %d: %s: this dm reads version %d", version,
	    mb->dir, DM_SCHEMA_VERSION);
}

int
dm_mailbox_open(const struct dm_spool *sp, struct dm_mailbox *mb,
    struct dm_err *e)
{
	struct stat st;
	char *path;
	int rc, code, fd;

	memset(mb, 0, sizeof(*mb));
	mb->sp = sp;
	mb->dir = dm_spool_path(sp, "users/%s", sp->user);
	mb->store = dm_spool_path(sp, "users/%s/store", sp->user);
	if (mb->dir == NULL || mb->store == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (stat(mb->dir, &st) != 0) {
		if (errno == ENOENT)
			return dm_err_set(e, DM_EX_CONFIG,
			    "no mailbox for %s: %s: run dm-init", sp->user,
			    mb->dir);
		return dm_err_sys(e, errno, DM_EX_CONFIG, "cannot open %s",
		    mb->dir);
	}
	if (st.st_uid != sp->uid)
		return dm_err_set(e, DM_EX_NOPERM, "mailbox not owned by you: %s",
		    mb->dir);

	path = dm_path_join(mb->dir, "mailbox.db");
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	/*
	 * SQLite gives its -wal and -shm files the mode of the database, so
	 * creating it 0600 keeps all three private whatever the umask.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	rc = sqlite3_open_v2(path, &mb->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		code = sql_fail(mb, rc, "cannot open mailbox", e);
		return code;
	}
	sqlite3_busy_timeout(mb->db, DM_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(mb->db, 1);

	/*
	 * synchronous=FULL makes a commit durable before the drop-box file it
	 * replaces is removed. The journal mode is set when the schema is
	 * created, because WAL mode is stored in the database file.
	 */
	code = exec_setup(mb, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON", e);
	if (code == 0)
		code = ensure_schema(mb, e);
	return code;
}

void
dm_mailbox_close(struct dm_mailbox *mb)
{
	if (mb->db != NULL)
		sqlite3_close_v2(mb->db);
	free(mb->dir);
	free(mb->store);
	memset(mb, 0, sizeof(*mb));
}

int
dm_mailbox_begin(struct dm_mailbox *mb, struct dm_err *e)
{
	return exec(mb, "BEGIN IMMEDIATE", "cannot lock mailbox", e);
}

int
dm_mailbox_commit(struct dm_mailbox *mb, struct dm_err *e)
{
	int code = exec(mb, "COMMIT", "cannot write mailbox", e);

	if (code != 0)
		dm_mailbox_rollback(mb);
	return code;
}

void
dm_mailbox_rollback(struct dm_mailbox *mb)
{
	if (!sqlite3_get_autocommit(mb->db))
		sqlite3_exec(mb->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Counts the characters of UTF-8 text, which start at every byte that is
 * not a continuation byte.
 */
static size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Builds the WHERE clause of f; parameters are bound by bind_filter(). */
static void
where_clause(struct dm_buf *q, const struct dm_filter *f)
{
	if (f->thread != NULL)
		dm_buf_adds(q, " WHERE thread = :thread");
	else if (f->any)
		dm_buf_adds(q, " WHERE (inbox = 1 OR sent = 1)");
	else if (f->sent)
		dm_buf_adds(q, " WHERE sent = 1");
	else
		dm_buf_adds(q, " WHERE inbox = 1");
	if (!f->archived && f->thread == NULL)
		dm_buf_adds(q, " AND archived = 0");
	if (f->unread)
		dm_buf_adds(q, " AND unread = 1");
	if (f->from != NULL)
		dm_buf_adds(q, " AND sender = :from");
	if (f->since_ms != INT64_MIN)
		dm_buf_adds(q, " AND date >= :since");
	if (f->until_ms != INT64_MAX)
		dm_buf_adds(q, " AND date < :until");
	if (f->tag != NULL)
		dm_buf_adds(q, " AND number IN (SELECT number FROM tag"
		    " WHERE tag = :tag)");
	if (f->after > 0)
		dm_buf_adds(q, " AND number > :after");
	if (f->min_priority > 0)
		dm_buf_adds(q, " AND priority >= :prio");
	if (f->grep != NULL) {
		/*
		 * The trigram index matches three or more characters, not
		 * bytes. One CJK character is three bytes of UTF-8.
		 */
		if (utf8_length(f->grep) >= 3)
			dm_buf_adds(q, " AND number IN (SELECT rowid FROM search"
			    " WHERE search MATCH :grep)");
		else
			dm_buf_adds(q, " AND number IN (SELECT rowid FROM search"
			    " WHERE subject LIKE :like ESCAPE '\\'"
			    " OR body LIKE :like ESCAPE '\\')");
	}
}

/* Adds the ORDER BY and LIMIT clauses of f. */
static void
order_clause(struct dm_buf *q, const struct dm_filter *f)
{
	const char *dir = f->reverse ? "DESC" : "ASC";

	if (f->by_number)
		dm_buf_addf(q, " ORDER BY number %s", dir);
	else
		dm_buf_addf(q, " ORDER BY date %s, number %s", dir, dir);
	dm_buf_adds(q, " LIMIT :limit");
}

static void
bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static void
bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void
bind_filter(sqlite3_stmt *st, const struct dm_filter *f)
{
	struct dm_buf b = {0};
	const char *p;

	if (f->thread != NULL)
		bind_text(st, ":thread", f->thread);
	if (f->from != NULL)
		bind_text(st, ":from", f->from);
	bind_int(st, ":since", f->since_ms);
	bind_int(st, ":until", f->until_ms);
	if (f->tag != NULL)
		bind_text(st, ":tag", f->tag);
	bind_int(st, ":after", f->after);
	bind_int(st, ":prio", f->min_priority);
	bind_int(st, ":limit", f->limit > 0 ? f->limit : -1);
	if (f->grep == NULL)
		return;

	/* An FTS5 phrase: the text in double quotes, quotes doubled. */
	dm_buf_addc(&b, '"');
	for (p = f->grep; *p != '\0'; p++) {
		if (*p == '"')
			dm_buf_addc(&b, '"');
		dm_buf_addc(&b, *p);
	}
	dm_buf_addc(&b, '"');
	bind_text(st, ":grep", b.data);
	b.len = 0;
	dm_buf_addc(&b, '%');
	for (p = f->grep; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			dm_buf_addc(&b, '\\');
		dm_buf_addc(&b, *p);
	}
	dm_buf_addc(&b, '%');
	bind_text(st, ":like", b.data);
	dm_buf_free(&b);
}

#define MSG_COLUMNS "number, id, thread, parent, sender, signer, addressed," \
	" recipients, date, subject, priority, body_size, size, attachments," \
	" inbox, sent, unread, archived, replied," \
	" (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM tag" \
	" WHERE tag.number = message.number ORDER BY tag))"

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return strdup(v != NULL ? (const char *)v : "");
}

static void
copy_id(char out[DM_ID_LEN + 1], sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, DM_ID_LEN + 1, "%s", v != NULL ? (const char *)v : "");
}

static int
row_to_msg(sqlite3_stmt *st, struct dm_msg *m)
{
	const void *blob;
	int n;

	memset(m, 0, sizeof(*m));
	m->number = sqlite3_column_int64(st, 0);
	copy_id(m->id, st, 1);
	copy_id(m->thread, st, 2);
	copy_id(m->parent, st, 3);
	m->from = column_dup(st, 4);
	blob = sqlite3_column_blob(st, 5);
	n = sqlite3_column_bytes(st, 5);
	if (blob != NULL && n == (int)sizeof(m->signer))
		memcpy(m->signer, blob, sizeof(m->signer));
	m->to = column_dup(st, 6);
	m->rcpt = column_dup(st, 7);
	m->date_ms = sqlite3_column_int64(st, 8);
	blob = sqlite3_column_blob(st, 9);
	n = sqlite3_column_bytes(st, 9);
	m->subject = malloc((size_t)n + 1);
	if (m->subject != NULL) {
		if (n > 0)
			memcpy(m->subject, blob, (size_t)n);
		m->subject[n] = '\0';
		m->subject_len = (size_t)n;
	}
	m->priority = sqlite3_column_int(st, 10);
	m->body_size = sqlite3_column_int64(st, 11);
	m->size = sqlite3_column_int64(st, 12);
	m->natt = sqlite3_column_int(st, 13);
	m->inbox = sqlite3_column_int(st, 14);
	m->sent = sqlite3_column_int(st, 15);
	m->unread = sqlite3_column_int(st, 16);
	m->archived = sqlite3_column_int(st, 17);
	m->replied = sqlite3_column_int(st, 18);
	m->tags = column_dup(st, 19);
	if (m->from == NULL || m->to == NULL || m->rcpt == NULL ||
	    m->subject == NULL || m->tags == NULL)
		return -1;
	return 0;
}

static int
load_attachments(struct dm_mailbox *mb, struct dm_msg *m, struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code, i = 0;

	if (m->natt == 0)
		return 0;
	m->att = calloc((size_t)m->natt, sizeof(*m->att));
	if (m->att == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = prepare(mb, "SELECT idx, name, type, size FROM attachment"
	    " WHERE number = ? ORDER BY idx", &st, e);
	if (code != 0)
		return code;
	sqlite3_bind_int64(st, 1, m->number);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->natt) {
		struct dm_att_row *a = &m->att[i++];
		int n = sqlite3_column_bytes(st, 1);
		const void *name = sqlite3_column_blob(st, 1);

		a->index = sqlite3_column_int(st, 0);
		a->name = malloc((size_t)n + 1);
		if (a->name != NULL) {
			if (n > 0)
				memcpy(a->name, name, (size_t)n);
			a->name[n] = '\0';
		}
		a->name_len = (size_t)n;
		a->type = column_dup(st, 2);
		a->size = sqlite3_column_int64(st, 3);
	}
	m->natt = i;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(mb, rc, "cannot read mailbox", e);
	return 0;
}

void
dm_msg_free(struct dm_msg *m)
{
	int i;

	free(m->from);
	free(m->to);
	free(m->rcpt);
	free(m->subject);
	free(m->tags);
	for (i = 0; m->att != NULL && i < m->natt; i++) {
		free(m->att[i].name);
		free(m->att[i].type);
	}
	free(m->att);
	memset(m, 0, sizeof(*m));
}

/*
 * Prepares "SELECT columns FROM message" restricted by f, in f's order
 * when ordered, with f's values bound. The caller finalizes *st.
 */
static int
select_messages(struct dm_mailbox *mb, const char *columns,
    const struct dm_filter *f, int ordered, sqlite3_stmt **st,
    struct dm_err *e)
{
	struct dm_buf q = {0};
	int code;

	dm_buf_addf(&q, "SELECT %s FROM message", columns);
	where_clause(&q, f);
	if (ordered)
		order_clause(&q, f);
	if (q.oom) {
		dm_buf_free(&q);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	code = prepare(mb, q.data, st, e);
	dm_buf_free(&q);
	if (code == 0)
		bind_filter(*st, f);
	return code;
}

int
dm_mailbox_list(struct dm_mailbox *mb, const struct dm_filter *f,
    dm_msg_fn fn, void *ctx, struct dm_err *e)
{
	struct dm_msg m;
	sqlite3_stmt *st;
	int rc, code;

	code = select_messages(mb, MSG_COLUMNS, f, 1, &st, e);
	if (code != 0)
		return code;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_to_msg(st, &m) != 0) {
			dm_msg_free(&m);
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
			break;
		}
		if (f->with_attachments)
			code = load_attachments(mb, &m, e);
		if (code == 0)
			code = fn(ctx, &m, e);
		dm_msg_free(&m);
		if (code != 0)
			break;
	}
	if (code == 0 && rc != SQLITE_DONE)
		code = sql_fail(mb, rc, "cannot read mailbox", e);
	sqlite3_finalize(st);
	return code;
}

int
dm_mailbox_numbers(struct dm_mailbox *mb, const struct dm_filter *f,
    int64_t **v, size_t *n, struct dm_err *e)
{
	sqlite3_stmt *st;
	int64_t *grown;
	int rc, code;

	code = select_messages(mb, "number", f, 1, &st, e);
	if (code != 0)
		return code;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		grown = realloc(*v, (*n + 1) * sizeof(*grown));
		if (grown == NULL) {
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
			break;
		}
		*v = grown;
		(*v)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (code == 0 && rc != SQLITE_DONE)
		code = sql_fail(mb, rc, "cannot read mailbox", e);
	sqlite3_finalize(st);
	return code;
}

int
dm_mailbox_count(struct dm_mailbox *mb, const struct dm_filter *f,
    long *count, struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	code = select_messages(mb, "count(*)", f, 0, &st, e);
	if (code != 0)
		return code;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (long)sqlite3_column_int64(st, 0);
	else
		code = sql_fail(mb, rc, "cannot read mailbox", e);
	sqlite3_finalize(st);
	if (code == 0 && f->limit > 0 && *count > f->limit)
		*count = f->limit;
	return code;
}

int
dm_mailbox_threads(struct dm_mailbox *mb, const struct dm_filter *f,
    dm_thread_fn fn, void *ctx, struct dm_err *e)
{
	const char *dir = f->reverse ? "DESC" : "ASC";
	struct dm_buf q = {0};
	struct dm_thread t;
	sqlite3_stmt *st;
	int rc, code;

	/*
	 * The last message of each thread is found by a window function;
	 * participants are every sender and recipient in the thread.
	 */
	dm_buf_adds(&q, "WITH sel AS (SELECT * FROM message");
	where_clause(&q, f);
	dm_buf_adds(&q, "), ranked AS (SELECT sel.*, row_number() OVER"
	    " (PARTITION BY thread ORDER BY date DESC, number DESC) AS rn,"
	    " count(*) OVER (PARTITION BY thread) AS total,"
	    " sum(unread) OVER (PARTITION BY thread) AS unread_total FROM sel)"
	    " SELECT thread, total, unread_total, date, number, subject,"
	    " (SELECT group_concat(p, ' ') FROM (SELECT DISTINCT p FROM ("
	    "  SELECT sender AS p, date AS d FROM message m WHERE m.thread ="
	    "  ranked.thread UNION ALL SELECT value, date FROM message m,"
	    "  json_each('[\"' || replace(m.recipients, ' ', '\",\"') || '\"]')"
	    "  WHERE m.thread = ranked.thread AND m.recipients <> '')"
	    "  ORDER BY p))"
	    " FROM ranked WHERE rn = 1");
	dm_buf_addf(&q, " ORDER BY date %s, number %s LIMIT :limit", dir, dir);
	if (q.oom) {
		dm_buf_free(&q);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	code = prepare(mb, q.data, &st, e);
	dm_buf_free(&q);
	if (code != 0)
		return code;
	bind_filter(st, f);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		copy_id(t.thread, st, 0);
		t.messages = (long)sqlite3_column_int64(st, 1);
		t.unread = (long)sqlite3_column_int64(st, 2);
		t.last_date_ms = sqlite3_column_int64(st, 3);
		t.last_number = sqlite3_column_int64(st, 4);
		t.last_subject_len = (size_t)sqlite3_column_bytes(st, 5);
		t.last_subject = malloc(t.last_subject_len + 1);
		t.participants = column_dup(st, 6);
		if (t.last_subject == NULL || t.participants == NULL) {
			free(t.last_subject);
			free(t.participants);
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
			break;
		}
		if (t.last_subject_len > 0)
			memcpy(t.last_subject, sqlite3_column_blob(st, 5),
			    t.last_subject_len);
		t.last_subject[t.last_subject_len] = '\0';
		code = fn(ctx, &t, e);
		free(t.last_subject);
		free(t.participants);
		if (code != 0)
			break;
	}
	if (code == 0 && rc != SQLITE_DONE)
		code = sql_fail(mb, rc, "cannot read mailbox", e);
	sqlite3_finalize(st);
	return code;
}

int
dm_mailbox_get(struct dm_mailbox *mb, int64_t number, struct dm_msg *m,
    struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	memset(m, 0, sizeof(*m));
	code = prepare(mb, "SELECT " MSG_COLUMNS " FROM message"
	    " WHERE number = ?", &st, e);
	if (code != 0)
		return code;
	sqlite3_bind_int64(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (row_to_msg(st, m) != 0)
			code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	} else if (rc == SQLITE_DONE) {
		code = dm_err_set(e, DM_EX_NOINPUT, "unknown message: %lld",
		    (long long)number);
	} else {
		code = sql_fail(mb, rc, "cannot read mailbox", e);
	}
	sqlite3_finalize(st);
	if (code == 0)
		code = load_attachments(mb, m, e);
	if (code != 0)
		dm_msg_free(m);
	return code;
}

static int
lookup_number(struct dm_mailbox *mb, const char *sql, const char *text,
    int64_t value, int64_t *found, int *matches, struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	code = prepare(mb, sql, &st, e);
	if (code != 0)
		return code;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 1, value);
	*matches = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*found = sqlite3_column_int64(st, 0);
		(*matches)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(mb, rc, "cannot read mailbox", e);
	return 0;
}

int
dm_mailbox_resolve(struct dm_mailbox *mb, const char *arg, int64_t *number,
    struct dm_err *e)
{
	char prefix[DM_ID_LEN + 1];
	size_t i, n = strlen(arg);
	int matches, code, digits = n > 0 && n <= 18;

	for (i = 0; i < n && digits; i++)
		if (arg[i] < '0' || arg[i] > '9')
			digits = 0;
	if (digits) {
		code = lookup_number(mb, "SELECT number FROM message"
		    " WHERE number = ?", NULL, strtoll(arg, NULL, 10), number,
		    &matches, e);
		if (code == 0 && matches == 0)
			code = dm_err_set(e, DM_EX_NOINPUT, "unknown message: %s",
			    arg);
		return code;
	}

	if (n < 6 || n > DM_ID_LEN)
		return dm_err_set(e, DM_EX_USAGE,
		    "invalid message id: %s: give a number, an id, or at least "
		    "6 characters of one", arg);
	for (i = 0; i < n; i++) {
		char c = arg[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!dm_id_char((unsigned char)c))
			return dm_err_set(e, DM_EX_USAGE,
			    "invalid message id: %s", arg);
		prefix[i] = c;
	}
	prefix[n] = '\0';

	/* '~' sorts after every id character, closing the prefix range. */
	code = lookup_number(mb, "SELECT number FROM message"
	    " WHERE id >= ?1 AND id < ?1 || '~' LIMIT 2", prefix, 0, number,
	    &matches, e);
	if (code == 0 && matches == 0)
		code = dm_err_set(e, DM_EX_NOINPUT, "unknown message: %s", arg);
	if (code == 0 && matches > 1)
		code = dm_err_set(e, DM_EX_USAGE,
		    "ambiguous message id: %s: give more characters", arg);
	return code;
}

int
dm_mailbox_has_id(struct dm_mailbox *mb, const char *id)
{
	int64_t number;
	int matches = 0;

	if (lookup_number(mb, "SELECT number FROM message WHERE id = ?", id, 0,
	    &number, &matches, NULL) != 0)
		return 0;
	return matches > 0;
}

static int
run_update(struct dm_mailbox *mb, const char *sql, int64_t a, int64_t b,
    const char *text, struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	code = prepare(mb, sql, &st, e);
	if (code != 0)
		return code;
	if (text != NULL) {
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, a);
	} else {
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(mb, rc, "cannot write mailbox",
	    e);
}

int
dm_mailbox_set_flag(struct dm_mailbox *mb, int64_t number, enum dm_flag flag,
    int value, struct dm_err *e)
{
	static const char *const sql[] = {
		[DM_FLAG_UNREAD] = "UPDATE message SET unread = ?2"
		    " WHERE number = ?1",
		[DM_FLAG_ARCHIVED] = "UPDATE message SET archived = ?2"
		    " WHERE number = ?1",
		[DM_FLAG_REPLIED] = "UPDATE message SET replied = ?2"
		    " WHERE number = ?1",
	};

	return run_update(mb, sql[flag], number, value != 0, NULL, e);
}

int
dm_mailbox_mark_replied(struct dm_mailbox *mb, const char *id,
    struct dm_err *e)
{
	sqlite3_stmt *st;
	int rc, code;

	code = prepare(mb, "UPDATE message SET replied = 1 WHERE id = ?", &st, e);
	if (code != 0)
		return code;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(mb, rc, "cannot write mailbox",
	    e);
}

char *
dm_mailbox_envelope_path(const struct dm_mailbox *mb, const char *id)
{
	return dm_strf("%s/%s.env", mb->store, id);
}

char *
dm_mailbox_part_path(const struct dm_mailbox *mb, const char *id, int index)
{
	return dm_strf("%s/%s.%d", mb->store, id, index);
}

int
dm_mailbox_delete(struct dm_mailbox *mb, int64_t number, struct dm_err *e)
{
	struct dm_msg m;
	char *path;
	int code, i;

	code = dm_mailbox_get(mb, number, &m, e);
	if (code != 0)
		return code;
	code = dm_mailbox_begin(mb, e);
	if (code == 0)
		code = run_update(mb, "DELETE FROM search WHERE rowid = ?1"
		    " AND ?2 = ?2", number, 0, NULL, e);
	if (code == 0)
		code = run_update(mb, "DELETE FROM message WHERE number = ?1"
		    " AND ?2 = ?2", number, 0, NULL, e);
	if (code == 0)
		code = run_update(mb, "DELETE FROM cursor_retry WHERE number = ?1"
		    " AND ?2 = ?2", number, 0, NULL, e);
	if (code == 0)
		code = dm_mailbox_commit(mb, e);
	else
		dm_mailbox_rollback(mb);
	if (code != 0) {
		dm_msg_free(&m);
		return code;
	}

	/* The index no longer names the files, so removing them is safe. */
	path = dm_mailbox_envelope_path(mb, m.id);
	if (path != NULL)
		unlink(path);
	free(path);
	for (i = 1; i <= m.natt; i++) {
		path = dm_mailbox_part_path(mb, m.id, i);
		if (path != NULL)
			unlink(path);
		free(path);
	}
	dm_msg_free(&m);
	return 0;
}

static void
join_strv(struct dm_buf *b, const struct dm_strv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (i > 0)
			dm_buf_addc(b, ' ');
		dm_buf_adds(b, l->v[i]);
	}
	if (b->data == NULL)
		dm_buf_add(b, "", 0);
}

static int
insert_children(struct dm_mailbox *mb, const struct dm_meta *m, int64_t number,
    const char *text, size_t text_len, struct dm_err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_DONE, code;

	code = prepare(mb, "INSERT OR IGNORE INTO tag (number, tag)"
	    " VALUES (?, ?)", &st, e);
	if (code != 0)
		return code;
	for (i = 0; i < m->tags.n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, number);
		sqlite3_bind_text(st, 2, m->tags.v[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(mb, rc, "cannot write mailbox", e);

	code = prepare(mb, "INSERT INTO attachment (number, idx, name, type, size)"
	    " VALUES (?, ?, ?, ?, ?)", &st, e);
	if (code != 0)
		return code;
	for (i = 0; i < m->natt && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, number);
		sqlite3_bind_int(st, 2, (int)i + 1);
		sqlite3_bind_blob(st, 3, m->att[i].name, (int)m->att[i].name_len,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, m->att[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (int64_t)m->att[i].size);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(mb, rc, "cannot write mailbox", e);

	code = prepare(mb, "INSERT INTO search (rowid, subject, body)"
	    " VALUES (?, ?, ?)", &st, e);
	if (code != 0)
		return code;
	sqlite3_bind_int64(st, 1, number);
	sqlite3_bind_text(st, 2, m->subject, (int)m->subject_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text != NULL ? text : "", (int)text_len,
	    SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(mb, rc, "cannot write mailbox",
	    e);
}

int
dm_mailbox_insert(struct dm_mailbox *mb, const struct dm_meta *m, int inbox,
    int sent, uint64_t body_size, const char *text, size_t text_len,
    int64_t *number, struct dm_err *e)
{
	struct dm_buf to = {0}, rcpt = {0};
	uint64_t size = body_size;
	sqlite3_stmt *st;
	size_t i;
	int rc, code;

	for (i = 0; i < m->natt; i++)
		size += m->att[i].size;
	join_strv(&to, &m->to);
	join_strv(&rcpt, &m->rcpt);
	if (to.oom || rcpt.oom) {
		code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		goto out;
	}

	code = prepare(mb, "INSERT INTO message (id, thread, parent, sender,"
	    " signer, addressed, recipients, date, received, subject, priority,"
	    " body_size, size, attachments, inbox, sent, unread)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, e);
	if (code != 0)
		goto out;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->thread, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->from, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, m->signer, sizeof(m->signer), SQLITE_STATIC);
	sqlite3_bind_text(st, 6, to.data, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, rcpt.data, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, m->date_ms);
	sqlite3_bind_int64(st, 9, dm_now_ms());
	sqlite3_bind_blob(st, 10, m->subject != NULL ? m->subject : "",
	    (int)m->subject_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, m->priority);
	sqlite3_bind_int64(st, 12, (int64_t)body_size);
	sqlite3_bind_int64(st, 13, (int64_t)size);
	sqlite3_bind_int(st, 14, (int)m->natt);
	sqlite3_bind_int(st, 15, inbox);
	sqlite3_bind_int(st, 16, sent);
	sqlite3_bind_int(st, 17, inbox);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		code = sql_fail(mb, rc, "cannot write mailbox", e);
		goto out;
	}
	*number = sqlite3_last_insert_rowid(mb->db);
	code = insert_children(mb, m, *number, text, text_len, e);
out:
	dm_buf_free(&to);
	dm_buf_free(&rcpt);
	return code;
}

int
dm_mailbox_max_number(struct dm_mailbox *mb, int64_t *number, struct dm_err *e)
{
	int matches;

	*number = 0;
	return lookup_number(mb, "SELECT coalesce(max(number), 0) FROM message"
	    " WHERE ?1 = ?1", NULL, 0, number, &matches, e);
}

int
dm_mailbox_cursor_get(struct dm_mailbox *mb, const char *name,
    int64_t *number, struct dm_err *e)
{
	int matches, code;

	code = lookup_number(mb, "SELECT number FROM cursor WHERE name = ?",
	    name, 0, number, &matches, e);
	if (code == 0 && matches == 0)
		*number = -1;
	return code;
}

int
dm_mailbox_cursor_set(struct dm_mailbox *mb, const char *name, int64_t number,
    struct dm_err *e)
{
	return run_update(mb, "INSERT INTO cursor (name, number) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET number = excluded.number"
	    " WHERE excluded.number > cursor.number", number, 0, name, e);
}

int
dm_mailbox_retry_add(struct dm_mailbox *mb, const char *name, int64_t number,
    struct dm_err *e)
{
	return run_update(mb, "INSERT OR IGNORE INTO cursor_retry (name, number)"
	    " VALUES (?1, ?2)", number, 0, name, e);
}

int
dm_mailbox_retry_remove(struct dm_mailbox *mb, const char *name,
    int64_t number, struct dm_err *e)
{
	return run_update(mb, "DELETE FROM cursor_retry WHERE name = ?1"
	    " AND number = ?2", number, 0, name, e);
}

int
dm_mailbox_retry_list(struct dm_mailbox *mb, const char *name,
    int64_t **numbers, size_t *n, struct dm_err *e)
{
	sqlite3_stmt *st;
	int64_t *v = NULL, *grown;
	size_t cap = 0;
	int rc, code;

	*numbers = NULL;
	*n = 0;
	code = prepare(mb, "SELECT number FROM cursor_retry WHERE name = ?"
	    " ORDER BY number", &st, e);
	if (code != 0)
		return code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				free(v);
				sqlite3_finalize(st);
				return dm_err_set(e, DM_EX_SOFTWARE,
				    "out of memory");
			}
			v = grown;
		}
		v[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return sql_fail(mb, rc, "cannot read mailbox", e);
	}
	*numbers = v;
	return 0;
}
