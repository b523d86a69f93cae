/*
 * dm-read: show messages and mark them read.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "names.h"
#include "session.h"
#include "stored.h"
#include "text.h"

static const char synopsis[] =
    "usage: dm-read [-N] [-b | --json | --raw] [--thread] [ID...]\n";

struct opts {
	int no_mark, body, thread, json, raw;
};

/* Output destination: stdout, or a pager when the text is too tall. */
struct sink {
	FILE *fp;
	int tty;
	int style;              /* headers may be set in bold */
	FILE *pager;
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
	    "Show messages and mark them read. With no ID, show the oldest\n"
	    "unread message; exit status 1 means there is none. An ID is a\n"
	    "message number, an id or an id prefix of 6 or more characters;\n"
	    "- reads ids from standard input.\n\n"
	    "  -N, --no-mark   leave the messages unread\n"
	    "  -b, --body      the body only: its exact bytes into a pipe or\n"
	    "                  file, escaped on a terminal\n"
	    "      --thread    the whole conversation of each ID, oldest first\n"
	    "      --json      JSON, one object a message, with the body\n"
	    "      --raw       the stored envelope, still encrypted\n"
	    "  -h, --help      show this help\n"
	    "      --version   show the version\n", synopsis);
	exit(0);
}

static void
human_size(char out[32], int64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, 32, "%lld bytes", (long long)n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
}

/* A header line: name, then the value made visible. */
static void
header(struct sink *s, const char *name, const char *value, size_t n)
{
	if (s->style)
		fputs("\033[1m", s->fp);
	fprintf(s->fp, "%s:", name);
	if (s->style)
		fputs("\033[0m", s->fp);
	fputc(' ', s->fp);
	dm_text_put_line(s->fp, value, n);
	fputc('\n', s->fp);
}

static void
print_headers(struct sink *s, const struct dm_msg *m, const char *signer)
{
	char date[64], *list, *p, size[32], *line;
	time_t t = (time_t)(m->date_ms / 1000);
	struct tm tm;
	int i;

	header(s, "From", m->from, strlen(m->from));
	list = strdup(m->to);
	for (p = list; p != NULL && *p != '\0'; p++)
		if (*p == ' ')
			*p = ',';
	if (list != NULL)
		header(s, "To", list, strlen(list));
	free(list);
	if (localtime_r(&t, &tm) != NULL &&
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) > 0)
		header(s, "Date", date, strlen(date));
	header(s, "Subject", m->subject, m->subject_len);
	if (m->priority != DM_PRIO_NORMAL)
		header(s, "Priority", dm_priority_name(m->priority),
		    strlen(dm_priority_name(m->priority)));
	if (m->tags[0] != '\0') {
		list = strdup(m->tags);
		for (p = list; p != NULL && *p != '\0'; p++)
			if (*p == ' ')
				*p = ',';
		if (list != NULL)
			header(s, "Tags", list, strlen(list));
		free(list);
	}
	for (i = 0; i < m->natt; i++) {
		char *name = dm_text_visible(m->att[i].name, m->att[i].name_len,
		    DM_TEXT_LINE);

		human_size(size, m->att[i].size);
		line = dm_strf("%d %s (%s, %s)", m->att[i].index,
		    name != NULL ? name : "", m->att[i].type, size);
		if (line != NULL)
			header(s, "Attachment", line, strlen(line));
		free(line);
		free(name);
	}
	header(s, "Verified", signer, strlen(signer));
	fputc('\n', s->fp);
}

static int
write_raw(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	FILE *fp = ctx;

	if (fwrite(buf, 1, n, fp) != n)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot write the body");
	return 0;
}

static int
write_filtered(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct dm_body_filter *f = ctx;

	dm_body_filter_write(f, buf, n);
	if (ferror(f->out))
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot write the body");
	return 0;
}

/* Streams the body to s->fp, escaped when it reaches a terminal. */
static int
print_body(struct sink *s, struct dm_stored *st, struct dm_err *e)
{
	struct dm_body_filter f;
	int code;

	if (!s->tty)
		return dm_stored_body(st, write_raw, s->fp, e);
	dm_body_filter_init(&f, s->fp);
	code = dm_stored_body(st, write_filtered, &f, e);
	dm_body_filter_finish(&f);
	return code;
}

