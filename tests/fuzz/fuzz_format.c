/*
 * Fuzzes --format strings: dm_format_check() and, when it accepts,
 * dm_format_expand() for a fixed message. The input is the format, then
 * optionally a NUL byte and the subject of the message, so that padding
 * is also tried on wide, invalid and control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "fuzz_check.h"
#include "text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("LC_ALL", "C.UTF-8", 1);
	setenv("TZ", "UTC", 1);
	dm_text_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_msg m;
	struct dm_err e = {0};
	const uint8_t *nul = memchr(data, '\0', size), *subject, *end;
	char *fmt, *subject_copy, *out;
	size_t fmt_len = nul != NULL ? (size_t)(nul - data) : size;

	fmt = strndup((const char *)data, fmt_len);
	FUZZ_CHECK(fmt != NULL);
	subject = nul != NULL ? nul + 1 : data + size;
	end = memchr(subject, '\0', (size_t)(data + size - subject));
	if (end == NULL)
		end = data + size;
	subject_copy = strndup((const char *)subject, (size_t)(end - subject));
	FUZZ_CHECK(subject_copy != NULL);

	memset(&m, 0, sizeof(m));
	m.number = 42;
	strcpy(m.id, "0abcdefghjkmnpqrstvwxyz012");
	strcpy(m.thread, m.id);
	m.from = (char *)"alice";
	m.to = (char *)"bob @team";
	m.rcpt = (char *)"bob carol";
	m.date_ms = 1796376615000;
	m.subject = subject_copy;
	m.subject_len = (size_t)(end - subject);
	m.priority = 2;
	m.tags = (char *)"work urgent";
	m.unread = 1;
	m.natt = 1;
	m.size = 1234;

	if (dm_format_check(fmt, &e) == 0) {
		out = dm_format_expand(fmt, &m);
		FUZZ_CHECK(out != NULL);
		/* Text without directives or escapes is copied as it is. */
		if (strpbrk(fmt, "%\\") == NULL)
			FUZZ_CHECK(strcmp(out, fmt) == 0);
		free(out);
	} else {
		FUZZ_CHECK(e.code == DM_EX_USAGE && e.msg[0] != '\0');
	}
	free(subject_copy);
	free(fmt);
	return 0;
}
