#include <string.h>

#include "names.h"
#include "text.h"

int
dm_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DM_NAME_MAX)
		return 0;
	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
dm_name_plausible(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DM_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
dm_tag_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DM_TAG_MAX || !dm_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == ',')
			return 0;
		/* C1 controls encoded as UTF-8: U+0080 to U+009F. */
		if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

static const char *const priority_names[] = {
	"low", "normal", "high", "urgent",
};

int
dm_priority_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, priority_names[i]) == 0)
			return i;
	return -1;
}

const char *
dm_priority_name(int level)
{
	if (level < 0 || level > 3)
		return "normal";
	return priority_names[level];
}
