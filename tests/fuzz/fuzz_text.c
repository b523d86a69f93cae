/*
 * Fuzzes the text escaping of lib/text.c against an independent UTF-8
 * decoder that lists the well-formed byte ranges (no overlong forms, no
 * surrogates, nothing above U+10FFFF):
 *   - dm_utf8_decode() and dm_utf8_valid() agree with that decoder;
 *   - dm_text_visible() output is valid UTF-8 with no C0 control, DEL,
 *     C1 control or bidirectional control (body mode keeps LF, TAB and
 *     CR before LF);
 *   - the streaming body filter, fed in pieces, writes exactly what
 *     dm_text_visible() returns for the whole body;
 *   - dm_text_utf8_clean() output is valid UTF-8 without NUL bytes;
 *   - dm_text_fit() never splits a character or exceeds the width.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	dm_text_init();
	FUZZ_CHECK(dm_text_utf8_locale());
	return 0;
}

/*
 * Decodes one well-formed sequence at s. Returns its length and stores
 * the code point, or returns 0 when the bytes are not well-formed.
 */
static size_t
ref_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const struct {
		unsigned char first_lo, first_hi, second_lo, second_hi;
		size_t len;
	} rows[] = {
		{ 0x00, 0x7f, 0x00, 0x00, 1 },
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};
	static const uint32_t lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t r, i, len;
	uint32_t v;

	if (n == 0)
		return 0;
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		if (s[0] >= rows[r].first_lo && s[0] <= rows[r].first_hi)
			break;
	if (r == sizeof(rows) / sizeof(rows[0]))
		return 0;
	len = rows[r].len;
	if (n < len)
		return 0;
	if (len > 1 && (s[1] < rows[r].second_lo || s[1] > rows[r].second_hi))
		return 0;
	v = s[0] & lead_mask[len];
	for (i = 1; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

static int
ref_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		len = ref_decode(s + i, n - i, &cp);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* C1 controls and the bidirectional embeddings, overrides and isolates. */
static int
is_hidden_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f;
}

/* Checks escaped text: valid UTF-8 that cannot control a terminal. */
static void
check_visible(const char *v, int mode)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v), i, len;
	uint32_t cp;

	FUZZ_CHECK(ref_valid(p, n));
	for (i = 0; i < n; i += len) {
		len = ref_decode(p + i, n - i, &cp);
		if (mode == DM_TEXT_BODY && (cp == '\n' || cp == '\t'))
			continue;
		if (mode == DM_TEXT_BODY && cp == '\r' && p[i + 1] == '\n')
			continue;
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f);
		FUZZ_CHECK(!is_hidden_control(cp));
	}
}

static void
check_decoder(const uint8_t *data, size_t size)
{
	uint32_t cp = 0, ref_cp = 0;
	size_t i, len, ref_len;

	for (i = 0; i < size; i++) {
		len = dm_utf8_decode(data + i, size - i, &cp);
		ref_len = ref_decode(data + i, size - i, &ref_cp);
		FUZZ_CHECK(len == ref_len);
		FUZZ_CHECK(len == 0 || cp == ref_cp);
	}
	FUZZ_CHECK(dm_utf8_valid((const char *)data, size) ==
	    ref_valid(data, size));
}

/*
 * Feeds the body to the streaming filter in pieces of 1 to 8 bytes, the
 * sizes taken from the input itself, and returns what it wrote.
 */
static char *
filter_in_pieces(const uint8_t *data, size_t size, size_t *out_len)
{
	struct dm_body_filter f;
	char *out = NULL;
	size_t off = 0, piece, k = 0;
	FILE *fp = open_memstream(&out, out_len);

	FUZZ_CHECK(fp != NULL);
	dm_body_filter_init(&f, fp);
	while (off < size) {
		piece = 1 + data[k++ % size] % 8;
		if (piece > size - off)
			piece = size - off;
		dm_body_filter_write(&f, data + off, piece);
		off += piece;
	}
	dm_body_filter_finish(&f);
	FUZZ_CHECK(fclose(fp) == 0);
	return out;
}

/* The length dm_text_utf8_clean() must return for the input. */
static size_t
clean_length(const uint8_t *data, size_t size)
{
	size_t i = 0, total = 0, len;
	uint32_t cp;

	while (i < size) {
		len = data[i] == 0 ? 0 : ref_decode(data + i, size - i, &cp);
		if (len == 0) {
			total += 3;
			i++;
		} else {
			total += len;
			i += len;
		}
	}
	return total;
}

static void
check_fit(const char *v, int cols)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t fit, n = strlen(v);
	int width = -1;

	fit = dm_text_fit(v, cols, &width);
	FUZZ_CHECK(fit <= n);
	FUZZ_CHECK(width >= 0 && width <= cols);
	FUZZ_CHECK(ref_valid(p, fit));
	FUZZ_CHECK(dm_text_width(v) >= width);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, *body, *streamed, *clean;
	size_t streamed_len = 0;

	check_decoder(data, size);

	line = dm_text_visible((const char *)data, size, DM_TEXT_LINE);
	FUZZ_CHECK(line != NULL);
	check_visible(line, DM_TEXT_LINE);
	FUZZ_CHECK(strchr(line, '\n') == NULL);
	check_fit(line, size > 0 ? data[0] % 100 : 0);

	body = dm_text_visible((const char *)data, size, DM_TEXT_BODY);
	FUZZ_CHECK(body != NULL);
	check_visible(body, DM_TEXT_BODY);
	streamed = filter_in_pieces(data, size, &streamed_len);
	if (streamed_len != strlen(body) ||
	    memcmp(streamed, body, streamed_len) != 0) {
		fprintf(stderr, "whole:    %s\nstreamed: %.*s\n", body,
		    (int)streamed_len, streamed);
		FUZZ_CHECK(!"streamed body equals the whole body escaped");
	}

	clean = dm_text_utf8_clean((const char *)data, size);
	FUZZ_CHECK(clean != NULL);
	FUZZ_CHECK(strlen(clean) == clean_length(data, size));
	FUZZ_CHECK(ref_valid((const unsigned char *)clean, strlen(clean)));

	free(clean);
	free(streamed);
	free(body);
	free(line);
	return 0;
}
