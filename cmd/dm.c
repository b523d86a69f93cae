/*
 * dm: run dm-COMMAND, as git runs its commands.
 *
 * The program next to this one is preferred, so that a dm in a build
 * directory runs the commands built with it; otherwise PATH decides.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "names.h"
#include "util.h"

static const char *const commands[][2] = {
	{ "init", "create your keys and mailbox" },
	{ "send", "send a message" },
	{ "inbox", "list messages" },
	{ "read", "show messages and mark them read" },
	{ "attach", "list and extract attachments" },
	{ "watch", "report new messages as they arrive" },
	{ "mark", "mark messages read, unread, archived or deleted" },
	{ "group", "manage groups" },
};

static void
list_commands(FILE *fp)
{
	size_t i;

	fputs("usage: dm COMMAND [ARGS...]\n\ncommands:\n", fp);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-8s %s\n", commands[i][0], commands[i][1]);
	fputs("\nRun dm COMMAND --help for the options of a command.\n", fp);
}

static int
known(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i][0], cmd) == 0)
			return 1;
	return 0;
}

/* The directory this program was run from, when argv0 names one. */
static char *
own_dir(const char *argv0)
{
	char buf[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
	} else if (strchr(argv0, '/') != NULL) {
		snprintf(buf, sizeof(buf), "%s", argv0);
	} else {
		return NULL;
	}
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return strdup(buf);
}

int
main(int argc, char **argv)
{
	char name[64], *dir, *path;

	dm_diag_init(argv[0]);
	if (argc < 2) {
		list_commands(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		list_commands(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("dm %s\n", DM_VERSION);
		return 0;
	}
	if (!known(argv[1])) {
		dm_diag("unknown command: %s: run dm for the list", argv[1]);
		return DM_EX_USAGE;
	}

	snprintf(name, sizeof(name), "dm-%s", argv[1]);
	argv[1] = name;
	dir = own_dir(argv[0]);
	if (dir != NULL) {
		path = dm_strf("%s/%s", dir, name);
		if (path != NULL && access(path, X_OK) == 0)
			execv(path, argv + 1);
		free(path);
		free(dir);
	}
	execvp(name, argv + 1);
	dm_diag("cannot run %s: %s", name, strerror(errno));
	return errno == ENOENT ? DM_EX_CONFIG : DM_EX_SOFTWARE;
}
