#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>

#include "attach.h"
#include "text.h"
#include "util.h"

/* Extensions that name a more precise text type than text/plain. */
static const struct {
	const char *ext;
	const char *type;
} text_types[] = {
	{ "csv", "text/csv" },
	{ "tsv", "text/tab-separated-values" },
	{ "md", "text/markdown" },
	{ "markdown", "text/markdown" },
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "mjs", "text/javascript" },
	{ "xml", "text/xml" },
	{ "ics", "text/calendar" },
	{ "vcf", "text/vcard" },
	{ "vtt", "text/vtt" },
	{ "rtf", "text/rtf" },
	{ "diff", "text/x-diff" },
	{ "patch", "text/x-diff" },
	{ "rst", "text/x-rst" },
	{ "tex", "text/x-tex" },
};

/* Other names for a type, mapped to the registered one. */
static const struct {
	const char *alias;
	const char *type;
} aliases[] = {
	{ "application/csv", "text/csv" },
	{ "text/x-csv", "text/csv" },
	{ "text/comma-separated-values", "text/csv" },
	{ "application/x-csv", "text/csv" },
	{ "text/x-markdown", "text/markdown" },
};

static int
load(struct dm_typer *t, struct dm_err *e)
{
	magic_t m;

	if (t->magic != NULL)
		return 0;
	m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (m == NULL)
		return dm_err_sys(e, errno, DM_EX_SOFTWARE,
		    "cannot initialise libmagic");
	if (magic_load(m, NULL) != 0) {
		dm_err_set(e, DM_EX_CONFIG, "cannot load the libmagic database: %s",
		    magic_error(m));
		magic_close(m);
		return DM_EX_CONFIG;
	}
	t->magic = m;
	return 0;
}

void
dm_type_close(struct dm_typer *t)
{
	if (t->magic != NULL)
		magic_close(t->magic);
	t->magic = NULL;
}

size_t
dm_type_bytes_wanted(void)
{
	/* Enough for every magic test that matters for attachments. */
	return 1 << 20;
}

static const char *
extension(const char *name)
{
	const char *slash = strrchr(name, '/'), *dot;

	if (slash != NULL)
		name = slash + 1;
	dot = strrchr(name, '.');
	return dot != NULL && dot != name ? dot + 1 : NULL;
}

/* Printable ASCII and white space only: libmagic's "very short" text. */
static int
looks_like_text(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(isprint(p[i]) || p[i] == '\n' || p[i] == '\t' ||
		    p[i] == '\r'))
			return 0;
	return 1;
}

void
dm_type_refine(const char *raw, const char *name, const void *head, size_t n,
    char out[DM_TYPE_BUFSIZE])
{
	const char *type = raw, *ext;
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(type, aliases[i].alias) == 0)
			type = aliases[i].type;

	/*
	 * libmagic names an empty file inode/x-empty from a path and
	 * application/x-empty from a descriptor or a buffer. It names a file
	 * of a few bytes application/octet-stream. Both are text when every
	 * byte is.
	 */
	if (n == 0 || strncmp(type, "inode/", 6) == 0 ||
	    (strcmp(type, "application/octet-stream") == 0 && n < 8 &&
	    looks_like_text(head, n)))
		type = n == 0 || looks_like_text(head, n) ? "text/plain" :
		    "application/octet-stream";

	ext = name != NULL ? extension(name) : NULL;
	if (strcmp(type, "text/plain") == 0 && ext != NULL) {
		for (i = 0; i < sizeof(text_types) / sizeof(text_types[0]); i++)
			if (strcasecmp(ext, text_types[i].ext) == 0)
				type = text_types[i].type;
	}
	snprintf(out, DM_TYPE_BUFSIZE, "%s", type);
}

int
dm_type_buffer(struct dm_typer *t, const void *buf, size_t n, const char *name,
    char out[DM_TYPE_BUFSIZE], struct dm_err *e)
{
	const char *raw;
	int code;

	code = load(t, e);
	if (code != 0)
		return code;
	raw = magic_buffer(t->magic, buf, n);
	if (raw == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "cannot detect type: %s",
		    magic_error(t->magic));
	dm_type_refine(raw, name, buf, n, out);
	return 0;
}

