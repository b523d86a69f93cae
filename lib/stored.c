#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stored.h"
#include "text.h"

/* Collects dm_body_info during the verification pass. */
struct scan {
	struct dm_body_info *info;
	unsigned char carry[4];
	size_t ncarry;
};

static void
scan_utf8(struct scan *sc, const unsigned char *p, size_t n)
{
	unsigned char joined[8];
	size_t i = 0, len, take;
	uint32_t cp;

	/* Complete a sequence split by the previous chunk. */
	if (sc->ncarry > 0) {
		take = n < 4 ? n : 4;
		memcpy(joined, sc->carry, sc->ncarry);
		memcpy(joined + sc->ncarry, p, take);
		len = dm_utf8_decode(joined, sc->ncarry + take, &cp);
		if (len == 0 || len <= sc->ncarry)
			sc->info->utf8 = 0;
		else
			i = len - sc->ncarry;
		sc->ncarry = 0;
	}
	while (i < n && sc->info->utf8) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = dm_utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			if (n - i < 4) {
				/* Possibly cut by the chunk end. */
				memcpy(sc->carry, p + i, n - i);
				sc->ncarry = n - i;
				return;
			}
			sc->info->utf8 = 0;
			return;
		}
		i += len;
	}
}

static int
scan_sink(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct scan *sc = ctx;
	const unsigned char *p = buf;
	size_t i;

	(void)e;
	if (n > 0)
		sc->info->last = p[n - 1];
	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			sc->info->lines++;
	if (memchr(p, '\0', n) != NULL)
		sc->info->nul = 1;
	if (sc->info->utf8)
		scan_utf8(sc, p, n);
	return 0;
}

int
dm_stored_open(struct dm_mailbox *mb, const struct dm_identity *id,
    const struct dm_msg *m, struct dm_stored *s, struct dm_err *e)
{
	struct scan sc = {0};
	char *path;
	int code;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	path = dm_mailbox_envelope_path(mb, m->id);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	s->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s->fd < 0) {
		code = dm_err_sys(e, errno, DM_EX_DATAERR,
		    "verification failed: message %lld: cannot open %s",
		    (long long)m->number, path);
		free(path);
		return code;
	}
	code = dm_envelope_open(s->fd, path, id, &s->meta, e);
	if (code == 0 && (strcmp(s->meta.id, m->id) != 0 ||
	    strcmp(s->meta.from, m->from) != 0 ||
	    memcmp(s->meta.signer, m->signer, sizeof(m->signer)) != 0))
		code = dm_err_set(e, DM_EX_DATAERR,
		    "verification failed: %s: does not match the mailbox index",
		    path);
	if (code == 0) {
		s->body_offset = lseek(s->fd, 0, SEEK_CUR);
		s->body.utf8 = 1;
		s->body.last = -1;
		sc.info = &s->body;
		code = dm_stream_decrypt(s->fd, s->meta.body_key, UINT64_MAX,
		    scan_sink, &sc, &s->body.size, path, e);
		if (sc.ncarry > 0)
			s->body.utf8 = 0;
	}
	free(path);
	return code;
}

int
dm_stored_body(struct dm_stored *s, dm_sink_fn sink, void *ctx,
    struct dm_err *e)
{
	if (lseek(s->fd, s->body_offset, SEEK_SET) != s->body_offset)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot read message %s",
		    s->meta.id);
	return dm_stream_decrypt(s->fd, s->meta.body_key, s->body.size, sink,
	    ctx, NULL, s->meta.id, e);
}

static int
open_part(struct dm_mailbox *mb, struct dm_stored *s, int index, int *fd,
    char **path, struct dm_err *e)
{
	if (index < 1 || (size_t)index > s->meta.natt)
		return dm_err_set(e, DM_EX_NOINPUT,
		    "no attachment %d in message %s", index, s->meta.id);
	*path = dm_mailbox_part_path(mb, s->meta.id, index);
	if (*path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	*fd = open(*path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return dm_err_sys(e, errno, DM_EX_DATAERR,
		    "verification failed: cannot open %s", *path);
	return 0;
}

static int
part_pass(struct dm_mailbox *mb, struct dm_stored *s, int index,
    dm_sink_fn sink, void *ctx, struct dm_err *e)
{
	const struct dm_att_meta *a;
	char *path = NULL;
	int fd = -1, code;

	code = open_part(mb, s, index, &fd, &path, e);
	if (code == 0) {
		a = &s->meta.att[index - 1];
		code = dm_stream_decrypt(fd, a->key, a->size, NULL, NULL, NULL,
		    path, e);
	}
	if (code == 0 && sink != NULL) {
		if (lseek(fd, 0, SEEK_SET) != 0)
			code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot read %s",
			    path);
		else
			code = dm_stream_decrypt(fd, a->key, a->size, sink, ctx,
			    NULL, path, e);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return code;
}

int
dm_stored_attachment_check(struct dm_mailbox *mb, struct dm_stored *s,
    int index, struct dm_err *e)
{
	return part_pass(mb, s, index, NULL, NULL, e);
}

int
dm_stored_attachment(struct dm_mailbox *mb, struct dm_stored *s, int index,
    dm_sink_fn sink, void *ctx, struct dm_err *e)
{
	return part_pass(mb, s, index, sink, ctx, e);
}

void
dm_stored_close(struct dm_stored *s)
{
	if (s->fd >= 0)
		close(s->fd);
	dm_meta_free(&s->meta);
	s->fd = -1;
}
