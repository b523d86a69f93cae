/*
 * The user's mailbox: an SQLite database in WAL mode at
 * SPOOL/users/USER/mailbox.db indexing the messages taken in, whose
 * envelopes and attachments stay encrypted in SPOOL/users/USER/store/.
 *
 * Every write is a short transaction started with BEGIN IMMEDIATE under
 * a busy timeout, so concurrent readers, writers and watchers wait for
 * each other instead of failing. A wait that runs out is DM_EX_TEMPFAIL.
 */
#ifndef DM_MAILBOX_H
#define DM_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "err.h"
#include "spool.h"
#include "util.h"

#define DM_SCHEMA_VERSION 1
#define DM_BUSY_TIMEOUT_MS 30000

struct sqlite3;

struct dm_mailbox {
	struct sqlite3 *db;
	const struct dm_spool *sp;
	char *dir;              /* SPOOL/users/USER */
	char *store;            /* SPOOL/users/USER/store */
};

struct dm_att_row {
	int index;              /* 1-based, as listed */
	char *name;
	size_t name_len;
	char *type;
	int64_t size;
};

/* One message as the index records it. */
struct dm_msg {
	int64_t number;
	char id[DM_ID_LEN + 1];
	char thread[DM_ID_LEN + 1];
	char parent[DM_ID_LEN + 1];
	char *from;
	char *to;               /* as addressed, space-separated */
	char *rcpt;             /* delivered to, space-separated */
	int64_t date_ms;
	char *subject;          /* may contain any byte but NUL */
	size_t subject_len;
	int priority;
	char *tags;             /* space-separated, "" when none */
	int unread, archived, replied, inbox, sent;
	int64_t body_size;
	int64_t size;           /* body plus attachments, plaintext bytes */
	int natt;
	struct dm_att_row *att; /* loaded only on request */
	unsigned char signer[32];
};

/* Selection and order of messages. Zero means "no condition". */
struct dm_filter {
	int unread;
	int archived;           /* include archived messages */
	int sent;               /* the sent view instead of the inbox */
	int any;                /* inbox and sent alike (threads, watch) */
	const char *from;
	int64_t since_ms;       /* INT64_MIN for none */
	int64_t until_ms;       /* INT64_MAX for none */
	const char *tag;
	const char *grep;
	const char *thread;     /* thread id */
	int64_t after;          /* numbers above this only */
	int min_priority;
	int reverse;
	long limit;             /* 0 for no limit */
	int by_number;          /* order by number instead of date */
	int with_attachments;   /* fill dm_msg.att */
};

/* Sets a filter to "everything in the inbox, oldest first". */
void dm_filter_init(struct dm_filter *f);

/*
 * Opens (creating on first use) the identity's mailbox. Returns 0,
 * DM_EX_CONFIG when the identity has no mailbox directory or the
 * database is corrupt or of an unknown version, or another exit code,
 * with e set.
 */
int dm_mailbox_open(const struct dm_spool *sp, struct dm_mailbox *mb,
    struct dm_err *e);

void dm_mailbox_close(struct dm_mailbox *mb);

/* Transactions; begin takes the write lock at once. */
int dm_mailbox_begin(struct dm_mailbox *mb, struct dm_err *e);
int dm_mailbox_commit(struct dm_mailbox *mb, struct dm_err *e);
void dm_mailbox_rollback(struct dm_mailbox *mb);

/* Called for each message; a non-zero return stops the listing. */
typedef int (*dm_msg_fn)(void *ctx, const struct dm_msg *m, struct dm_err *e);

/* Lists the messages f selects. Returns 0 or an exit code with e set. */
int dm_mailbox_list(struct dm_mailbox *mb, const struct dm_filter *f,
    dm_msg_fn fn, void *ctx, struct dm_err *e);

/*
 * Appends the numbers of the messages f selects, in f's order, to the
 * malloc'd array *v of *n entries (both may start empty). Returns 0 or an
 * exit code with e set.
 */
int dm_mailbox_numbers(struct dm_mailbox *mb, const struct dm_filter *f,
    int64_t **v, size_t *n, struct dm_err *e);

