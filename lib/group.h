/*
 * Groups: "@NAME" expands to the members of the group defined in
 * SPOOL/groups/NAME, or else to the members of the Unix group NAME.
 *
 * A group file is text:
 *
 *   dm-group 1
 *   owner alice
 *   member bob
 *   member carol
 *
 * Only its owner may change it; on a system spool the file must also be
 * owned by the owner's uid, or it is ignored.
 */
#ifndef DM_GROUP_H
#define DM_GROUP_H

#include "err.h"
#include "spool.h"
#include "util.h"

#define DM_GROUP_MEMBERS_MAX 256

struct dm_group {
	char name[33];
	char owner[33];
	struct dm_strv members;
	int unix_group;         /* 1 when it came from the Unix group database */
};

/*
 * Loads group name (without "@"). Returns 0, DM_EX_NOUSER when neither a
 * spool group nor a Unix group has that name, DM_EX_DATAERR when the
 * group file is corrupt or not owned by its owner, or another exit code,
 * with e set. Free g with dm_group_free().
 */
int dm_group_load(const struct dm_spool *sp, const char *name,
    struct dm_group *g, struct dm_err *e);

/* Loads only a spool group; DM_EX_NOINPUT when there is none. */
int dm_group_load_spool(const struct dm_spool *sp, const char *name,
    struct dm_group *g, struct dm_err *e);

void dm_group_free(struct dm_group *g);

/*
 * Writes g to the spool. With create, fails with DM_EX_CANTCREAT when
 * the group exists. Returns 0 or an exit code with e set.
 */
int dm_group_save(const struct dm_spool *sp, const struct dm_group *g,
    int create, struct dm_err *e);

/* Removes group name from the spool. */
int dm_group_remove(const struct dm_spool *sp, const char *name,
    struct dm_err *e);

/* Lists the names of the spool's groups, sorted. */
int dm_group_names(const struct dm_spool *sp, struct dm_strv *names,
    struct dm_err *e);

#endif
