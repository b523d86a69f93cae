/*
 * dm-send --batch input: JSON Lines, one message a line, as an object
 * with the fields to (array or string), subject, body, attach (array of
 * paths), priority, tags, reply and id. Unknown fields and values of the
 * wrong type fail the line.
 */
#ifndef DM_BATCH_H
#define DM_BATCH_H

#include <stddef.h>

#include <jansson.h>

#include "send.h"
#include "util.h"

/*
 * One parsed batch line. The strings req.subject, req.body, reply and key
 * point into root. The lists req.to, req.tags and paths own copies of
 * their strings, and req.att points at att, whose paths point into paths.
 */
struct dm_batch_line {
	json_t *root;
	struct dm_send_req req;         /* body_fd is -1; no thread, parent or id */
	struct dm_strv paths;           /* "attach" */
	struct dm_send_att *att;        /* paths.n entries, names NULL */
	const char *reply;              /* "reply", or NULL */
	const char *key;                /* "id" (the idempotency key), or NULL */
};

/*
 * Parses one line of len bytes at text (no NUL needed). Returns 0, or -1
 * with a one-line message of at most errlen bytes in err, such as
 * "\"to\" is missing". Either way out must be freed with
 * dm_batch_line_free().
 */
int dm_batch_parse_line(const char *text, size_t len,
    struct dm_batch_line *out, char *err, size_t errlen);

/* Frees what l owns. Safe after a failed parse. */
void dm_batch_line_free(struct dm_batch_line *l);

#endif
