/*
 * dm-send: send a message, or a batch of messages read as JSON Lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "attach.h"
#include "batch.h"
#include "format.h"
#include "names.h"
#include "send.h"
#include "session.h"
#include "text.h"

#define BATCH_LINE_MAX (64u << 20)

static const char synopsis[] =
    "usage: dm-send [-q] [--json] [-s SUBJECT] [-m TEXT | -F FILE]\n"
    "               [-p LEVEL] [-t TAG]... [-r ID] [[-n NAME] -a FILE]...\n"
    "               RECIPIENT...\n"
    "       dm-send --batch [-q] [--json]\n";

struct opts {
	const char *subject;
	const char *message;
	const char *body_file;
	const char *reply;
	int priority;
	struct dm_strv tags;
	struct dm_send_att *att;
	size_t natt;
	int batch, quiet, json;
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
	    "Send a message to users and @groups. The body is read from\n"
	    "standard input unless -m or -F gives it. Prints the message id.\n\n"
	    "  -s, --subject TEXT     subject line (one line)\n"
	    "  -m, --message TEXT     body text\n"
	    "  -F, --body-file FILE   read the body from FILE\n"
	    "  -a, --attach FILE      attach FILE (repeatable); - reads standard"
	    " input\n"
	    "  -n, --name NAME        file name for the next -a\n"
	    "  -r, --reply ID         continue the thread of message ID; with no\n"
	    "                         RECIPIENT, reply to its sender and other\n"
	    "                         recipients\n"
	    "  -p, --priority LEVEL   low, normal, high or urgent\n"
	    "  -t, --tag TAG          tag the message (repeatable)\n"
	    "      --batch            read messages as JSON Lines from standard"
	    " input\n"
	    "  -q, --quiet            do not print the message id\n"
	    "      --json             print the sent message as JSON\n"
	    "  -h, --help             show this help\n"
	    "      --version          show the version\n", synopsis);
	exit(0);
}

/* Command-line subjects are one line: no C0, DEL or C1 controls. */
static int
check_subject(const char *s, struct dm_err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n = strlen(s), len;
	uint32_t cp;

	if (n > DM_SUBJECT_MAX)
		return dm_err_set(e, DM_EX_DATAERR,
		    "subject too long: %zu bytes: at most %d", n, DM_SUBJECT_MAX);
	for (i = 0; i < n; i += len) {
		len = dm_utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			len = 1;
			cp = p[i];
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return dm_err_set(e, DM_EX_DATAERR,
			    "invalid subject: control character 0x%02x at byte %zu:"
			    " a subject is one line of text", (unsigned)cp, i + 1);
	}
	return 0;
}

/* Checks -t tags. A bad tag is message data like a bad subject, so 65. */
static int
check_tags(const struct dm_strv *tags, struct dm_err *e)
{
	size_t i;

	for (i = 0; i < tags->n; i++) {
		if (!dm_tag_valid(tags->v[i]))
			return dm_err_set(e, DM_EX_DATAERR,
			    "invalid tag: %s: a tag is 1 to %d bytes of UTF-8 without"
			    " spaces, commas or control characters", tags->v[i],
			    DM_TAG_MAX);
	}
	return 0;
}

static void
print_failures(const struct dm_send_result *res, const char *prefix)
{
	size_t i;

	for (i = 0; i < res->nfail; i++)
		dm_diag("%s%s", prefix, res->fail[i].err.msg);
}

