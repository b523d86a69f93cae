/*
 * Text from messages is data, never terminal control. These functions
 * decode UTF-8, turn control characters, bidirectional overrides and
 * invalid bytes into visible escapes, and measure display width.
 *
 * Escapes: \t \n \r \e for TAB, LF, CR and ESC, \xHH for other C0 bytes,
 * DEL and bytes that are not valid UTF-8, \uHHHH for C1 controls, format
 * characters (bidirectional overrides, zero-width characters) and other
 * non-printable code points. In a locale whose character set is not UTF-8
 * every non-ASCII character is escaped too, so that columns stay aligned.
 */
#ifndef DM_TEXT_H
#define DM_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Escape everything that is not printable: for one-line fields. */
#define DM_TEXT_LINE 0
/* Keep LF, TAB and a CR directly before LF: for bodies shown as text. */
#define DM_TEXT_BODY 1

/*
 * Reads the locale from the environment (LC_ALL, LC_CTYPE, LANG) and
 * records whether it uses UTF-8. Call once at program start.
 */
void dm_text_init(void);

/* Returns 1 when the locale's character set is UTF-8. */
int dm_text_utf8_locale(void);

/*
 * Decodes one UTF-8 sequence at s (n bytes available). Returns its length
 * and stores the code point in *cp, or returns 0 for an invalid, overlong
 * or truncated sequence. Surrogates and values above U+10FFFF are invalid.
 */
size_t dm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Returns 1 when s[0..n) is valid UTF-8. */
int dm_utf8_valid(const char *s, size_t n);

/*
 * Returns a newly allocated, NUL-terminated copy of s[0..n) in which
 * everything that could control a terminal is escaped (mode is
 * DM_TEXT_LINE or DM_TEXT_BODY). The result is valid UTF-8, or ASCII in a
 * non-UTF-8 locale. Returns NULL when out of memory.
 */
char *dm_text_visible(const char *s, size_t n, int mode);

/*
 * Returns a newly allocated copy of s[0..n) that is valid UTF-8: each
 * invalid byte becomes U+FFFD and NUL becomes U+FFFD too. Other characters
 * are kept. For JSON output. Returns NULL when out of memory.
 */
char *dm_text_utf8_clean(const char *s, size_t n);

/* Writes s[0..n) to fp escaped as by dm_text_visible(..., DM_TEXT_LINE). */
void dm_text_put_line(FILE *fp, const char *s, size_t n);

/*
 * Display width in terminal columns of a string produced by
 * dm_text_visible(): wide characters count 2, combining marks 0.
 */
int dm_text_width(const char *s);

/*
 * Returns the length in bytes of the longest prefix of the visible string
 * s whose display width is at most cols, never splitting a character, and
 * stores that width in *width.
 */
size_t dm_text_fit(const char *s, int cols, int *width);

/*
 * A body filter that escapes text as it streams through, for bodies of
 * any size: multibyte sequences and CR LF pairs may be split across
 * calls to dm_body_filter_write().
 */
struct dm_body_filter {
	FILE *out;
	unsigned char carry[8];
	size_t ncarry;
};

void dm_body_filter_init(struct dm_body_filter *f, FILE *out);
void dm_body_filter_write(struct dm_body_filter *f, const void *buf, size_t n);
/* Flushes bytes held back at the end of input (escaped as invalid). */
void dm_body_filter_finish(struct dm_body_filter *f);

#endif
