/*
 * What every program does first: find the spool and identity, load the
 * keys, open the mailbox and take in what was delivered. Also the shared
 * rule for ID arguments.
 */
#ifndef DM_SESSION_H
#define DM_SESSION_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "keys.h"
#include "mailbox.h"
#include "spool.h"
#include "takein.h"

/* Flags for dm_session_open(). */
#define DM_SESSION_KEYS 1       /* load the identity's secret keys */
#define DM_SESSION_MAILBOX 2    /* open the mailbox */
#define DM_SESSION_TAKEIN 4     /* take in the drop box (implies both) */
#define DM_SESSION_AUTOINIT 8   /* create keys for a new identity */

struct dm_session {
	struct dm_spool sp;
	struct dm_identity id;
	struct dm_mailbox mb;
	struct dm_takein_report report;
	int initialised;        /* DM_SESSION_AUTOINIT created keys */
	unsigned char fpr[DM_FPR_BYTES];
};

/*
 * Opens what flags ask for. Warnings from taking in are left in
 * s->report.warnings for the program to print. Returns 0 or an exit code
 * with e set. Close s with dm_session_close() in every case.
 */
int dm_session_open(struct dm_session *s, int flags, struct dm_err *e);

/* Takes in again (dm-watch does so on every drop-box event). */
int dm_session_takein(struct dm_session *s, struct dm_err *e);

void dm_session_close(struct dm_session *s);

/*
 * Reads message ids from in: NUL-separated when the input contains a
 * NUL, else one a line. Only the first field of a line (up to a tab or
 * space) counts, so listing output can be piped in. Appends them to ids.
 * Returns 0 or an exit code with e set.
 */
int dm_ids_read(FILE *in, struct dm_strv *ids, struct dm_err *e);

/*
 * Expands ID arguments: each "-" is replaced by the ids read from
 * standard input (read once). Returns 0 or an exit code with e set.
 */
int dm_ids_expand(int argc, char **argv, struct dm_strv *ids,
    struct dm_err *e);

#endif
