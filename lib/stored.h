/*
 * Reading messages back from the store. Nothing from a stored message is
 * passed on before all of it has been verified. Each read makes one pass
 * that checks every chunk and then a second pass that hands out bytes, so
 * a changed or truncated file is reported before any of its bytes are
 * shown or written.
 */
#ifndef DM_STORED_H
#define DM_STORED_H

#include <stdint.h>

#include "crypto.h"
#include "envelope.h"
#include "err.h"
#include "keys.h"
#include "mailbox.h"

/* Facts about a body found by the verification pass. */
struct dm_body_info {
	uint64_t size;
	uint64_t lines;         /* newline characters */
	int utf8;               /* 1 when the body is valid UTF-8 */
	int nul;                /* 1 when the body contains a NUL byte */
	int last;               /* the last byte, -1 for an empty body */
};

/* An opened, verified stored message. */
struct dm_stored {
	int fd;                 /* the envelope, positioned at the body */
	off_t body_offset;
	struct dm_meta meta;
	struct dm_body_info body;
};

/*
 * Opens message m's stored envelope, unseals it, checks that its id,
 * sender and signing key match the index, and verifies the whole body.
 * Returns 0, DM_EX_DATAERR when anything fails verification, or another
 * exit code, with e set. Close s with dm_stored_close() in every case.
 */
int dm_stored_open(struct dm_mailbox *mb, const struct dm_identity *id,
    const struct dm_msg *m, struct dm_stored *s, struct dm_err *e);

/* Streams the verified body to sink. */
int dm_stored_body(struct dm_stored *s, dm_sink_fn sink, void *ctx,
    struct dm_err *e);

/*
 * Verifies attachment index (1-based) of the opened message in full,
 * then streams it to sink. Returns 0, DM_EX_DATAERR when it fails
 * verification (nothing was passed to sink), or another exit code.
 */
int dm_stored_attachment(struct dm_mailbox *mb, struct dm_stored *s,
    int index, dm_sink_fn sink, void *ctx, struct dm_err *e);

/* Verifies attachment index in full without passing it on. */
int dm_stored_attachment_check(struct dm_mailbox *mb, struct dm_stored *s,
    int index, struct dm_err *e);

void dm_stored_close(struct dm_stored *s);

#endif
