/*
 * Taking in: moving newly delivered envelopes from the identity's drop
 * box into its mailbox.
 *
 * Each envelope is verified (decrypted, signature checked against the
 * sender's published and pinned key, body and attachments checked)
 * before anything is stored. Verified messages are linked or copied into
 * the store, the store directory is synced, the index rows are committed
 * in one transaction keyed by message id, and only then are the drop-box
 * files removed. A crash at any point leaves either the drop-box files
 * (taken in again later, deduplicated by id) or the committed message.
 *
 * An envelope that fails verification is moved to the mailbox's
 * quarantine/ directory and reported. An envelope whose sender's key
 * changed without a signed rotation is left in the drop box and reported
 * until the key is accepted.
 */
#ifndef DM_TAKEIN_H
#define DM_TAKEIN_H

#include <stddef.h>

#include "err.h"
#include "keys.h"
#include "mailbox.h"
#include "util.h"

/* Bytes of each body kept in the full-text index. */
#define DM_SEARCH_MAX (1 << 20)

struct dm_takein_report {
	size_t added;           /* new messages in the mailbox */
	size_t duplicates;      /* envelopes whose id was already there */
	size_t quarantined;
	size_t left_in_box;     /* envelopes left in the drop box */
	struct dm_strv warnings;  /* one line each, for the program to print */
};

/*
 * Takes in everything waiting in the identity's drop box. Holds the
 * mailbox's take-in lock while it works, waiting at most the busy timeout
 * for it. Returns 0 (warnings may still be set), DM_EX_TEMPFAIL when the
 * lock was not obtained, or another exit code, with e set. Free the
 * report with dm_takein_report_free().
 */
int dm_takein(struct dm_mailbox *mb, const struct dm_identity *id,
    struct dm_takein_report *report, struct dm_err *e);

void dm_takein_report_free(struct dm_takein_report *report);

#endif
