/*
 * Error values and diagnostics shared by the library and the programs.
 *
 * Library functions never print and never exit. A function that can fail
 * takes a struct dm_err *, fills it on failure and returns its exit code
 * (one of the DM_EX_* values below, taken from sysexits.h); 0 means
 * success. Programs print the message with dm_diag_err() and exit with
 * the code.
 */
#ifndef DM_ERR_H
#define DM_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum {
	DM_EX_OK = 0,
	DM_EX_NOTHING = 1,      /* nothing to show */
	DM_EX_USAGE = 64,
	DM_EX_DATAERR = 65,
	DM_EX_NOINPUT = 66,
	DM_EX_NOUSER = 67,
	DM_EX_SOFTWARE = 70,
	DM_EX_CANTCREAT = 73,
	DM_EX_IOERR = 74,
	DM_EX_TEMPFAIL = 75,
	DM_EX_NOPERM = 77,
	DM_EX_CONFIG = 78,
};

struct dm_err {
	int code;               /* DM_EX_* value, 0 when no error is set */
	char msg[768];          /* "what failed: value: reason", no newline */
};

/*
 * Sets e to code and a message built from fmt. Returns code so that a
 * caller can write "return dm_err_set(e, ...)". e may be NULL.
 */
int dm_err_set(struct dm_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Sets e like dm_err_set() and appends ": " and strerror(errnum). The
 * exit code is chosen from errnum: ENOSPC and EDQUOT give DM_EX_TEMPFAIL,
 * EACCES and EPERM give DM_EX_NOPERM, ENOENT gives missing_code, and
 * anything else gives DM_EX_IOERR. Returns the chosen code.
 */
int dm_err_sys(struct dm_err *e, int errnum, int missing_code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Maps an errno value to an exit code as dm_err_sys() does. */
int dm_err_code_for_errno(int errnum, int missing_code);

/* Appends "; " and a hint to the message already in e. */
void dm_err_hint(struct dm_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears e. */
void dm_err_clear(struct dm_err *e);

/*
 * Program name used as the prefix of every diagnostic. dm_diag_init()
 * stores the base name of argv0; the string is not copied.
 */
void dm_diag_init(const char *argv0);
const char *dm_diag_progname(void);

/* Prints "PROGRAM: message" to stderr for the error in e. */
void dm_diag_err(const struct dm_err *e);

/* Prints "PROGRAM: " and the formatted message to stderr. */
void dm_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROGRAM: warning: " and the formatted message to stderr. */
void dm_diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints each of n warning lines as dm_diag_warn() does. */
void dm_diag_warn_lines(char *const *lines, size_t n);

#endif