/* Prints what was sent: the id, or the --json object. */
static int
print_result(const struct dm_send_result *res, int json, int quiet)
{
	const struct dm_meta *m = &res->meta;
	struct dm_msg msg;
	struct dm_buf to = {0}, tags = {0};
	size_t i;
	json_t *o;

	if (!json) {
		if (!quiet)
			printf("%s\n", m->id);
		return 0;
	}

	memset(&msg, 0, sizeof(msg));
	memcpy(msg.id, m->id, sizeof(msg.id));
	memcpy(msg.thread, m->thread, sizeof(msg.thread));
	msg.from = (char *)m->from;
	for (i = 0; i < m->to.n; i++)
		dm_buf_addf(&to, "%s%s", i > 0 ? " " : "", m->to.v[i]);
	for (i = 0; i < m->tags.n; i++)
		dm_buf_addf(&tags, "%s%s", i > 0 ? " " : "", m->tags.v[i]);
	msg.to = to.data != NULL ? to.data : (char *)"";
	msg.tags = tags.data != NULL ? tags.data : (char *)"";
	msg.date_ms = m->date_ms;
	msg.subject = m->subject;
	msg.subject_len = m->subject_len;
	msg.priority = m->priority;
	msg.natt = (int)m->natt;
	msg.size = (int64_t)res->body_size;
	msg.att = calloc(m->natt + 1, sizeof(*msg.att));
	for (i = 0; msg.att != NULL && i < m->natt; i++) {
		msg.att[i].index = (int)i + 1;
		msg.att[i].name = m->att[i].name;
		msg.att[i].name_len = m->att[i].name_len;
		msg.att[i].type = m->att[i].type;
		msg.att[i].size = (int64_t)m->att[i].size;
		msg.size += (int64_t)m->att[i].size;
	}

	o = dm_json_msg(&msg);
	json_object_del(o, "number");
	json_object_del(o, "unread");
	json_object_del(o, "archived");
	dm_json_print(stdout, o);
	json_decref(o);
	free(msg.att);
	dm_buf_free(&to);
	dm_buf_free(&tags);
	return 0;
}

/*
 * Fills the reply fields of req from message arg in the sender's
 * mailbox: thread, parent, and the recipients when none were given.
 */
static int
prepare_reply(struct dm_session *s, const char *arg, struct dm_send_req *req,
    struct dm_msg *orig, char **subject, struct dm_err *e)
{
	char *copy, *tok, *save = NULL;
	int64_t number;
	int code;

	if (s->mb.db == NULL) {
		code = dm_mailbox_open(&s->sp, &s->mb, e);
		if (code == 0)
			code = dm_session_takein(s, e);
		dm_diag_warn_lines(s->report.warnings.v, s->report.warnings.n);
		if (code != 0)
			return code;
	}
	code = dm_mailbox_resolve(&s->mb, arg, &number, e);
	if (code == 0)
		code = dm_mailbox_get(&s->mb, number, orig, e);
	if (code != 0)
		return code;
	req->thread = orig->thread;
	req->parent = orig->id;

	if (req->to.n == 0) {
		copy = dm_strf("%s %s", orig->from, orig->rcpt);
		for (tok = copy != NULL ? strtok_r(copy, " ", &save) : NULL;
		    tok != NULL; tok = strtok_r(NULL, " ", &save))
			if (strcmp(tok, s->sp.user) != 0 &&
			    !dm_strv_has(&req->to, tok))
				dm_strv_add(&req->to, tok);
		free(copy);
		/* A reply to a note to oneself goes back to oneself. */
		if (req->to.n == 0)
			dm_strv_add(&req->to, s->sp.user);
	}
	if (*subject == NULL) {
		if (strncasecmp(orig->subject, "re:", 3) == 0)
			*subject = strdup(orig->subject);
		else
			*subject = dm_strf("Re: %s", orig->subject);
	}
	return 0;
}

static int
send_one(struct dm_session *s, struct dm_typer *typer, struct dm_send_req *req,
    const char *reply, const char *prefix, const struct opts *o)
{
	struct dm_send_result res;
	struct dm_err e = {0};
	struct dm_msg orig = {0};
	char *subject = req->subject != NULL ? strdup(req->subject) : NULL;
	int code = 0;

	if (reply != NULL)
		code = prepare_reply(s, reply, req, &orig, &subject, &e);
	if (code != 0) {
		dm_diag("%s%s", prefix, e.msg);
		free(subject);
		return code;
	}
	req->subject = subject != NULL ? subject : "";
	req->subject_len = strlen(req->subject);

	code = dm_send(&s->sp, &s->id, typer, req, &res, &e);
	print_failures(&res, prefix);
	if (res.nfail == 0 && e.code != 0)
		dm_diag("%s%s", prefix, e.msg);
	if (res.delivered > 0 || (code == 0 && e.code == 0)) {
		print_result(&res, o->json, o->quiet);
		if (reply != NULL && s->mb.db != NULL &&
		    dm_mailbox_mark_replied(&s->mb, orig.id, &e) != 0)
			dm_diag_warn("%s", e.msg);
	}
	fflush(stdout);
	dm_send_result_free(&res);
	dm_msg_free(&orig);
	free(subject);
	req->subject = NULL;
	return code;
}

