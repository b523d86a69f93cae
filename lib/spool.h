/*
 * The spool: where it is, whose identity acts on it, and its layout.
 *
 *   SPOOL/format          "dm-spool 1 personal" or "dm-spool 1 system"
 *   SPOOL/keys/USER.pub   published public keys
 *   SPOOL/boxes/USER/     USER's drop box, where senders deliver
 *   SPOOL/users/USER/     USER's mailbox: mailbox.db, store/, quarantine/
 *   SPOOL/groups/NAME     groups defined with dm-group
 *
 * A personal spool belongs to one Unix account and may hold several
 * identities (DM_USER). A system spool is created by root. There every
 * identity is a login name, and the owner uid of each file decides whose
 * it is.
 */
#ifndef DM_SPOOL_H
#define DM_SPOOL_H

#include <sys/types.h>

#include "err.h"

#define DM_SPOOL_VERSION 1
#define DM_SYSTEM_SPOOL "/var/spool/dm"

struct dm_spool {
	char *root;             /* spool directory */
	char *home;             /* DM_HOME: keys and configuration */
	char *user;             /* identity acting on the spool */
	int system;             /* 1 on a system spool */
	uid_t uid;              /* real uid of the process */
};

/* Flags for dm_spool_open(). */
#define DM_SPOOL_CREATE 1       /* create a missing personal spool */

/*
 * Resolves the spool, DM_HOME and the identity from the environment and
 * checks the spool's format marker. With DM_SPOOL_CREATE a missing spool
 * is created as a personal spool. Returns 0, or DM_EX_CONFIG (missing or
 * unknown spool), DM_EX_NOPERM (DM_USER not allowed here) or another
 * exit code with e set. Free sp with dm_spool_close() in every case.
 */
int dm_spool_open(struct dm_spool *sp, int flags, struct dm_err *e);

void dm_spool_close(struct dm_spool *sp);

/*
 * Creates a system spool at DM_SPOOL or /var/spool/dm, owned by root.
 * Returns 0 or an exit code with e set; a spool that already exists is
 * checked and its modes repaired.
 */
int dm_spool_create_system(struct dm_err *e);

/* Returns a malloc'd path under the spool root, or NULL when out of memory. */
char *dm_spool_path(const struct dm_spool *sp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Creates the identity's own directories (drop box, mailbox directory,
 * store and quarantine) with the modes this kind of spool needs. Returns
 * 0 or an exit code with e set.
 */
int dm_spool_create_user(const struct dm_spool *sp, struct dm_err *e);

/*
 * Looks up the uid that owns name on a system spool. Returns 0, or
 * DM_EX_NOUSER when there is no such account.
 */
int dm_spool_user_uid(const char *name, uid_t *uid, struct dm_err *e);

/*
 * Checks that the file or directory at path may be trusted as belonging
 * to user. On a system spool its owner must be that user's uid, and on a
 * personal spool it must be the spool's owner. Returns 0 or an
 * exit code with e set.
 */
int dm_spool_check_owner(const struct dm_spool *sp, const char *path,
    const char *user, struct dm_err *e);

#endif