/* Counts the messages f selects (ignoring order and limit). */
int dm_mailbox_count(struct dm_mailbox *mb, const struct dm_filter *f,
    long *count, struct dm_err *e);

/* One line of the threads view. */
struct dm_thread {
	char thread[DM_ID_LEN + 1];
	char *participants;     /* space-separated */
	long messages;
	long unread;
	int64_t last_date_ms;
	int64_t last_number;
	char *last_subject;
	size_t last_subject_len;
};

typedef int (*dm_thread_fn)(void *ctx, const struct dm_thread *t,
    struct dm_err *e);

/* Lists conversations containing messages f selects, oldest first. */
int dm_mailbox_threads(struct dm_mailbox *mb, const struct dm_filter *f,
    dm_thread_fn fn, void *ctx, struct dm_err *e);

/*
 * Loads message number into m (with attachments). Returns 0,
 * DM_EX_NOINPUT when there is no such message, or another exit code.
 */
int dm_mailbox_get(struct dm_mailbox *mb, int64_t number, struct dm_msg *m,
    struct dm_err *e);

/* Frees what dm_mailbox_get() filled in. */
void dm_msg_free(struct dm_msg *m);

/*
 * Resolves an ID argument: a message number, a full id or an unambiguous
 * id prefix of at least 6 characters. Returns 0, DM_EX_USAGE for a
 * malformed or ambiguous argument, or DM_EX_NOINPUT when nothing
 * matches, with e set.
 */
int dm_mailbox_resolve(struct dm_mailbox *mb, const char *arg,
    int64_t *number, struct dm_err *e);

/* Returns 1 when a message with this id is in the mailbox. */
int dm_mailbox_has_id(struct dm_mailbox *mb, const char *id);

enum dm_flag {
	DM_FLAG_UNREAD,
	DM_FLAG_ARCHIVED,
	DM_FLAG_REPLIED,
};

/* Sets flag of message number to value. */
int dm_mailbox_set_flag(struct dm_mailbox *mb, int64_t number,
    enum dm_flag flag, int value, struct dm_err *e);

/* Sets the replied flag of the message with this id, if there is one. */
int dm_mailbox_mark_replied(struct dm_mailbox *mb, const char *id,
    struct dm_err *e);

/*
 * Deletes message number from the index and then its stored files.
 * Returns 0 or an exit code with e set.
 */
int dm_mailbox_delete(struct dm_mailbox *mb, int64_t number, struct dm_err *e);

/*
 * Inserts a verified message inside the caller's transaction. text is the
 * start of the body for the search index (text_len bytes). Stores the new
 * number in *number. Returns 0 or an exit code with e set.
 */
int dm_mailbox_insert(struct dm_mailbox *mb, const struct dm_meta *m,
    int inbox, int sent, uint64_t body_size, const char *text,
    size_t text_len, int64_t *number, struct dm_err *e);

/* Paths of a message's stored envelope and attachments (malloc'd). */
char *dm_mailbox_envelope_path(const struct dm_mailbox *mb, const char *id);
char *dm_mailbox_part_path(const struct dm_mailbox *mb, const char *id,
    int index);

/* The highest message number in use (0 when empty). */
int dm_mailbox_max_number(struct dm_mailbox *mb, int64_t *number,
    struct dm_err *e);

/*
 * Watch cursors: the last message number reported under a name, and the
 * numbers whose hook failed and must be retried.
 * dm_mailbox_cursor_get() stores -1 when the name has no cursor yet.
 */
int dm_mailbox_cursor_get(struct dm_mailbox *mb, const char *name,
    int64_t *number, struct dm_err *e);
int dm_mailbox_cursor_set(struct dm_mailbox *mb, const char *name,
    int64_t number, struct dm_err *e);
int dm_mailbox_retry_add(struct dm_mailbox *mb, const char *name,
    int64_t number, struct dm_err *e);
int dm_mailbox_retry_remove(struct dm_mailbox *mb, const char *name,
    int64_t number, struct dm_err *e);
/* Stores a malloc'd array of the numbers to retry, in order. */
int dm_mailbox_retry_list(struct dm_mailbox *mb, const char *name,
    int64_t **numbers, size_t *n, struct dm_err *e);

#endif
