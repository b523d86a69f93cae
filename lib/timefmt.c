#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* Reads exactly n digits at *p. Returns the value or -1. */
static int
digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static int
parse_relative(const char *s, int64_t now_ms, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		{ 'd', 86400000 }, { 'w', 7 * 86400000LL },
	};
	int64_t n = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (n > 100000000)
			return -1;
		n = n * 10 + (*s++ - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[0] == units[i].unit && s[1] == '\0') {
			*ms = now_ms - n * units[i].ms;
			return 0;
		}
	return -1;
}

/* Parses "Z", "+HH", "+HH:MM" or "+HHMM" into seconds east of UTC. */
static int
parse_offset(const char *p, long *offset)
{
	int sign, h, m = 0;

	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*offset = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	h = digits(&p, 2);
	if (h < 0 || h > 23)
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0') {
		m = digits(&p, 2);
		if (m < 0 || m > 59 || *p != '\0')
			return -1;
	}
	*offset = sign * (h * 3600L + m * 60L);
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int
parse_absolute(const char *s, int64_t *ms)
{
	const char *p = s;
	struct tm tm;
	time_t t;
	long offset = 0;
	int zoned = 0;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(&p, 4);
	if (tm.tm_year < 1970 || *p++ != '-')
		return -1;
	tm.tm_mon = digits(&p, 2);
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || *p++ != '-')
		return -1;
	tm.tm_mday = digits(&p, 2);
	if (tm.tm_mday < 1 || tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon))
		return -1;

	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		tm.tm_hour = digits(&p, 2);
		if (tm.tm_hour < 0 || tm.tm_hour > 23 || *p++ != ':')
			return -1;
		tm.tm_min = digits(&p, 2);
		if (tm.tm_min < 0 || tm.tm_min > 59)
			return -1;
		if (*p == ':') {
			p++;
			tm.tm_sec = digits(&p, 2);
			if (tm.tm_sec < 0 || tm.tm_sec > 60)
				return -1;
			/* RFC 3339 allows a fraction; dates here count whole
			 * seconds, so it is read and dropped. */
			if (*p == '.') {
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (*p != '\0') {
			if (parse_offset(p, &offset) != 0)
				return -1;
			zoned = 1;
		}
	} else if (*p != '\0') {
		return -1;
	}

	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	if (zoned)
		t = timegm(&tm) - offset;
	else
		t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int
dm_time_parse(const char *s, int64_t now_ms, int64_t *ms, struct dm_err *e)
{
	if (parse_relative(s, now_ms, ms) == 0 || parse_absolute(s, ms) == 0)
		return 0;
	return dm_err_set(e, DM_EX_USAGE,
	    "invalid date: %s: give 2026-12-04, 2026-12-04T09:30, an offset "
	    "such as Z or +02:00, or an age such as 30m, 2h, 7d", s);
}

char *
dm_time_rfc3339(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

char *
dm_time_short(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		snprintf(out, 32, "1970-01-01 00:00");
	else
		strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
	return out;
}
