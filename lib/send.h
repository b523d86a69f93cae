/*
 * Sending: expanding recipients, encrypting attachments once, and
 * delivering one envelope per recipient plus the sender's own copy.
 *
 * Delivery into a drop box is Maildir-like: the envelope is written to a
 * hidden temporary file, fsynced, renamed to "<id>.env" and the directory
 * is fsynced. Attachments are encrypted once into the sender's drop box,
 * fsynced, and hard-linked into every recipient's box as "<id>.<n>"
 * before any envelope that names them appears. The sender's copy is
 * renamed into place last, so its presence means every recipient's copy
 * is durable.
 */
#ifndef DM_SEND_H
#define DM_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "attach.h"
#include "envelope.h"
#include "err.h"
#include "keys.h"
#include "spool.h"
#include "util.h"

struct dm_send_att {
	const char *path;       /* file to attach, "-" for standard input */
	const char *name;       /* name to give it; NULL for the default */
};

struct dm_send_req {
	struct dm_strv to;      /* recipients as typed: "bob", "@team" */
	const char *subject;
	size_t subject_len;
	int body_fd;            /* read the body from here, or -1 */
	const char *body;       /* else this text */
	size_t body_len;
	const struct dm_send_att *att;
	size_t natt;
	int priority;
	struct dm_strv tags;
	const char *thread;     /* thread of the message replied to, or NULL */
	const char *parent;     /* id of the message replied to, or NULL */
	const char *id;         /* fixed message id, or NULL for a new one */
};

struct dm_send_failure {
	char *rcpt;
	struct dm_err err;
};

struct dm_send_result {
	struct dm_meta meta;    /* what was sent (keys wiped) */
	uint64_t body_size;
	struct dm_send_failure *fail;
	size_t nfail;
	size_t delivered;       /* recipients whose copy is stored */
};

/*
 * Sends req as identity me. Delivers to every recipient it can; a
 * recipient that fails is recorded in res->fail and does not stop the
 * others. Returns 0 when every recipient got a copy, the exit code of the
 * first failure otherwise (res->fail names each), or an exit code with e set
 * when nothing could be sent at all (bad attachment, no recipient).
 * Free res with dm_send_result_free().
 */
int dm_send(const struct dm_spool *sp, const struct dm_identity *me,
    struct dm_typer *typer, const struct dm_send_req *req,
    struct dm_send_result *res, struct dm_err *e);

void dm_send_result_free(struct dm_send_result *res);

/*
 * Returns 1 when the sender's own copy of message id is waiting in the
 * sender's drop box, meaning the message was sent.
 */
int dm_send_was_sent(const struct dm_spool *sp, const char *id);

#endif
