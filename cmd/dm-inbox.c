/*
 * dm-inbox: list messages, after taking in what was delivered.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "names.h"
#include "session.h"
#include "text.h"
#include "timefmt.h"

static const char synopsis[] =
    "usage: dm-inbox [-uAr] [--sent] [-f USER] [--since WHEN] [--until WHEN]\n"
    "                [-t TAG] [-g TEXT] [--thread ID | --threads] [-n N]\n"
    "                [-c | --json | --format FMT | -0]\n";

struct opts {
	struct dm_filter f;
	const char *thread_arg;
	const char *format;
	int threads, count, json, nul;
};

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
	    "List your messages, oldest first. Exit status 1 means nothing\n"
	    "matched.\n\n"
	    "  -u, --unread        unread only\n"
	    "  -A, --archived      include archived messages\n"
	    "      --sent          the messages you sent\n"
	    "  -f, --from USER     from USER\n"
	    "      --since WHEN    at or after WHEN: 2026-12-04, "
	    "2026-12-04T09:30,\n"
	    "                      or an age: 30m, 2h, 7d\n"
	    "      --until WHEN    before WHEN\n"
	    "  -t, --tag TAG       with TAG\n"
	    "  -g, --grep TEXT     full-text search in subject and body\n"
	    "      --thread ID     the conversation of message ID\n"
	    "      --threads       one line per conversation\n"
	    "  -r, --reverse       newest first\n"
	    "  -n, --limit N       at most N lines\n"
	    "  -c, --count         print the number of messages only\n"
	    "      --json          JSON Lines, one object a message\n"
	    "      --format FMT    one line a message: %%n number, %%i id,"
	    " %%d date,\n"
	    "                      %%f from, %%T to, %%s subject, %%F flags,\n"
	    "                      %%a attachments, %%z size, %%p priority,"
	    " %%t tags, %%%%\n"
	    "  -0                  message numbers separated by NUL\n"
	    "  -h, --help          show this help\n"
	    "      --version       show the version\n", synopsis);
	exit(0);
}

static int
parse_limit(const char *s, long *limit)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < 1 || v > 1000000000)
		return -1;
	*limit = v;
	return 0;
}

static void
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "unread", no_argument, NULL, 'u' },
		{ "archived", no_argument, NULL, 'A' },
		{ "sent", no_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'e' },
		{ "tag", required_argument, NULL, 't' },
		{ "grep", required_argument, NULL, 'g' },
		{ "thread", required_argument, NULL, 'T' },
		{ "threads", no_argument, NULL, 'H' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "count", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'J' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_err e = {0};
	int64_t now = dm_now_ms();
	int c;

	dm_filter_init(&o->f);
	while ((c = getopt_long(argc, argv, "uAf:t:g:rn:c0h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->f.unread = 1;
			break;
		case 'A':
			o->f.archived = 1;
			break;
		case 'S':
			o->f.sent = 1;
			break;
		case 'f':
			if (!dm_name_valid(optarg)) {
				dm_diag("invalid user name: %s", optarg);
				exit(DM_EX_USAGE);
			}
			o->f.from = optarg;
			break;
		case 'b':
		case 'e':
			if (dm_time_parse(optarg, now, c == 'b' ? &o->f.since_ms :
			    &o->f.until_ms, &e) != 0) {
				dm_diag_err(&e);
				exit(DM_EX_USAGE);
			}
			break;
		case 't':
			o->f.tag = optarg;
			break;
		case 'g':
			if (optarg[0] == '\0') {
				dm_diag("empty search text");
				exit(DM_EX_USAGE);
			}
			o->f.grep = optarg;
			break;
		case 'T':
			o->thread_arg = optarg;
			break;
		case 'H':
			o->threads = 1;
			break;
		case 'r':
			o->f.reverse = 1;
			break;
		case 'n':
			if (parse_limit(optarg, &o->f.limit) != 0) {
				dm_diag("invalid limit: %s: give a positive number",
				    optarg);
				exit(DM_EX_USAGE);
			}
			break;
		case 'c':
			o->count = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'F':
			if (dm_format_check(optarg, &e) != 0) {
				dm_diag_err(&e);
				exit(DM_EX_USAGE);
			}
			o->format = optarg;
			break;
		case '0':
			o->nul = 1;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-inbox (dm) %s\n", DM_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->count + o->json + (o->format != NULL) + o->nul > 1) {
		dm_diag("-c, --json, --format and -0 choose the output: use one");
		exit(DM_EX_USAGE);
	}
	if (o->threads && (o->thread_arg != NULL || o->format != NULL ||
	    o->nul)) {
		dm_diag("--threads lists conversations: it does not combine with "
		    "--thread, --format or -0");
		exit(DM_EX_USAGE);
	}
}

struct listing {
	struct dm_out out;
	long n;
};

static int
print_msg(void *ctx, const struct dm_msg *m, struct dm_err *e)
{
	struct listing *l = ctx;

	l->n++;
	if (dm_out_msg(&l->out, m) != 0)
		return dm_err_set(e, DM_EX_IOERR, "cannot write the listing");
	return 0;
}

static int
print_thread(void *ctx, const struct dm_thread *t, struct dm_err *e)
{
	struct listing *l = ctx;

	l->n++;
	if (dm_out_thread(&l->out, t) != 0)
		return dm_err_set(e, DM_EX_IOERR, "cannot write the listing");
	return 0;
}

static int
count_thread(void *ctx, const struct dm_thread *t, struct dm_err *e)
{
	long *n = ctx;

	(void)t;
	(void)e;
	(*n)++;
	return 0;
}

static int
list(struct dm_session *s, struct opts *o, struct dm_err *e)
{
	struct listing l = {0};
	struct dm_msg anchor;
	enum dm_out_mode mode = DM_OUT_TABLE;
	int64_t number, max;
	int code;

	if (o->thread_arg != NULL) {
		code = dm_mailbox_resolve(&s->mb, o->thread_arg, &number, e);
		if (code == 0)
			code = dm_mailbox_get(&s->mb, number, &anchor, e);
		if (code != 0)
			return code;
		o->f.thread = strdup(anchor.thread);
		dm_msg_free(&anchor);
	}
	if (o->threads && o->f.thread == NULL && !o->f.sent)
		o->f.any = 1;
	if (o->count) {
		if (o->threads)
			code = dm_mailbox_threads(&s->mb, &o->f, count_thread, &l.n,
			    e);
		else
			code = dm_mailbox_count(&s->mb, &o->f, &l.n, e);
		if (code == 0)
			printf("%ld\n", l.n);
		if (code != 0)
			return code;
		return l.n > 0 ? 0 : DM_EX_NOTHING;
	}

	if (o->json)
		mode = DM_OUT_JSON;
	else if (o->format != NULL)
		mode = DM_OUT_FORMAT;
	else if (o->nul)
		mode = DM_OUT_NUL;
	code = dm_mailbox_max_number(&s->mb, &max, e);
	if (code != 0)
		return code;
	dm_out_init(&l.out, stdout, mode, o->format, max);
	o->f.with_attachments = o->json;
	if (o->threads)
		code = dm_mailbox_threads(&s->mb, &o->f, print_thread, &l, e);
	else
		code = dm_mailbox_list(&s->mb, &o->f, print_msg, &l, e);
	if (code != 0)
		return code;
	return l.n > 0 ? 0 : DM_EX_NOTHING;
}

int
main(int argc, char **argv)
{
	struct dm_session s;
	struct dm_err e = {0};
	struct opts o;
	int code;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	memset(&o, 0, sizeof(o));
	parse_options(argc, argv, &o);

	code = dm_session_open(&s, DM_SESSION_TAKEIN, &e);
	dm_diag_warn_lines(s.report.warnings.v, s.report.warnings.n);
	if (code == 0)
		code = list(&s, &o, &e);
	if (code != 0 && code != DM_EX_NOTHING)
		dm_diag_err(&e);
	if (fflush(stdout) != 0 && code == 0)
		code = DM_EX_IOERR;
	free((char *)o.f.thread);
	dm_session_close(&s);
	return code;
}
