/*
 * dm-watch: report each new message once, as it arrives, and run hooks.
 *
 * The drop box is watched with inotify, so an idle watcher sleeps in
 * poll(2) and uses no CPU. SIGINT and SIGTERM arrive through a signalfd
 * and end the watcher with status 0 between two messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "names.h"
#include "session.h"
#include "stored.h"
#include "text.h"
#include "timefmt.h"

static const char synopsis[] =
    "usage: dm-watch [--exec CMD] [--json | --format FMT] [-f USER]\n"
    "                [-p LEVEL] [--unread] [--mark-read] [-n N]\n"
    "                [--timeout SECONDS] [--cursor NAME]\n";

struct opts {
	const char *exec;
	const char *format;
	const char *from;
	const char *cursor;
	int min_priority;
	int json, unread, mark_read;
	long limit;
	long timeout;           /* seconds, -1 for none */
};

struct watch {
	struct dm_session ses;
	const struct opts *o;
	struct dm_out out;
	int64_t last;           /* highest message number dealt with */
	long reported;
	int failed;             /* a local error ended the watch */
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
	    "Wait for new messages and report each one once, as it arrives.\n\n"
	    "      --exec CMD        run CMD with /bin/sh for each message: the\n"
	    "                        body on standard input, DM_NUMBER, DM_ID,\n"
	    "                        DM_FROM, DM_TO, DM_SUBJECT, DM_PRIORITY,\n"
	    "                        DM_DATE and DM_ATTACHMENTS in the "
	    "environment\n"
	    "      --json            JSON Lines\n"
	    "      --format FMT      lines as dm-inbox --format\n"
	    "  -f, --from USER       only messages from USER\n"
	    "  -p, --priority LEVEL  only messages of LEVEL or higher\n"
	    "      --unread          first report messages already unread\n"
	    "      --mark-read       mark reported messages read\n"
	    "  -n, --limit N         exit after N messages\n"
	    "      --timeout SECONDS exit when no message was reported for SECONDS:\n"
	    "                        status 1 when none was reported at all\n"
	    "      --cursor NAME     remember the last reported message under\n"
	    "                        NAME and resume from it on the next start\n"
	    "  -h, --help            show this help\n"
	    "      --version         show the version\n", synopsis);
	exit(0);
}

static int
matches(const struct opts *o, const struct dm_msg *m)
{
	if (o->from != NULL && strcmp(m->from, o->from) != 0)
		return 0;
	return m->priority >= o->min_priority;
}

static int
write_pipe(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	int fd = *(int *)ctx;

	(void)e;
	/* A hook that does not read its input is not an error. */
	if (fd >= 0 && dm_write_full(fd, buf, n) != 0)
		*(int *)ctx = -1;
	return 0;
}

static void
set_env(const char *name, const char *value)
{
	setenv(name, value, 1);
}

/*
 * Runs the hook for m with the verified body on its standard input.
 * Returns 0 when it exited with status 0.
 */
static int
run_hook(struct watch *w, const struct dm_msg *m)
{
	struct dm_stored st;
	struct dm_err e = {0};
	char num[32], count[16], date[32], *to, *p;
	sigset_t none;
	int pfd[2], status, wfd;
	pid_t pid;

	if (dm_stored_open(&w->ses.mb, &w->ses.id, m, &st, &e) != 0) {
		dm_diag_err(&e);
		dm_stored_close(&st);
		return -1;
	}
	if (pipe(pfd) != 0) {
		dm_diag("cannot run hook: %s", strerror(errno));
		dm_stored_close(&st);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[1]);
		dup2(pfd[0], STDIN_FILENO);
		if (pfd[0] != STDIN_FILENO)
			close(pfd[0]);
		snprintf(num, sizeof(num), "%lld", (long long)m->number);
		snprintf(count, sizeof(count), "%d", m->natt);
		to = strdup(m->to);
		for (p = to; p != NULL && *p != '\0'; p++)
			if (*p == ' ')
				*p = ',';
		set_env("DM_NUMBER", num);
		set_env("DM_ID", m->id);
		set_env("DM_FROM", m->from);
		set_env("DM_TO", to != NULL ? to : "");
		set_env("DM_SUBJECT", m->subject);
		set_env("DM_PRIORITY", dm_priority_name(m->priority));
		set_env("DM_DATE", dm_time_rfc3339(date, m->date_ms));
		set_env("DM_ATTACHMENTS", count);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", w->o->exec, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	if (pid < 0) {
		dm_diag("cannot run hook: %s", strerror(errno));
		close(pfd[1]);
		dm_stored_close(&st);
		return -1;
	}

	wfd = pfd[1];
	if (dm_stored_body(&st, write_pipe, &wfd, &e) != 0)
		dm_diag_err(&e);
	close(pfd[1]);
	dm_stored_close(&st);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		dm_diag("hook failed for message %lld: exit status %d",
		    (long long)m->number, WEXITSTATUS(status));
	else
		dm_diag("hook failed for message %lld: killed by signal %d",
		    (long long)m->number, WTERMSIG(status));
	return -1;
}

