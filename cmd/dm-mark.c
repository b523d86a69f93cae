/*
 * dm-mark: change the state of messages.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "text.h"

static const char synopsis[] =
    "usage: dm-mark read|unread|archive|unarchive|delete ID...\n";

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DM_EX_USAGE);
}

static void __attribute__((noreturn))
help(void)
{
	printf("%s\n"
	    "Mark messages read or unread, archive or unarchive them, or\n"
	    "delete them with their attachments for good. An ID is a message\n"
	    "number, an id or an id prefix of 6 or more characters; - reads\n"
	    "ids from standard input.\n\n"
	    "  -h, --help      show this help\n"
	    "      --version   show the version\n", synopsis);
	exit(0);
}

enum action { READ, UNREAD, ARCHIVE, UNARCHIVE, DELETE };

static int
parse_action(const char *s)
{
	static const char *const names[] = { "read", "unread", "archive",
		"unarchive", "delete" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
apply(struct dm_mailbox *mb, int action, int64_t number, struct dm_err *e)
{
	switch (action) {
	case READ:
		return dm_mailbox_set_flag(mb, number, DM_FLAG_UNREAD, 0, e);
	case UNREAD:
		return dm_mailbox_set_flag(mb, number, DM_FLAG_UNREAD, 1, e);
	case ARCHIVE:
		return dm_mailbox_set_flag(mb, number, DM_FLAG_ARCHIVED, 1, e);
	case UNARCHIVE:
		return dm_mailbox_set_flag(mb, number, DM_FLAG_ARCHIVED, 0, e);
	default:
		return dm_mailbox_delete(mb, number, e);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_session ses;
	struct dm_strv ids = {0};
	struct dm_err e = {0};
	int64_t number;
	size_t i;
	int c, action, code, first = 0;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
		case 'V':
			printf("dm-mark (dm) %s\n", DM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	action = parse_action(argv[0]);
	if (action < 0) {
		dm_diag("unknown action: %s: use read, unread, archive, "
		    "unarchive or delete", argv[0]);
		exit(DM_EX_USAGE);
	}

	code = dm_session_open(&ses, DM_SESSION_TAKEIN, &e);
	dm_diag_warn_lines(ses.report.warnings.v, ses.report.warnings.n);
	if (code == 0)
		code = dm_ids_expand(argc - 1, argv + 1, &ids, &e);
	if (code != 0) {
		dm_diag_err(&e);
		dm_session_close(&ses);
		return code;
	}
	if (ids.n == 0) {
		dm_diag("no message ids given");
		first = DM_EX_NOTHING;
	}
	for (i = 0; i < ids.n; i++) {
		code = dm_mailbox_resolve(&ses.mb, ids.v[i], &number, &e);
		if (code == 0)
			code = apply(&ses.mb, action, number, &e);
		if (code != 0) {
			dm_diag_err(&e);
			if (first == 0)
				first = code;
		}
	}
	dm_strv_free(&ids);
	dm_session_close(&ses);
	return first;
}
