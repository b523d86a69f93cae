/*
 * dm-attach: list, extract and save attachments; detect file types.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "format.h"
#include "session.h"
#include "stored.h"
#include "text.h"

static const char synopsis[] =
    "usage: dm-attach ID\n"
    "       dm-attach [-f] ID N|NAME [-o FILE]\n"
    "       dm-attach [-f] ID --all [-d DIR]\n"
    "       dm-attach --type FILE...\n";

struct opts {
	const char *output;
	const char *dir;
	int all, force, type;
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
	    "List the attachments of message ID, write one to a file or to\n"
	    "standard output, or save all of them into a directory under safe\n"
	    "names. Every attachment is verified before any byte is written.\n\n"
	    "  -o, --output FILE  write the attachment to FILE\n"
	    "  -a, --all          save every attachment\n"
	    "  -d, --dir DIR      directory for --all (default: .)\n"
	    "  -f, --force        overwrite existing files\n"
	    "      --type         print the MIME type of each FILE\n"
	    "  -h, --help         show this help\n"
	    "      --version      show the version\n", synopsis);
	exit(0);
}

static int
detect_types(int argc, char **argv)
{
	struct dm_typer typer = {0};
	char type[DM_TYPE_BUFSIZE];
	struct dm_err e = {0};
	int i, fd, first = 0;

	for (i = 0; i < argc; i++) {
		fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dm_err_sys(&e, errno, DM_EX_NOINPUT, "cannot open %s",
			    argv[i]);
		} else if (dm_type_fd(&typer, fd, argv[i], type, &e) == 0) {
			printf("%s\n", type);
			e.code = 0;
		}
		if (fd >= 0)
			close(fd);
		if (e.code != 0) {
			dm_diag_err(&e);
			if (first == 0)
				first = e.code;
			dm_err_clear(&e);
		}
	}
	dm_type_close(&typer);
	return first;
}

static void
list(const struct dm_msg *m)
{
	int tty = isatty(STDOUT_FILENO), i;

	for (i = 0; i < m->natt; i++) {
		const struct dm_att_row *a = &m->att[i];

		if (tty)
			printf("%3d %-28s %10lld ", a->index, a->type,
			    (long long)a->size);
		else
			printf("%d\t%s\t%lld\t", a->index, a->type,
			    (long long)a->size);
		dm_text_put_line(stdout, a->name, a->name_len);
		putchar('\n');
	}
}

/* Finds an attachment by number or by exact name. Returns its index. */
static int
select_attachment(const struct dm_msg *m, const char *arg, struct dm_err *e)
{
	size_t n = strlen(arg);
	int i, digits = n > 0 && n < 6;

	for (i = 0; digits && arg[i] != '\0'; i++)
		if (arg[i] < '0' || arg[i] > '9')
			digits = 0;
	if (digits && atoi(arg) >= 1 && atoi(arg) <= m->natt)
		return atoi(arg);
	for (i = 0; i < m->natt; i++)
		if (m->att[i].name_len == n && memcmp(m->att[i].name, arg, n) == 0)
			return m->att[i].index;
	dm_err_set(e, DM_EX_NOINPUT, "no attachment %s in message %lld", arg,
	    (long long)m->number);
	return -1;
}

static int
write_fd(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	int fd = *(int *)ctx;

	if (dm_write_full(fd, buf, n) != 0)
		return dm_err_sys(e, errno, DM_EX_IOERR, "cannot write");
	return 0;
}

static int
write_filtered(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct dm_body_filter *f = ctx;

	(void)e;
	dm_body_filter_write(f, buf, n);
	return 0;
}

/*
 * Returns 1 when path names any directory entry. A dangling symbolic link
 * counts, because link(2) cannot replace it either.
 */
static int
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static mode_t
file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
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

/*
 * Writes attachment index to path through a temporary file in the same
 * directory. Without force an existing path is left alone (exit 73).
 */