int
dm_type_fd(struct dm_typer *t, int fd, const char *name,
    char out[DM_TYPE_BUFSIZE], struct dm_err *e)
{
	unsigned char head[8];
	const char *raw;
	ssize_t n;
	int code, dupfd;

	code = load(t, e);
	if (code != 0)
		return code;
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot read %s", name);

	/* libmagic closes nothing, but it may move the offset. */
	dupfd = dup(fd);
	if (dupfd < 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", name);
	raw = magic_descriptor(t->magic, dupfd);
	close(dupfd);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s", name);
	if (raw == NULL)
		return dm_err_set(e, DM_EX_NOINPUT, "cannot detect type of %s: %s",
		    name, magic_error(t->magic));
	dm_type_refine(raw, name, head, (size_t)n, out);
	return 0;
}

static int
is_device_name(const char *s)
{
	static const char *const reserved[] = { "con", "prn", "aux", "nul",
		"clock$" };
	size_t stem = strcspn(s, ".");
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (stem == strlen(reserved[i]) &&
		    strncasecmp(s, reserved[i], stem) == 0)
			return 1;
	if (stem == 4 && (strncasecmp(s, "com", 3) == 0 ||
	    strncasecmp(s, "lpt", 3) == 0) && isdigit((unsigned char)s[3]))
		return 1;
	return 0;
}

/* Shortens s to at most max bytes at a character boundary, keeping a
 * short extension. */
static void
truncate_name(char *s, size_t max)
{
	size_t n = strlen(s), keep_ext = 0, cut;
	const char *dot = strrchr(s, '.');

	if (n <= max)
		return;
	if (dot != NULL && dot != s && strlen(dot) <= 16)
		keep_ext = strlen(dot);
	cut = max - keep_ext;
	/* Step back over UTF-8 continuation bytes. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	memmove(s + cut, s + n - keep_ext, keep_ext + 1);
}

char *
dm_att_safe_name(const char *name, size_t len, int index)
{
	const unsigned char *p = (const unsigned char *)name;
	struct dm_buf b = {0};
	size_t i, start = 0, step;
	uint32_t cp;
	char *s;

	/* Only the last path component counts, with either separator. */
	for (i = 0; i < len; i++)
		if (p[i] == '/' || p[i] == '\\')
			start = i + 1;

	for (i = start; i < len; i += step) {
		step = dm_utf8_decode(p + i, len - i, &cp);
		if (step == 0) {
			dm_buf_addc(&b, '_');
			step = 1;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029 || (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0xfeff || cp == ':' || cp == '*' || cp == '?' ||
		    cp == '"' || cp == '<' || cp == '>' || cp == '|')
			dm_buf_addc(&b, '_');
		else
			dm_buf_add(&b, p + i, step);
	}
	s = dm_buf_take(&b);
	if (s == NULL)
		return NULL;

	/* No hidden files, nothing that reads as an option, no "." or "..". */
	i = strspn(s, ". -");
	memmove(s, s + i, strlen(s + i) + 1);
	/* Trailing dots and spaces vanish on some file systems. */
	for (i = strlen(s); i > 0 && (s[i - 1] == '.' || s[i - 1] == ' '); i--)
		s[i - 1] = '\0';

	if (s[0] == '\0') {
		free(s);
		return dm_strf("attachment-%d", index);
	}
	if (is_device_name(s)) {
		char *prefixed = dm_strf("_%s", s);

		free(s);
		s = prefixed;
		if (s == NULL)
			return NULL;
	}
	truncate_name(s, 240);
	return s;
}

char *
dm_att_clash_name(const char *safe, int n)
{
	const char *dot = strrchr(safe, '.');

	if (dot == NULL || dot == safe)
		return dm_strf("%s (%d)", safe, n);
	return dm_strf("%.*s (%d)%s", (int)(dot - safe), safe, n, dot);
}
