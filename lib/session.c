#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "session.h"

int
dm_session_open(struct dm_session *s, int flags, struct dm_err *e)
{
	int code;

	memset(s, 0, sizeof(*s));
	if (flags & DM_SESSION_TAKEIN)
		flags |= DM_SESSION_KEYS | DM_SESSION_MAILBOX;

	code = dm_crypto_init(e);
	if (code == 0)
		code = dm_spool_open(&s->sp, (flags & DM_SESSION_AUTOINIT) ?
		    DM_SPOOL_CREATE : 0, e);
	if (code != 0)
		return code;

	if (flags & DM_SESSION_KEYS) {
		code = dm_keys_load_identity(&s->sp, &s->id, e);
		if (code == DM_EX_NOINPUT && (flags & DM_SESSION_AUTOINIT)) {
			code = dm_keys_init(&s->sp, 0, &s->id, &s->initialised, e);
			if (code == 0)
				memcpy(s->fpr, s->id.keys[s->id.n - 1].pub.fpr,
				    DM_FPR_BYTES);
		} else if (code == DM_EX_NOINPUT) {
			code = DM_EX_CONFIG;
			e->code = code;
		}
		if (code != 0)
			return code;
	}
	if (flags & DM_SESSION_MAILBOX) {
		code = dm_mailbox_open(&s->sp, &s->mb, e);
		if (code != 0)
			return code;
	}
	if (flags & DM_SESSION_TAKEIN)
		code = dm_session_takein(s, e);
	return code;
}

int
dm_session_takein(struct dm_session *s, struct dm_err *e)
{
	dm_takein_report_free(&s->report);
	return dm_takein(&s->mb, &s->id, &s->report, e);
}

void
dm_session_close(struct dm_session *s)
{
	if (s->mb.dir != NULL)
		dm_mailbox_close(&s->mb);
	dm_keys_free_identity(&s->id);
	dm_takein_report_free(&s->report);
	dm_spool_close(&s->sp);
}

static int
add_token(struct dm_strv *ids, char *line, struct dm_err *e)
{
	size_t start, len;

	start = strspn(line, " \t\r");
	len = strcspn(line + start, " \t\r\n");
	if (len == 0)
		return 0;
	line[start + len] = '\0';
	if (dm_strv_add(ids, line + start) != 0)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	return 0;
}

int
dm_ids_read(FILE *in, struct dm_strv *ids, struct dm_err *e)
{
	struct dm_buf b = {0};
	char chunk[4096], *p, *end, sep;
	size_t n;
	int code = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		dm_buf_add(&b, chunk, n);
		if (b.len > (64u << 20)) {
			dm_buf_free(&b);
			return dm_err_set(e, DM_EX_USAGE,
			    "too many ids on standard input");
		}
	}
	if (ferror(in)) {
		dm_buf_free(&b);
		return dm_err_set(e, DM_EX_IOERR, "cannot read standard input");
	}
	if (b.oom) {
		dm_buf_free(&b);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	if (b.len == 0)
		return 0;

	sep = memchr(b.data, '\0', b.len) != NULL ? '\0' : '\n';
	for (p = b.data; p < b.data + b.len && code == 0; p = end + 1) {
		end = memchr(p, sep, (size_t)(b.data + b.len - p));
		if (end == NULL)
			end = b.data + b.len;
		*end = '\0';
		code = add_token(ids, p, e);
	}
	dm_buf_free(&b);
	return code;
}

int
dm_ids_expand(int argc, char **argv, struct dm_strv *ids, struct dm_err *e)
{
	int i, code, read_stdin = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			if (read_stdin++)
				continue;
			code = dm_ids_read(stdin, ids, e);
			if (code != 0)
				return code;
			continue;
		}
		if (dm_strv_add(ids, argv[i]) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	return 0;
}
