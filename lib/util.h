/*
 * Small helpers used across the library: growable byte buffers, whole
 * reads and writes that retry on EINTR, durable file replacement and
 * string lists.
 */
#ifndef DM_UTIL_H
#define DM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define DM_VERSION "0.1.0"

/*
 * A growable byte buffer. data is always NUL-terminated after len bytes
 * once anything was added. After an allocation failure, oom is set and
 * further additions are ignored, so callers check once at the end.
 */
struct dm_buf {
	char *data;
	size_t len;
	size_t cap;
	int oom;
};

void dm_buf_add(struct dm_buf *b, const void *p, size_t n);
void dm_buf_adds(struct dm_buf *b, const char *s);
void dm_buf_addc(struct dm_buf *b, int c);
void dm_buf_addf(struct dm_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dm_buf_free(struct dm_buf *b);
/* Returns the data and leaves b empty; the caller frees the result. */
char *dm_buf_take(struct dm_buf *b);

/* A list of strings owned by the list. */
struct dm_strv {
	char **v;
	size_t n;
	size_t cap;
};

/* Appends a copy of s. Returns 0, or -1 when out of memory. */
int dm_strv_add(struct dm_strv *l, const char *s);
/* Returns 1 when the list contains a string equal to s. */
int dm_strv_has(const struct dm_strv *l, const char *s);
void dm_strv_free(struct dm_strv *l);

/*
 * Reads exactly n bytes unless end of file comes first. Returns the
 * number read (less than n only at end of file), or -1 with errno set.
 */
ssize_t dm_read_full(int fd, void *buf, size_t n);

/* Writes all n bytes. Returns 0, or -1 with errno set. */
int dm_write_full(int fd, const void *buf, size_t n);

/* fsync()s the directory at path. Returns 0, or -1 with errno set. */
int dm_fsync_dir(const char *path);

/*
 * Makes a new or renamed entry in directory dir durable. fd is an open
 * descriptor of the file the entry names. The directory is fsynced. A
 * directory the caller cannot read (another user's drop box, mode 1733)
 * cannot be opened for that, so then the whole file system that contains
 * fd is synced with syncfs(2), which writes the directory too. Returns 0,
 * or -1 with errno set.
 */
int dm_sync_entry(const char *dir, int fd);

/*
 * Creates a file with a random hidden name in dir, opened O_RDWR with
 * O_CREAT|O_EXCL|O_NOFOLLOW and the given mode. Stores its path (malloc'd)
 * in *path. Returns the descriptor, or -1 with errno set.
 */
int dm_tmpfile(const char *dir, mode_t mode, char **path);

/*
 * Replaces path with data durably: writes a temporary file in the same
 * directory with mode, fsyncs it, renames it over path and fsyncs the
 * directory. Returns 0 or an exit code with e set.
 */
int dm_file_replace(const char *path, const void *data, size_t n, mode_t mode,
    struct dm_err *e);

/*
 * Reads a whole small file (at most max bytes) into a NUL-terminated
 * malloc'd buffer. Returns 0, or an exit code with e set; a missing file
 * gives missing_code.
 */
int dm_file_read(const char *path, size_t max, char **data, size_t *len,
    int missing_code, struct dm_err *e);

/* Returns a malloc'd "a/b", or NULL when out of memory. */
char *dm_path_join(const char *a, const char *b);

/* Returns a malloc'd formatted string, or NULL when out of memory. */
char *dm_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Creates directory path with mode unless it exists. Returns 0 or -1. */
int dm_mkdir(const char *path, mode_t mode);

/* Current time in milliseconds since the Unix epoch. */
int64_t dm_now_ms(void);

#endif
