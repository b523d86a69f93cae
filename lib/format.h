/*
 * Listing output shared by dm-inbox, dm-watch and dm-read: aligned
 * columns on a terminal, tab-separated lines elsewhere, JSON Lines, and
 * user --format strings. Every text field from a message goes through
 * the escaping of text.h, so no output line can be split or carry
 * terminal control.
 */
#ifndef DM_FORMAT_H
#define DM_FORMAT_H

#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "mailbox.h"

enum dm_out_mode {
	DM_OUT_TABLE,           /* aligned columns fitted to the terminal */
	DM_OUT_TSV,             /* one tab-separated line a message */
	DM_OUT_JSON,            /* JSON Lines */
	DM_OUT_FORMAT,          /* the user's --format */
	DM_OUT_NUL,             /* numbers separated by NUL */
};

struct dm_out {
	FILE *fp;
	enum dm_out_mode mode;
	const char *format;
	int columns;            /* terminal width */
	int num_width;          /* digits of the largest message number */
};

/*
 * Prepares output to fp. When mode is DM_OUT_TABLE but fp is not a
 * terminal, DM_OUT_TSV is used instead. max_number sizes the number
 * column.
 */
void dm_out_init(struct dm_out *o, FILE *fp, enum dm_out_mode mode,
    const char *format, int64_t max_number);

/* Writes one message. Returns 0, or DM_EX_IOERR when the write failed. */
int dm_out_msg(struct dm_out *o, const struct dm_msg *m);

/* Writes one line of the threads view. */
int dm_out_thread(struct dm_out *o, const struct dm_thread *t);

/*
 * Checks a --format string. Returns 0, or DM_EX_USAGE with e set naming
 * the bad directive.
 */
int dm_format_check(const char *fmt, struct dm_err *e);

/*
 * Expands fmt for message m into a malloc'd string. Unknown directives
 * are copied as they are (dm_format_check() rejects them first).
 */
char *dm_format_expand(const char *fmt, const struct dm_msg *m);

/* Builds the JSON object of a message (without its body). */
json_t *dm_json_msg(const struct dm_msg *m);

/* Builds a JSON string from bytes that may not be valid UTF-8. */
json_t *dm_json_bytes(const char *s, size_t n);

/* Writes o as one compact line and a newline. Returns 0 or -1. */
int dm_json_print(FILE *fp, json_t *o);

/*
 * Streams a message body into an open JSON object as "body" (a string,
 * for valid UTF-8) or "body_base64", so that memory does not grow with
 * the body. Begin writes the member name, the sink writes body bytes and
 * end closes the string.
 */
struct dm_json_body {
	FILE *fp;
	int base64;
	unsigned char carry[3];
	size_t ncarry;
};

void dm_json_body_begin(struct dm_json_body *w, FILE *fp, int base64);
int dm_json_body_sink(void *ctx, const void *buf, size_t n, struct dm_err *e);
void dm_json_body_end(struct dm_json_body *w);

/* The flag letters of m: N unread, A attachments, ! high, R replied. */
void dm_msg_flags(const struct dm_msg *m, char out[5]);

/* The width of the terminal on fp: COLUMNS, the terminal's, or 80. */
int dm_terminal_columns(FILE *fp);

#endif
