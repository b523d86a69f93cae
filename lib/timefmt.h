/*
 * Dates: parsing what users type for --since and --until, and printing
 * message dates.
 */
#ifndef DM_TIMEFMT_H
#define DM_TIMEFMT_H

#include <stdint.h>

#include "err.h"

/*
 * Parses s into milliseconds since the epoch. Accepted forms:
 *
 *   2026-12-04                   local midnight (TZ)
 *   2026-12-04T09:30[:15]        local time; a space may replace the T
 *   2026-12-04T09:30:15Z         UTC, or with an offset: +02:00, -0530
 *   2026-12-04T09:30:15.250Z     a fraction of a second is dropped
 *   30s 45m 2h 7d 2w             that long before now_ms
 *
 * Returns 0, or DM_EX_USAGE with e set naming the value.
 */
int dm_time_parse(const char *s, int64_t now_ms, int64_t *ms,
    struct dm_err *e);

/* Formats ms as RFC 3339 in UTC ("2026-12-04T09:30:15Z") into 32 bytes. */
char *dm_time_rfc3339(char out[32], int64_t ms);

/* Formats ms as local "2026-12-04 09:30" for terminals into 32 bytes. */
char *dm_time_short(char out[32], int64_t ms);

#endif