/* Reports one message: output line, hook, read flag, cursor. */
static int
report(struct watch *w, int64_t number, int retry)
{
	const struct opts *o = w->o;
	struct dm_err e = {0};
	struct dm_msg m;
	int hook_ok = 1, code;

	code = dm_mailbox_get(&w->ses.mb, number, &m, &e);
	if (code == DM_EX_NOINPUT) {
		/* Deleted since; nothing to report or retry. */
		if (retry && o->cursor != NULL)
			dm_mailbox_retry_remove(&w->ses.mb, o->cursor, number, &e);
		return 0;
	}
	if (code != 0) {
		dm_diag_err(&e);
		return code;
	}
	if (!matches(o, &m)) {
		dm_msg_free(&m);
		return 0;
	}

	if (dm_out_msg(&w->out, &m) != 0) {
		dm_msg_free(&m);
		return DM_EX_IOERR;
	}
	fflush(w->out.fp);
	if (o->exec != NULL)
		hook_ok = run_hook(w, &m) == 0;
	if (o->mark_read && m.unread &&
	    dm_mailbox_set_flag(&w->ses.mb, number, DM_FLAG_UNREAD, 0, &e) != 0)
		dm_diag_err(&e);
	if (o->cursor != NULL) {
		if (!hook_ok)
			code = dm_mailbox_retry_add(&w->ses.mb, o->cursor, number, &e);
		else if (retry)
			code = dm_mailbox_retry_remove(&w->ses.mb, o->cursor, number,
			    &e);
		if (code != 0)
			dm_diag_err(&e);
	}
	w->reported++;
	dm_msg_free(&m);
	return code;
}

static int
limit_reached(const struct watch *w)
{
	return w->o->limit > 0 && w->reported >= w->o->limit;
}

/*
 * Reports every inbox message above w->last, in number order. The
 * numbers are collected first so that no read transaction stays open
 * while a hook runs.
 */
static int
report_new(struct watch *w)
{
	struct dm_filter f;
	struct dm_err e = {0};
	int64_t *v = NULL;
	size_t i, n = 0;
	int code;

	dm_filter_init(&f);
	f.archived = 1;
	f.after = w->last;
	f.by_number = 1;
	code = dm_mailbox_numbers(&w->ses.mb, &f, &v, &n, &e);
	if (code != 0) {
		dm_diag_err(&e);
		return code;
	}
	for (i = 0; i < n && code == 0 && !limit_reached(w); i++) {
		code = report(w, v[i], 0);
		w->last = v[i];
		if (code == 0 && w->o->cursor != NULL &&
		    dm_mailbox_cursor_set(&w->ses.mb, w->o->cursor, w->last,
		    &e) != 0) {
			dm_diag_err(&e);
			code = e.code;
		}
	}
	free(v);
	return code;
}

static int
takein(struct watch *w)
{
	struct dm_err e = {0};
	int code;

	code = dm_session_takein(&w->ses, &e);
	dm_diag_warn_lines(w->ses.report.warnings.v, w->ses.report.warnings.n);
	if (code != 0)
		dm_diag_err(&e);
	return code;
}

/* Decides where reporting starts and reports what is already due. */
static int
start(struct watch *w)
{
	struct dm_filter f;
	struct dm_err e = {0};
	int64_t before, cursor = -1, *retry = NULL, *unread = NULL;
	size_t i, nretry = 0, nunread = 0;
	int code;

	code = dm_mailbox_max_number(&w->ses.mb, &before, &e);
	if (code == 0 && w->o->cursor != NULL)
		code = dm_mailbox_cursor_get(&w->ses.mb, w->o->cursor, &cursor, &e);
	if (code == 0 && w->o->cursor != NULL)
		code = dm_mailbox_retry_list(&w->ses.mb, w->o->cursor, &retry,
		    &nretry, &e);
	if (code != 0) {
		dm_diag_err(&e);
		return code;
	}
	w->last = cursor >= 0 ? cursor : before;

	/* Hooks that failed last time run again first. */
	for (i = 0; i < nretry && code == 0 && !limit_reached(w); i++)
		code = report(w, retry[i], 1);
	free(retry);

	if (code == 0 && w->o->unread) {
		dm_filter_init(&f);
		f.unread = 1;
		f.by_number = 1;
		code = dm_mailbox_numbers(&w->ses.mb, &f, &unread, &nunread, &e);
		if (code != 0)
			dm_diag_err(&e);
		for (i = 0; i < nunread && code == 0 && !limit_reached(w); i++)
			if (unread[i] <= w->last)
				code = report(w, unread[i], 0);
		free(unread);
	}
	if (code == 0)
		code = takein(w);
	if (code == 0)
		code = report_new(w);
	return code;
}

