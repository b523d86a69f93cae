/*
 * Fuzzes the --since and --until parser dm_time_parse(). An accepted
 * date must print as RFC 3339 and, when that date is one the parser
 * reads (years 1970 to 9999), parse back to the same instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "timefmt.h"

/* 2026-12-04T09:30:15Z, a whole second so that every result is too. */
#define NOW_MS 1796376615000LL
/* 10000-01-01T00:00:00Z, the first instant with a five-digit year. */
#define YEAR_10000_MS 253402300800000LL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Central European rules, so local times meet summer time changes. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), text[32];
	struct dm_err e = {0};
	int64_t ms = 0, again = 0;

	FUZZ_CHECK(s != NULL);
	if (dm_time_parse(s, NOW_MS, &ms, &e) == 0) {
		FUZZ_CHECK(ms % 1000 == 0);
		dm_time_rfc3339(text, ms);
		FUZZ_CHECK(strlen(text) < sizeof(text));
		if (ms >= 0 && ms < YEAR_10000_MS) {
			if (dm_time_parse(text, NOW_MS, &again, &e) != 0) {
				fprintf(stderr, "%s -> %s: %s\n", s, text, e.msg);
				FUZZ_CHECK(!"a printed date parses");
			}
			FUZZ_CHECK(again == ms);
		}
	} else {
		FUZZ_CHECK(e.code == DM_EX_USAGE && e.msg[0] != '\0');
	}
	free(s);
	return 0;
}
