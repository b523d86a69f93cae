/*
 * Attachment types and names.
 *
 * Types come from libmagic when the message is sent and are stored with
 * it; a reader never runs libmagic on received bytes. libmagic's
 * text/plain is refined by the file name's extension within the text types only
 * (a .csv file is text/csv), and aliases are normalised, so every type
 * libmagic names specifically is kept as it names it.
 */
#ifndef DM_ATTACH_H
#define DM_ATTACH_H

#include <stddef.h>

#include "err.h"

#define DM_TYPE_BUFSIZE 128

struct dm_typer {
	void *magic;            /* magic_t, loaded on first use */
};

/*
 * Detects the type of the open regular file fd, leaving its offset at 0.
 * name is the attachment's name, used only for the refinement of text types.
 * Stores the type in out. Returns 0 or an exit code with e set.
 */
int dm_type_fd(struct dm_typer *t, int fd, const char *name,
    char out[DM_TYPE_BUFSIZE], struct dm_err *e);

/* Detects the type of the first n bytes of a stream, as dm_type_fd(). */
int dm_type_buffer(struct dm_typer *t, const void *buf, size_t n,
    const char *name, char out[DM_TYPE_BUFSIZE], struct dm_err *e);

/* The number of leading bytes dm_type_buffer() should be given. */
size_t dm_type_bytes_wanted(void);

void dm_type_close(struct dm_typer *t);

/*
 * Applies the refinement rules to raw, the type libmagic returned for
 * data whose first n bytes are head. Exposed for tests. Stores the result in out.
 */
void dm_type_refine(const char *raw, const char *name, const void *head,
    size_t n, char out[DM_TYPE_BUFSIZE]);

/*
 * Returns a malloc'd file name for saving an attachment named
 * name[0..len) into a directory. Only the last path component is kept.
 * Control characters, invalid UTF-8 and format characters become "_".
 * The result has no leading dot, dash or space, is no reserved device
 * name, and is at most 240 bytes, which leaves room for a clash suffix.
 * It is "attachment-N" (N is index) when nothing usable is left. Returns
 * NULL when out of memory.
 */
char *dm_att_safe_name(const char *name, size_t len, int index);

/*
 * Returns a malloc'd variant of a safe name for the n-th clash (n >= 2):
 * "report (2).pdf". Returns NULL when out of memory.
 */
char *dm_att_clash_name(const char *safe, int n);

#endif