/*
 * Opens the -F file. Any failure is exit 66, even EACCES, because the
 * file is the sender's input, not the spool or the keys.
 */
static int
open_body_file(const char *path, int *fd, struct dm_err *e)
{
	struct stat st;
	int errnum;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return dm_err_set(e, DM_EX_NOINPUT, "cannot open body file %s: %s",
		    path, strerror(errno));

	if (fstat(*fd, &st) != 0)
		errnum = errno;
	else if (S_ISDIR(st.st_mode))
		errnum = EISDIR;
	else
		return 0;
	close(*fd);
	*fd = -1;
	return dm_err_set(e, DM_EX_NOINPUT, "cannot open body file %s: %s",
	    path, strerror(errnum));
}

static int
send_single(struct dm_session *s, struct opts *o, int argc, char **argv)
{
	struct dm_send_req req;
	struct dm_typer typer = {0};
	struct dm_err e = {0};
	int i, code, fd = -1;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < argc; i++)
		if (dm_strv_add(&req.to, argv[i]) != 0)
			return DM_EX_SOFTWARE;
	req.subject = o->subject;
	req.priority = o->priority;
	req.tags = o->tags;
	req.att = o->att;
	req.natt = o->natt;
	if (o->message != NULL) {
		req.body_fd = -1;
		req.body = o->message;
		req.body_len = strlen(o->message);
	} else if (o->body_file != NULL) {
		code = open_body_file(o->body_file, &fd, &e);
		if (code != 0) {
			dm_diag_err(&e);
			dm_strv_free(&req.to);
			return code;
		}
		req.body_fd = fd;
	} else {
		req.body_fd = STDIN_FILENO;
	}

	code = send_one(s, &typer, &req, o->reply, "", o);
	if (fd >= 0)
		close(fd);
	dm_type_close(&typer);
	dm_strv_free(&req.to);
	return code;
}

/* A line with an "id" that was already sent needs no second send. */
static int
already_sent(struct dm_session *s, const char *id)
{
	struct dm_err e = {0};

	if (dm_send_was_sent(&s->sp, id))
		return 1;
	if (s->mb.db == NULL && dm_mailbox_open(&s->sp, &s->mb, &e) != 0) {
		dm_mailbox_close(&s->mb);
		return 0;
	}
	return dm_mailbox_has_id(&s->mb, id);
}

/*
 * Prints the id of a line that an earlier run sent. Under --json the
 * object contains only "id" because the rest is not known here.
 */
static void
print_sent_before(const char *id, const struct opts *o)
{
	json_t *obj;

	if (!o->json) {
		if (!o->quiet)
			printf("%s\n", id);
		return;
	}
	obj = json_pack("{s:s}", "id", id);
	if (obj != NULL)
		dm_json_print(stdout, obj);
	json_decref(obj);
}

static int
send_batch(struct dm_session *s, const struct opts *o)
{
	struct dm_typer typer = {0};
	char *text = NULL, prefix[64], err[512], id[DM_ID_LEN + 1];
	size_t cap = 0, lineno = 0, failed = 0;
	ssize_t len;
	struct dm_batch_line l;
	int code;

	while ((len = getline(&text, &cap, stdin)) >= 0) {
		lineno++;
		snprintf(prefix, sizeof(prefix), "line %zu: ", lineno);
		if (strspn(text, " \t\r\n") == (size_t)len)
			continue;
		if ((size_t)len > BATCH_LINE_MAX) {
			dm_diag("%sline too long: at most %u bytes", prefix,
			    BATCH_LINE_MAX);
			failed++;
			continue;
		}
		if (dm_batch_parse_line(text, (size_t)len, &l, err,
		    sizeof(err)) != 0) {
			dm_diag("%s%s", prefix, err);
			dm_batch_line_free(&l);
			failed++;
			continue;
		}
		if (l.key != NULL) {
			dm_id_derive(id, s->sp.user, l.key);
			l.req.id = id;
			if (already_sent(s, id)) {
				print_sent_before(id, o);
				dm_batch_line_free(&l);
				continue;
			}
		}
		code = send_one(s, &typer, &l.req, l.reply, prefix, o);
		if (code != 0)
			failed++;
		dm_batch_line_free(&l);
	}
	free(text);
	dm_type_close(&typer);
	if (ferror(stdin)) {
		dm_diag("cannot read standard input: %s", strerror(errno));
		return DM_EX_IOERR;
	}
	return failed > 0 ? DM_EX_DATAERR : 0;
}

