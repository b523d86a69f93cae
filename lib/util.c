#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"

static int
buf_grow(struct dm_buf *b, size_t extra)
{
	size_t want;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	want = b->cap != 0 ? b->cap : 64;
	while (want < b->len + extra + 1)
		want *= 2;
	p = realloc(b->data, want);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

void
dm_buf_add(struct dm_buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) != 0)
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
dm_buf_adds(struct dm_buf *b, const char *s)
{
	dm_buf_add(b, s, strlen(s));
}

void
dm_buf_addc(struct dm_buf *b, int c)
{
	char ch = (char)c;

	dm_buf_add(b, &ch, 1);
}

void
dm_buf_addf(struct dm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
dm_buf_free(struct dm_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

char *
dm_buf_take(struct dm_buf *b)
{
	char *p = b->data;

	if (p == NULL && !b->oom)
		p = strdup("");
	memset(b, 0, sizeof(*b));
	return p;
}

int
dm_strv_add(struct dm_strv *l, const char *s)
{
	char **v;
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 8;

		v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	copy = strdup(s);
	if (copy == NULL)
		return -1;
	l->v[l->n++] = copy;
	return 0;
}

int
dm_strv_has(const struct dm_strv *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void
dm_strv_free(struct dm_strv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

ssize_t
dm_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
dm_write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
dm_fsync_dir(const char *path)
{
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
dm_tmpfile(const char *dir, mode_t mode, char **path)
{
	unsigned char rnd[12];
	char hex[sizeof(rnd) * 2 + 1];
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		*path = dm_strf("%s/.tmp.%s", dir, hex);
		if (*path == NULL) {
			errno = ENOMEM;
			return -1;
		}
		fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd >= 0) {
			/* The umask must not narrow a mode other users rely on. */
			if (fchmod(fd, mode) != 0) {
				int saved = errno;

				close(fd);
				unlink(*path);
				free(*path);
				*path = NULL;
				errno = saved;
				return -1;
			}
			return fd;
		}
		free(*path);
		*path = NULL;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int
dm_sync_entry(const char *dir, int fd)
{
	if (dm_fsync_dir(dir) == 0)
		return 0;
	if (errno != EACCES && errno != EPERM)
		return -1;
	return syncfs(fd);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
dm_file_replace(const char *path, const void *data, size_t n, mode_t mode,
    struct dm_err *e)
{
	char *dir, *tmp = NULL;
	int fd, code = 0;

	dir = dir_of(path);
	if (dir == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	fd = dm_tmpfile(dir, mode, &tmp);
	if (fd < 0) {
		code = dm_err_sys(e, errno, DM_EX_CONFIG,
		    "cannot create file in %s", dir);
		free(dir);
		return code;
	}
	if (dm_write_full(fd, data, n) != 0 || fsync(fd) != 0) {
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot rename %s", path);
		unlink(tmp);
		goto out;
	}
	if (dm_sync_entry(dir, fd) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot sync %s", dir);
out:
	if (close(fd) != 0 && code == 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s", path);
	free(tmp);
	free(dir);
	return code;
}

int
dm_file_read(const char *path, size_t max, char **data, size_t *len,
    int missing_code, struct dm_err *e)
{
	struct stat st;
	char *p;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return dm_err_sys(e, errno, missing_code, "cannot open %s", path);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return dm_err_sys(e, errno, missing_code, "cannot stat %s", path);
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return dm_err_set(e, DM_EX_DATAERR,
		    "invalid file: %s: not a regular file of at most %zu bytes",
		    path, max);
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		close(fd);
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	}
	r = dm_read_full(fd, p, (size_t)st.st_size);
	if (r < 0) {
		int code = dm_err_sys(e, errno, missing_code, "cannot read %s",
		    path);

		free(p);
		close(fd);
		return code;
	}
	close(fd);
	p[r] = '\0';
	*data = p;
	if (len != NULL)
		*len = (size_t)r;
	return 0;
}

char *
dm_path_join(const char *a, const char *b)
{
	return dm_strf("%s/%s", a, b);
}

char *
dm_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int
dm_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

int64_t
dm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
