#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "text.h"

static const char *progname = "dm";

static void __attribute__((format(printf, 3, 0)))
vset(struct dm_err *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int
dm_err_set(struct dm_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int
dm_err_code_for_errno(int errnum, int missing_code)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
		return DM_EX_TEMPFAIL;
	case EACCES:
	case EPERM:
	case EROFS:
		return DM_EX_NOPERM;
	case ENOENT:
	case ENOTDIR:
		return missing_code;
	default:
		return DM_EX_IOERR;
	}
}

int
dm_err_sys(struct dm_err *e, int errnum, int missing_code, const char *fmt, ...)
{
	va_list ap;
	int code;
	size_t len;

	code = dm_err_code_for_errno(errnum, missing_code);
	if (e == NULL)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(errnum));
	return code;
}

void
dm_err_hint(struct dm_err *e, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (e == NULL)
		return;
	len = strlen(e->msg);
	if (len + 3 >= sizeof(e->msg))
		return;
	memcpy(e->msg + len, "; ", 3);
	len += 2;
	va_start(ap, fmt);
	vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	va_end(ap);
}

void
dm_err_clear(struct dm_err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

void
dm_diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || argv0[0] == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash != NULL ? slash + 1 : argv0;
}

const char *
dm_diag_progname(void)
{
	return progname;
}

/*
 * Messages can carry values that came from other users (names, subjects),
 * so they go through the same control-character escaping as any other
 * text written to a terminal.
 */
static void
put_line(const char *prefix, const char *msg)
{
	fprintf(stderr, "%s: %s", progname, prefix);
	dm_text_put_line(stderr, msg, strlen(msg));
	fputc('\n', stderr);
	fflush(stderr);
}

void
dm_diag_err(const struct dm_err *e)
{
	put_line("", e->msg[0] != '\0' ? e->msg : "unknown error");
}

void
dm_diag(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line("", buf);
}

void
dm_diag_warn(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line("warning: ", buf);
}

void
dm_diag_warn_lines(char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_line("warning: ", lines[i]);
}