static int
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "message", required_argument, NULL, 'm' },
		{ "body-file", required_argument, NULL, 'F' },
		{ "attach", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "reply", required_argument, NULL, 'r' },
		{ "priority", required_argument, NULL, 'p' },
		{ "tag", required_argument, NULL, 't' },
		{ "batch", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pending_name = NULL;
	int c, stdin_att = 0;

	o->priority = DM_PRIO_NORMAL;
	while ((c = getopt_long(argc, argv, "s:m:F:a:n:r:p:t:qh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 's':
			o->subject = optarg;
			break;
		case 'm':
			o->message = optarg;
			break;
		case 'F':
			o->body_file = optarg;
			break;
		case 'a':
			o->att = realloc(o->att, (o->natt + 1) * sizeof(*o->att));
			if (o->att == NULL)
				exit(DM_EX_SOFTWARE);
			o->att[o->natt].path = optarg;
			o->att[o->natt].name = pending_name;
			o->natt++;
			pending_name = NULL;
			stdin_att += strcmp(optarg, "-") == 0;
			break;
		case 'n':
			if (pending_name != NULL) {
				dm_diag("-n %s is not followed by -a", pending_name);
				exit(DM_EX_USAGE);
			}
			pending_name = optarg;
			break;
		case 'r':
			o->reply = optarg;
			break;
		case 'p':
			o->priority = dm_priority_parse(optarg);
			if (o->priority < 0) {
				dm_diag("invalid priority: %s: use low, normal, high or "
				    "urgent", optarg);
				exit(DM_EX_USAGE);
			}
			break;
		case 't':
			dm_strv_add(&o->tags, optarg);
			break;
		case 'B':
			o->batch = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-send (dm) %s\n", DM_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (pending_name != NULL) {
		dm_diag("-n %s is not followed by -a", pending_name);
		exit(DM_EX_USAGE);
	}
	if (o->message != NULL && o->body_file != NULL) {
		dm_diag("-m and -F both give the body: use one");
		exit(DM_EX_USAGE);
	}
	if (stdin_att > 1 || (stdin_att == 1 && o->message == NULL &&
	    o->body_file == NULL)) {
		dm_diag("-a - reads standard input: give the body with -m or -F,"
		    " and use -a - once");
		exit(DM_EX_USAGE);
	}
	if (o->batch && (o->subject != NULL || o->message != NULL ||
	    o->body_file != NULL || o->natt > 0 || o->reply != NULL ||
	    o->tags.n > 0 || optind < argc)) {
		dm_diag("--batch takes every message from standard input: no "
		    "recipients or message options");
		exit(DM_EX_USAGE);
	}
	return optind;
}

/* Opens the session and sends; the caller frees the options. */
static int
run(struct opts *o, int argc, char **argv)
{
	struct dm_session s;
	struct dm_err e = {0};
	char fpr[40];
	int code;

	if ((o->subject != NULL && check_subject(o->subject, &e) != 0) ||
	    check_tags(&o->tags, &e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}

	code = dm_session_open(&s, DM_SESSION_KEYS | DM_SESSION_AUTOINIT, &e);
	if (code == 0)
		code = dm_keys_check_published(&s.sp, &s.id, &e);
	if (code != 0) {
		dm_diag_err(&e);
		dm_session_close(&s);
		return code;
	}
	if (s.initialised) {
		dm_keys_fpr_text(fpr, s.fpr);
		dm_diag("created a key for %s in %s: fingerprint %s", s.sp.user,
		    s.sp.home, fpr);
	}

	if (o->batch)
		code = send_batch(&s, o);
	else
		code = send_single(&s, o, argc, argv);
	if (fflush(stdout) != 0 && code == 0)
		code = DM_EX_IOERR;
	dm_session_close(&s);
	return code;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int code;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	memset(&o, 0, sizeof(o));
	optind = parse_options(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (!o.batch && argc == 0 && o.reply == NULL) {
		dm_diag("no recipients: name at least one user or @group");
		code = DM_EX_USAGE;
	} else {
		code = run(&o, argc, argv);
	}
	dm_strv_free(&o.tags);
	free(o.att);
	return code;
}