static int
watch_box(struct watch *w, int *ifd)
{
	char *box;

	*ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (*ifd < 0) {
		dm_diag("cannot watch the drop box: inotify: %s", strerror(errno));
		return DM_EX_IOERR;
	}
	box = dm_spool_path(&w->ses.sp, "boxes/%s", w->ses.sp.user);
	if (box == NULL || inotify_add_watch(*ifd, box,
	    IN_MOVED_TO | IN_CREATE | IN_Q_OVERFLOW) < 0) {
		dm_diag("cannot watch the drop box: %s: %s",
		    box != NULL ? box : "", strerror(errno));
		free(box);
		return DM_EX_IOERR;
	}
	free(box);
	return 0;
}

/* Reads pending inotify events. Returns 1 when an envelope arrived. */
static int
drain(int ifd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	int arrived = 0;

	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 &&
			    strstr(ev->name, ".env") != NULL))
				arrived = 1;
		}
	}
	return arrived;
}

static long
ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static void
set_deadline(struct timespec *deadline, long seconds)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += seconds;
}

static int
loop(struct watch *w, int ifd, int sfd)
{
	struct pollfd pfd[2] = { { ifd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
	struct timespec deadline;
	long seen, wait;
	int code = 0, r;

	set_deadline(&deadline, w->o->timeout);
	while (!limit_reached(w)) {
		wait = w->o->timeout >= 0 ? ms_until(&deadline) : -1;
		if (wait == 0)
			return w->reported > 0 ? 0 : DM_EX_NOTHING;
		r = poll(pfd, 2, wait > INT32_MAX ? INT32_MAX : (int)wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dm_diag("cannot wait for messages: %s", strerror(errno));
			return DM_EX_IOERR;
		}
		if (pfd[1].revents & POLLIN)
			return 0;
		if (!(pfd[0].revents & POLLIN) || !drain(ifd))
			continue;

		seen = w->reported;
		code = takein(w);
		if (code == 0)
			code = report_new(w);
		if (code != 0)
			return code;
		if (w->reported > seen)
			set_deadline(&deadline, w->o->timeout);
	}
	return 0;
}

static long
parse_number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	return v;
}

static void
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "exec", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'J' },
		{ "format", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'f' },
		{ "priority", required_argument, NULL, 'p' },
		{ "unread", no_argument, NULL, 'u' },
		{ "mark-read", no_argument, NULL, 'm' },
		{ "limit", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "cursor", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_err e = {0};
	int c;

	o->timeout = -1;
	while ((c = getopt_long(argc, argv, "f:p:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			o->exec = optarg;
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
		case 'f':
			if (!dm_name_valid(optarg)) {
				dm_diag("invalid user name: %s", optarg);
				exit(DM_EX_USAGE);
			}
			o->from = optarg;
			break;
		case 'p':
			o->min_priority = dm_priority_parse(optarg);
			if (o->min_priority < 0) {
				dm_diag("invalid priority: %s: use low, normal, high or "
				    "urgent", optarg);
				exit(DM_EX_USAGE);
			}
			break;
		case 'u':
			o->unread = 1;
			break;
		case 'm':
			o->mark_read = 1;
			break;
		case 'n':
			o->limit = parse_number(optarg, 1000000000);
			if (o->limit < 1) {
				dm_diag("invalid limit: %s: give a positive number",
				    optarg);
				exit(DM_EX_USAGE);
			}
			break;
		case 't':
			o->timeout = parse_number(optarg, 100000000);
			if (o->timeout < 0) {
				dm_diag("invalid timeout: %s: give whole seconds",
				    optarg);
				exit(DM_EX_USAGE);
			}
			break;
		case 'c':
			if (!dm_name_valid(optarg)) {
				dm_diag("invalid cursor name: %s: use letters, digits,"
				    " _ . -", optarg);
				exit(DM_EX_USAGE);
			}
			o->cursor = optarg;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-watch (dm) %s\n", DM_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->json && o->format != NULL) {
		dm_diag("--json and --format choose the output: use one");
		exit(DM_EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct watch w;
	struct dm_err e = {0};
	struct opts o = {0};
	sigset_t mask;
	int64_t max = 0;
	int code, ifd = -1, sfd = -1;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	parse_options(argc, argv, &o);
	memset(&w, 0, sizeof(w));
	w.o = &o;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	code = dm_session_open(&w.ses, DM_SESSION_KEYS | DM_SESSION_MAILBOX, &e);
	if (code != 0)
		dm_diag_err(&e);
	/* Watch before the first take-in, so nothing slips in between. */
	if (code == 0)
		code = watch_box(&w, &ifd);
	if (code == 0 && dm_mailbox_max_number(&w.ses.mb, &max, &e) != 0) {
		dm_diag_err(&e);
		code = e.code;
	}
	if (code == 0) {
		dm_out_init(&w.out, stdout, o.json ? DM_OUT_JSON : o.format != NULL ?
		    DM_OUT_FORMAT : DM_OUT_TABLE, o.format, max + 1000);
		code = start(&w);
	}
	if (code == 0)
		code = loop(&w, ifd, sfd);
	if (ifd >= 0)
		close(ifd);
	if (sfd >= 0)
		close(sfd);
	dm_session_close(&w.ses);
	return code;
}
