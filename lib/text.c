#define _XOPEN_SOURCE 700
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "text.h"
#include "util.h"

static int utf8_locale;

void
dm_text_init(void)
{
	const char *codeset;

	setlocale(LC_CTYPE, "");
	codeset = nl_langinfo(CODESET);
	utf8_locale = codeset != NULL && (strcmp(codeset, "UTF-8") == 0 ||
	    strcmp(codeset, "utf8") == 0);
}

int
dm_text_utf8_locale(void)
{
	return utf8_locale;
}

size_t
dm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
dm_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = dm_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Format characters that reorder or hide text: bidirectional embeddings,
 * overrides and isolates, zero-width characters, line and paragraph
 * separators and the byte order mark. Terminals render them invisibly,
 * so they are escaped like controls.
 */
static int
is_format_char(uint32_t cp)
{
	return cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
	    cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

static int
is_printable(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 0;
	if (is_format_char(cp))
		return 0;
	if (cp < 0x80)
		return 1;
	if (!utf8_locale)
		return 0;
	return wcwidth((wchar_t)cp) >= 0;
}

static void
escape_byte(struct dm_buf *b, unsigned char c)
{
	switch (c) {
	case '\t':
		dm_buf_add(b, "\\t", 2);
		break;
	case '\n':
		dm_buf_add(b, "\\n", 2);
		break;
	case '\r':
		dm_buf_add(b, "\\r", 2);
		break;
	case 0x1b:
		dm_buf_add(b, "\\e", 2);
		break;
	default:
		dm_buf_addf(b, "\\x%02x", c);
		break;
	}
}

/*
 * Appends the visible form of s[0..n) to b. Returns the number of bytes
 * consumed: all of them unless partial is set, in which case an
 * incomplete sequence or a CR at the very end is left for the next call.
 */
static size_t
visible_append(struct dm_buf *b, const unsigned char *s, size_t n, int mode,
    int partial)
{
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f) {
			dm_buf_addc(b, c);
			i++;
			continue;
		}
		if (mode == DM_TEXT_BODY && (c == '\n' || c == '\t')) {
			dm_buf_addc(b, c);
			i++;
			continue;
		}
		if (mode == DM_TEXT_BODY && c == '\r') {
			if (i + 1 == n && partial)
				return i;
			if (i + 1 < n && s[i + 1] == '\n') {
				dm_buf_add(b, "\r\n", 2);
				i += 2;
				continue;
			}
		}
		if (c < 0x80) {
			escape_byte(b, c);
			i++;
			continue;
		}
		len = dm_utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			/* A sequence cut by the chunk end may still complete. */
			if (partial && n - i < 4 && c >= 0xc2 && c <= 0xf4)
				return i;
			escape_byte(b, c);
			i++;
			continue;
		}
		if (is_printable(cp))
			dm_buf_add(b, s + i, len);
		else if (cp > 0xffff)
			dm_buf_addf(b, "\\U%08x", (unsigned)cp);
		else
			dm_buf_addf(b, "\\u%04x", (unsigned)cp);
		i += len;
	}
	return i;
}

char *
dm_text_visible(const char *s, size_t n, int mode)
{
	struct dm_buf b = {0};

	visible_append(&b, (const unsigned char *)s, n, mode, 0);
	if (b.oom) {
		dm_buf_free(&b);
		return NULL;
	}
	return dm_buf_take(&b);
}

char *
dm_text_utf8_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct dm_buf b = {0};
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		if (p[i] != 0 && p[i] < 0x80) {
			dm_buf_addc(&b, p[i]);
			i++;
			continue;
		}
		len = p[i] == 0 ? 0 : dm_utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			dm_buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		dm_buf_add(&b, p + i, len);
		i += len;
	}
	if (b.oom) {
		dm_buf_free(&b);
		return NULL;
	}
	return dm_buf_take(&b);
}

void
dm_text_put_line(FILE *fp, const char *s, size_t n)
{
	char *v = dm_text_visible(s, n, DM_TEXT_LINE);

	if (v == NULL)
		return;
	fputs(v, fp);
	free(v);
}

static int
char_width(uint32_t cp)
{
	int w;

	if (cp < 0x80)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int
dm_text_width(const char *s)
{
	int width;

	dm_text_fit(s, -1, &width);
	return width;
}

size_t
dm_text_fit(const char *s, int cols, int *width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, len;
	uint32_t cp;
	int w = 0, cw;

	while (i < n) {
		len = dm_utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			len = 1;
			cp = '?';
		}
		cw = char_width(cp);
		if (cols >= 0 && w + cw > cols)
			break;
		w += cw;
		i += len;
	}
	*width = w;
	return i;
}

void
dm_body_filter_init(struct dm_body_filter *f, FILE *out)
{
	memset(f, 0, sizeof(*f));
	f->out = out;
}

static void
filter_run(struct dm_body_filter *f, const unsigned char *p, size_t n,
    int partial)
{
	struct dm_buf b = {0};
	size_t used;

	used = visible_append(&b, p, n, DM_TEXT_BODY, partial);
	if (b.len > 0)
		fwrite(b.data, 1, b.len, f->out);
	dm_buf_free(&b);

	f->ncarry = n - used;
	memmove(f->carry, p + used, f->ncarry);
}

void
dm_body_filter_write(struct dm_body_filter *f, const void *buf, size_t n)
{
	unsigned char *joined;
	size_t total;

	if (f->ncarry == 0) {
		filter_run(f, buf, n, 1);
		return;
	}

	/* Join the bytes held back from the previous chunk with this one. */
	total = f->ncarry + n;
	joined = malloc(total);
	if (joined == NULL)
		return;
	memcpy(joined, f->carry, f->ncarry);
	memcpy(joined + f->ncarry, buf, n);
	filter_run(f, joined, total, 1);
	free(joined);
}

void
dm_body_filter_finish(struct dm_body_filter *f)
{
	struct dm_buf b = {0};

	if (f->ncarry > 0) {
		visible_append(&b, f->carry, f->ncarry, DM_TEXT_BODY, 0);
		fwrite(b.data, 1, b.len, f->out);
		dm_buf_free(&b);
		f->ncarry = 0;
	}
}
