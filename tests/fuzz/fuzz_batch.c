/*
 * Fuzzes the parser of one dm-send --batch line. An accepted line must
 * describe a message dm_send() can be given: recipients or a reply,
 * a known priority, valid tags, a subject without NUL bytes, and one
 * attachment entry per path. A rejected line must come with a message.
 */
#include <stdint.h>
#include <string.h>

#include "batch.h"
#include "fuzz_check.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const struct dm_batch_line *l)
{
	size_t i;

	FUZZ_CHECK(json_is_object(l->root));
	FUZZ_CHECK(l->req.to.n > 0 || l->reply != NULL);
	FUZZ_CHECK(l->req.priority >= DM_PRIO_LOW &&
	    l->req.priority <= DM_PRIO_URGENT);
	FUZZ_CHECK(l->req.body_fd == -1 && l->req.body != NULL);
	FUZZ_CHECK(l->req.subject == NULL ||
	    memchr(l->req.subject, '\0', l->req.subject_len) == NULL);
	FUZZ_CHECK(l->key == NULL || l->key[0] != '\0');
	for (i = 0; i < l->req.to.n; i++)
		FUZZ_CHECK(l->req.to.v[i] != NULL);
	for (i = 0; i < l->req.tags.n; i++)
		FUZZ_CHECK(dm_tag_valid(l->req.tags.v[i]));
	FUZZ_CHECK(l->req.natt == l->paths.n);
	FUZZ_CHECK(l->req.att == l->att);
	for (i = 0; i < l->req.natt; i++) {
		FUZZ_CHECK(l->att[i].path == l->paths.v[i]);
		FUZZ_CHECK(l->att[i].name == NULL);
	}
	FUZZ_CHECK(l->req.thread == NULL && l->req.parent == NULL &&
	    l->req.id == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_batch_line l;
	char err[512];

	/* dm-send's buffer size; a marker shows whether err was written. */
	memset(err, 'X', sizeof(err));
	if (dm_batch_parse_line((const char *)data, size, &l, err,
	    sizeof(err)) == 0) {
		check_line(&l);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(err[0] != '\0' && err[0] != 'X');
	}
	dm_batch_line_free(&l);
	return 0;
}