static int
save(struct dm_session *ses, struct dm_stored *st, int index, const char *path,
    int force, struct dm_err *e)
{
	char *dir, *tmp = NULL;
	int fd, code;

	dir = dir_of(path);
	if (dir == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (!force && path_exists(path)) {
		free(dir);
		return dm_err_set(e, DM_EX_CANTCREAT,
		    "file exists: %s: use --force to overwrite", path);
	}
	fd = dm_tmpfile(dir, file_mode(), &tmp);
	if (fd < 0) {
		code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create file in %s", dir);
		free(dir);
		return code;
	}
	code = dm_stored_attachment(&ses->mb, st, index, write_fd, &fd, e);
	if (close(fd) != 0 && code == 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s", tmp);
	if (code == 0) {
		if (force) {
			if (rename(tmp, path) != 0)
				code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
				    "cannot create %s", path);
		} else if (link(tmp, path) != 0) {
			code = errno == EEXIST ? dm_err_set(e, DM_EX_CANTCREAT,
			    "file exists: %s: use --force to overwrite", path) :
			    dm_err_sys(e, errno, DM_EX_CANTCREAT,
			    "cannot create %s", path);
		}
	}
	unlink(tmp);
	free(tmp);
	free(dir);
	return code;
}

static int
extract_one(struct dm_session *ses, struct dm_stored *st,
    const struct dm_msg *m, int index, const struct opts *o,
    struct dm_err *e)
{
	const struct dm_att_row *a = &m->att[index - 1];
	struct dm_body_filter f;
	int fd = STDOUT_FILENO, code;

	if (o->output != NULL && strcmp(o->output, "-") != 0)
		return save(ses, st, index, o->output, o->force, e);
	if (!isatty(STDOUT_FILENO))
		return dm_stored_attachment(&ses->mb, st, index, write_fd, &fd, e);

	/* A terminal gets text made safe, and no binary at all. */
	if (strncmp(a->type, "text/", 5) != 0)
		return dm_err_set(e, DM_EX_USAGE,
		    "not writing %s data to a terminal: use -o FILE or a pipe",
		    a->type);
	dm_body_filter_init(&f, stdout);
	code = dm_stored_attachment(&ses->mb, st, index, write_filtered, &f, e);
	dm_body_filter_finish(&f);
	return code;
}

/* Chooses the file name of every attachment before anything is written. */
static char **
plan_names(const struct dm_msg *m, const char *dir, int force,
    struct dm_err *e)
{
	char **paths = calloc((size_t)m->natt + 1, sizeof(char *));
	char *safe, *name;
	int i, k, n;

	if (paths == NULL)
		return NULL;
	for (i = 0; i < m->natt; i++) {
		safe = dm_att_safe_name(m->att[i].name, m->att[i].name_len,
		    m->att[i].index);
		for (n = 1; safe != NULL; n++) {
			name = n == 1 ? strdup(safe) : dm_att_clash_name(safe, n);
			paths[i] = name != NULL ? dm_strf("%s/%s", dir, name) : NULL;
			free(name);
			if (paths[i] == NULL)
				break;
			for (k = 0; k < i; k++)
				if (strcmp(paths[k], paths[i]) == 0)
					break;
			if (k == i)
				break;
			free(paths[i]);
			paths[i] = NULL;
		}
		free(safe);
		if (paths[i] == NULL) {
			dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
			goto fail;
		}
		if (!force && path_exists(paths[i])) {
			dm_err_set(e, DM_EX_CANTCREAT,
			    "file exists: %s: nothing saved; use --force to "
			    "overwrite", paths[i]);
			goto fail;
		}
	}
	return paths;
fail:
	for (i = 0; i < m->natt; i++)
		free(paths[i]);
	free(paths);
	return NULL;
}

static int
save_all(struct dm_session *ses, struct dm_stored *st, const struct dm_msg *m,
    const struct opts *o, struct dm_err *e)
{
	const char *dir = o->dir != NULL ? o->dir : ".";
	char **paths;
	int i, code = 0;

	if (m->natt == 0)
		return dm_err_set(e, DM_EX_NOTHING, "message %lld has no "
		    "attachments", (long long)m->number);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot create %s",
		    dir);
	for (i = 1; i <= m->natt && code == 0; i++)
		code = dm_stored_attachment_check(&ses->mb, st, i, e);
	if (code != 0)
		return code;
	paths = plan_names(m, dir, o->force, e);
	if (paths == NULL)
		return e->code != 0 ? e->code : DM_EX_SOFTWARE;
	for (i = 0; i < m->natt && code == 0; i++) {
		code = save(ses, st, m->att[i].index, paths[i], o->force, e);
		if (code == 0)
			printf("%s\n", paths[i]);
	}
	for (i = 0; i < m->natt; i++)
		free(paths[i]);
	free(paths);
	return code;
}

static int
run(struct dm_session *ses, const struct opts *o, int argc, char **argv)
{
	struct dm_stored st = { .fd = -1 };
	struct dm_err e = {0};
	struct dm_msg m = {0};
	int64_t number;
	int code, index = 0;

	code = dm_mailbox_resolve(&ses->mb, argv[0], &number, &e);
	if (code == 0)
		code = dm_mailbox_get(&ses->mb, number, &m, &e);
	if (code == 0 && argc == 1 && !o->all) {
		code = m.natt > 0 ? 0 : DM_EX_NOTHING;
		if (code == DM_EX_NOTHING)
			dm_diag("message %s has no attachments", argv[0]);
		list(&m);
		dm_msg_free(&m);
		return code;
	}
	if (code == 0 && argc == 2) {
		index = select_attachment(&m, argv[1], &e);
		if (index < 0)
			code = e.code;
	}
	if (code == 0)
		code = dm_stored_open(&ses->mb, &ses->id, &m, &st, &e);
	if (code == 0 && o->all)
		code = save_all(ses, &st, &m, o, &e);
	else if (code == 0)
		code = extract_one(ses, &st, &m, index, o, &e);
	if (code != 0)
		dm_diag_err(&e);
	dm_stored_close(&st);
	dm_msg_free(&m);
	return code;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "type", no_argument, NULL, 'T' },
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
	while ((c = getopt_long(argc, argv, "o:ad:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'a':
			o.all = 1;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'T':
			o.type = 1;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-attach (dm) %s\n", DM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (o.type) {
		if (argc == 0 || o.all || o.output != NULL || o.dir != NULL)
			usage();
		return detect_types(argc, argv);
	}
	if (argc < 1 || argc > 2 || (o.all && argc != 1) ||
	    (o.dir != NULL && !o.all) || (o.output != NULL && argc != 2))
		usage();

	code = dm_session_open(&ses, DM_SESSION_TAKEIN, &e);
	dm_diag_warn_lines(ses.report.warnings.v, ses.report.warnings.n);
	if (code != 0)
		dm_diag_err(&e);
	else
		code = run(&ses, &o, argc, argv);
	if (fflush(stdout) != 0 && code == 0)
		code = DM_EX_IOERR;
	dm_session_close(&ses);
	return code;
}
