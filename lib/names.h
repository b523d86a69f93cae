/*
 * Rules for the names users type: user and group names, tags and
 * priorities.
 */
#ifndef DM_NAMES_H
#define DM_NAMES_H

#include <stddef.h>

#define DM_NAME_MAX 32          /* bytes in a user or group name */
#define DM_TAG_MAX 64           /* bytes in a tag */

enum dm_priority {
	DM_PRIO_LOW = 0,
	DM_PRIO_NORMAL = 1,
	DM_PRIO_HIGH = 2,
	DM_PRIO_URGENT = 3,
};

/* Returns 1 when s matches [a-z_][a-z0-9_.-]{0,31}. */
int dm_name_valid(const char *s);

/*
 * Returns 1 when s could name an account on some system: 1 to 32
 * characters from the POSIX portable file name set, not "." or "..".
 * Such a name that fails dm_name_valid() is an unknown user, not a
 * malformed one.
 */
int dm_name_plausible(const char *s);

/*
 * Returns 1 when s is a valid tag: 1 to DM_TAG_MAX bytes of valid UTF-8
 * without control characters, white space or commas.
 */
int dm_tag_valid(const char *s);

/* Parses "low", "normal", "high" or "urgent". Returns the level or -1. */
int dm_priority_parse(const char *s);

/* Returns the name of a level ("normal" for out-of-range values). */
const char *dm_priority_name(int level);

#endif