static int
print_json(struct sink *s, const struct dm_msg *m, struct dm_stored *st,
    struct dm_err *e)
{
	struct dm_json_body w;
	json_t *o = dm_json_msg(m);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	size_t len;
	int code;

	json_decref(o);
	if (text == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	/* Drop the closing brace, stream the body member, close again. */
	len = strlen(text);
	fwrite(text, 1, len - 1, s->fp);
	free(text);
	dm_json_body_begin(&w, s->fp, !st->body.utf8);
	code = dm_stored_body(st, dm_json_body_sink, &w, e);
	dm_json_body_end(&w);
	fputs("}\n", s->fp);
	return code;
}

static int
print_envelope(struct dm_session *ses, const struct dm_msg *m,
    struct dm_err *e)
{
	char buf[65536], *path;
	ssize_t n;
	int fd, code = 0;

	if (isatty(STDOUT_FILENO))
		return dm_err_set(e, DM_EX_USAGE,
		    "not writing an encrypted envelope to a terminal: redirect "
		    "the output to a file");
	path = dm_mailbox_envelope_path(&ses->mb, m->id);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		code = dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot open %s", path);
		free(path);
		return code;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	if (n != 0 || ferror(stdout))
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot copy %s", path);
	close(fd);
	free(path);
	return code;
}

/* Terminal rows, for deciding on the pager. */
static int
terminal_rows(void)
{
	struct winsize ws;
	const char *env = getenv("LINES");

	if (env != NULL && atoi(env) > 0)
		return atoi(env);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

/*
 * Starts $PAGER (less when unset) reading from a pipe. The pager gets no
 * arguments from message content; it is run through /bin/sh as PAGER is
 * everywhere.
 */
static FILE *
start_pager(void)
{
	const char *pager = getenv("PAGER");

	if (pager == NULL)
		pager = "less";
	if (*pager == '\0' || strcmp(pager, "cat") == 0)
		return NULL;
	setenv("LESS", getenv("LESS") != NULL ? getenv("LESS") : "FRX", 1);
	signal(SIGPIPE, SIG_IGN);
	return popen(pager, "w");
}

struct item {
	struct dm_msg m;
	struct dm_stored st;
	char signer[80];
};

static int
verify(struct dm_session *ses, int64_t number, struct item *it,
    struct dm_err *e)
{
	int code;

	memset(it, 0, sizeof(*it));
	it->st.fd = -1;
	code = dm_mailbox_get(&ses->mb, number, &it->m, e);
	if (code == 0)
		code = dm_stored_open(&ses->mb, &ses->id, &it->m, &it->st, e);
	snprintf(it->signer, sizeof(it->signer),
	    "signature of %s checked", it->m.from != NULL ? it->m.from : "");
	return code;
}

static void
item_free(struct item *it)
{
	dm_stored_close(&it->st);
	dm_msg_free(&it->m);
}

/*
 * Writes one message in the output form that o selects. The after flag
 * is set when another message was written before it.
 */
static int
print_item(struct dm_session *ses, const struct opts *o, struct sink *s,
    struct item *it, int after, struct dm_err *e)
{
	int code;

	if (o->raw)
		return print_envelope(ses, &it->m, e);
	if (o->json)
		return print_json(s, &it->m, &it->st, e);
	if (o->body)
		return print_body(s, &it->st, e);

	if (after)
		fputc('\n', s->fp);
	print_headers(s, &it->m, it->signer);
	code = print_body(s, &it->st, e);
	if (code == 0 && it->st.body.size > 0 && it->st.body.last != '\n')
		fputc('\n', s->fp);
	return code;
}

/* Marks a shown message read unless -N or --raw. */
static int
mark_read(struct dm_session *ses, const struct opts *o, const struct item *it)
{
	struct dm_err e = {0};

	if (o->no_mark || o->raw || !it->m.unread)
		return 0;
	if (dm_mailbox_set_flag(&ses->mb, it->m.number, DM_FLAG_UNREAD, 0,
	    &e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	return 0;
}

/*
 * Waits for the pager and returns 0 when it exited with status 0. Any
 * other status means the messages were likely never seen (a PAGER that
 * cannot be run exits 127), so it prints an error and returns
 * DM_EX_IOERR.
 */
static int
close_pager(FILE *pager)
{
	const char *cmd = getenv("PAGER") != NULL ? getenv("PAGER") : "less";
	int status = pclose(pager);

	if (status == -1) {
		dm_diag("pager failed: %s: %s", cmd, strerror(errno));
		return DM_EX_IOERR;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		dm_diag("pager failed: %s: exit status %d: messages left unread",
		    cmd, WEXITSTATUS(status));
	else
		dm_diag("pager failed: %s: killed by signal %d: messages left "
		    "unread", cmd, WTERMSIG(status));
	return DM_EX_IOERR;
}

/*
 * Shows the messages of numbers. Each is verified in full before any
 * of it is written. Through a pager, messages are marked read only after
 * the pager exits successfully.
 */
static int
show(struct dm_session *ses, const struct opts *o, const int64_t *numbers,
    size_t n)
{
	struct sink s = { .fp = stdout };
	struct dm_err e = {0};
	struct item *items;
	uint64_t lines = 0;
	size_t i, shown, written = 0;
	int code, first = 0, *ok;

	s.tty = isatty(STDOUT_FILENO);
	s.style = s.tty && getenv("NO_COLOR") == NULL &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	items = calloc(n + 1, sizeof(*items));
	ok = calloc(n + 1, sizeof(*ok));
	if (items == NULL || ok == NULL) {
		free(items);
		free(ok);
		dm_diag("out of memory");
		return DM_EX_SOFTWARE;
	}

	for (i = 0; i < n; i++) {
		if (o->raw) {
			code = dm_mailbox_get(&ses->mb, numbers[i], &items[i].m, &e);
			items[i].st.fd = -1;
		} else {
			code = verify(ses, numbers[i], &items[i], &e);
		}
		if (code != 0) {
			dm_diag_err(&e);
			if (first == 0)
				first = code;
			continue;
		}
		ok[i] = 1;
		lines += items[i].st.body.lines + 8 + (uint64_t)items[i].m.natt;
	}

	if (s.tty && !o->raw && !o->json && !o->body &&
	    lines > (uint64_t)terminal_rows()) {
		s.pager = start_pager();
		if (s.pager != NULL) {
			s.fp = s.pager;
		}
	}

	shown = n;
	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		code = print_item(ses, o, &s, &items[i], written++ > 0, &e);
		if (code != 0 && s.pager != NULL && ferror(s.pager)) {
			/* The pager stopped reading because its user quit it. */
			shown = i + 1;
			break;
		}
		if (code != 0) {
			dm_diag_err(&e);
			ok[i] = 0;
			if (first == 0)
				first = code;
			continue;
		}
		if (s.pager == NULL && (code = mark_read(ses, o, &items[i])) != 0 &&
		    first == 0)
			first = code;
	}

	if (s.pager != NULL && (code = close_pager(s.pager)) != 0) {
		if (first == 0)
			first = code;
	} else if (s.pager != NULL) {
		for (i = 0; i < shown; i++) {
			if (!ok[i])
				continue;
			code = mark_read(ses, o, &items[i]);
			if (code != 0 && first == 0)
				first = code;
		}
	}
	for (i = 0; i < n; i++)
		item_free(&items[i]);
	free(items);
	free(ok);
	return first;
}

static int
add_thread(struct dm_session *ses, int64_t number, int64_t **list, size_t *n,
    struct dm_err *e)
{
	struct dm_filter f;
	struct dm_msg m;
	int code;

	code = dm_mailbox_get(&ses->mb, number, &m, e);
	if (code != 0)
		return code;
	dm_filter_init(&f);
	f.thread = m.thread;
	code = dm_mailbox_numbers(&ses->mb, &f, list, n, e);
	dm_msg_free(&m);
	return code;
}

static int
has_number(const int64_t *numbers, size_t n, int64_t number)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (numbers[i] == number)
			return 1;
	return 0;
}

static int
oldest_unread(struct dm_session *ses, int64_t *number, struct dm_err *e)
{
	struct dm_filter f;
	int64_t *v = NULL;
	size_t n = 0;
	int code;

	dm_filter_init(&f);
	f.unread = 1;
	f.limit = 1;
	code = dm_mailbox_numbers(&ses->mb, &f, &v, &n, e);
	if (code == 0 && n == 0)
		code = DM_EX_NOTHING;
	if (code == 0)
		*number = v[0];
	free(v);
	return code;
}

static int
run(struct dm_session *ses, const struct opts *o, int argc, char **argv)
{
	struct dm_strv ids = {0};
	struct dm_err e = {0};
	int64_t *numbers = NULL, number, *grown;
	size_t i, n = 0;
	int code, first = 0;

	if (argc == 0) {
		code = oldest_unread(ses, &number, &e);
		if (code == DM_EX_NOTHING)
			dm_diag("no unread messages");
		else if (code != 0)
			dm_diag_err(&e);
		if (code != 0)
			return code;
		if (o->thread)
			code = add_thread(ses, number, &numbers, &n, &e);
		else {
			numbers = malloc(sizeof(*numbers));
			if (numbers == NULL)
				return DM_EX_SOFTWARE;
			numbers[n++] = number;
		}
		if (code != 0) {
			dm_diag_err(&e);
			free(numbers);
			return code;
		}
		code = show(ses, o, numbers, n);
		free(numbers);
		return code;
	}

	code = dm_ids_expand(argc, argv, &ids, &e);
	if (code != 0) {
		dm_diag_err(&e);
		return code;
	}
	for (i = 0; i < ids.n; i++) {
		code = dm_mailbox_resolve(&ses->mb, ids.v[i], &number, &e);
		if (code == 0 && o->thread) {
			/* A message already listed brought its whole thread. */
			if (!has_number(numbers, n, number))
				code = add_thread(ses, number, &numbers, &n, &e);
		} else if (code == 0) {
			grown = realloc(numbers, (n + 1) * sizeof(*grown));
			if (grown == NULL)
				code = dm_err_set(&e, DM_EX_SOFTWARE, "out of memory");
			else {
				numbers = grown;
				numbers[n++] = number;
			}
		}
		if (code != 0) {
			dm_diag_err(&e);
			if (first == 0)
				first = code;
		}
	}
	dm_strv_free(&ids);
	if (n == 0 && first == 0) {
		dm_diag("no message ids given");
		code = DM_EX_NOTHING;
	} else {
		code = n > 0 ? show(ses, o, numbers, n) : 0;
	}
	free(numbers);
	return first != 0 ? first : code;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-mark", no_argument, NULL, 'N' },
		{ "body", no_argument, NULL, 'b' },
		{ "thread", no_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_session ses;
	struct dm_err e = {0};
	struct opts o = {0};
	int c, code;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	while ((c = getopt_long(argc, argv, "Nbh", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			o.no_mark = 1;
			break;
		case 'b':
			o.body = 1;
			break;
		case 'T':
			o.thread = 1;
			break;
		case 'J':
			o.json = 1;
			break;
		case 'R':
			o.raw = 1;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-read (dm) %s\n", DM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (o.body + o.json + o.raw > 1) {
		dm_diag("-b, --json and --raw choose the output: use one");
		exit(DM_EX_USAGE);
	}

	code = dm_session_open(&ses, DM_SESSION_TAKEIN, &e);
	dm_diag_warn_lines(ses.report.warnings.v, ses.report.warnings.n);
	if (code != 0)
		dm_diag_err(&e);
	else
		code = run(&ses, &o, argc, argv);
	if (fflush(stdout) != 0 && code == 0) {
		dm_diag("cannot write standard output: %s", strerror(errno));
		code = DM_EX_IOERR;
	}
	dm_session_close(&ses);
	return code;
}
