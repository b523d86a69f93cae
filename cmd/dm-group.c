/*
 * dm-group: list, show and manage the groups defined in the spool.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "names.h"
#include "spool.h"
#include "text.h"
#include "util.h"

static const char synopsis[] =
    "usage: dm-group\n"
    "       dm-group show NAME\n"
    "       dm-group create NAME USER...\n"
    "       dm-group add|remove NAME USER...\n"
    "       dm-group delete NAME\n";

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
	    "Groups are sent to as @NAME. With no command, list the groups\n"
	    "defined in the spool. Only the user who created a group may\n"
	    "change or delete it. A name that is not a spool group is looked\n"
	    "up as a Unix group by show and by dm-send.\n\n"
	    "  -h, --help      show this help\n"
	    "      --version   show the version\n", synopsis);
	exit(0);
}

static const char *
strip_at(const char *name)
{
	return name[0] == '@' ? name + 1 : name;
}

static int
check_names(const char *group, int argc, char **argv)
{
	int i;

	if (!dm_name_valid(group)) {
		dm_diag("invalid group name: %s: names are [a-z_][a-z0-9_.-], at "
		    "most %d characters", group, DM_NAME_MAX);
		return DM_EX_DATAERR;
	}
	for (i = 0; i < argc; i++) {
		if (!dm_name_valid(argv[i])) {
			dm_diag("invalid user name: %s", argv[i]);
			return DM_EX_DATAERR;
		}
	}
	return 0;
}

static int
list_groups(const struct dm_spool *sp)
{
	struct dm_strv names = {0};
	struct dm_err e = {0};
	size_t i;

	if (dm_group_names(sp, &names, &e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	for (i = 0; i < names.n; i++)
		printf("%s\n", names.v[i]);
	i = names.n;
	dm_strv_free(&names);
	return i > 0 ? 0 : DM_EX_NOTHING;
}

static int
show(const struct dm_spool *sp, const char *name)
{
	struct dm_group g;
	struct dm_err e = {0};
	size_t i;

	if (dm_group_load(sp, name, &g, &e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	for (i = 0; i < g.members.n; i++)
		printf("%s\n", g.members.v[i]);
	dm_group_free(&g);
	return 0;
}

/* Loads a spool group the acting user owns. */
static int
load_own(const struct dm_spool *sp, const char *name, struct dm_group *g)
{
	struct dm_err e = {0};
	int code;

	code = dm_group_load_spool(sp, name, g, &e);
	if (code == DM_EX_NOINPUT)
		dm_err_set(&e, DM_EX_NOUSER, "unknown group: @%s: create it with "
		    "dm-group create", name);
	if (code != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	if (strcmp(g->owner, sp->user) != 0) {
		dm_diag("permission denied: @%s: only its owner %s may change it",
		    name, g->owner);
		dm_group_free(g);
		return DM_EX_NOPERM;
	}
	return 0;
}

static int
change(const struct dm_spool *sp, const char *cmd, const char *name, int argc,
    char **argv)
{
	struct dm_group g;
	struct dm_strv kept = {0};
	struct dm_err e = {0};
	size_t i;
	int k, code, create = strcmp(cmd, "create") == 0;

	if (create) {
		memset(&g, 0, sizeof(g));
		snprintf(g.name, sizeof(g.name), "%s", name);
		snprintf(g.owner, sizeof(g.owner), "%s", sp->user);
	} else {
		code = load_own(sp, name, &g);
		if (code != 0)
			return code;
	}

	if (strcmp(cmd, "remove") == 0) {
		for (i = 0; i < g.members.n; i++) {
			for (k = 0; k < argc; k++)
				if (strcmp(g.members.v[i], argv[k]) == 0)
					break;
			if (k == argc)
				dm_strv_add(&kept, g.members.v[i]);
		}
		dm_strv_free(&g.members);
		g.members = kept;
	} else {
		for (k = 0; k < argc; k++)
			if (!dm_strv_has(&g.members, argv[k]))
				dm_strv_add(&g.members, argv[k]);
	}
	if (g.members.n > DM_GROUP_MEMBERS_MAX) {
		dm_diag("too many members in @%s: at most %d", name,
		    DM_GROUP_MEMBERS_MAX);
		dm_group_free(&g);
		return DM_EX_DATAERR;
	}
	code = dm_group_save(sp, &g, create, &e);
	if (code != 0)
		dm_diag_err(&e);
	dm_group_free(&g);
	return code;
}

static int
delete(const struct dm_spool *sp, const char *name)
{
	struct dm_group g;
	struct dm_err e = {0};
	int code;

	code = load_own(sp, name, &g);
	if (code != 0)
		return code;
	dm_group_free(&g);
	if (dm_group_remove(sp, name, &e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_spool sp;
	struct dm_err e = {0};
	const char *cmd, *name;
	int c, code;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
		case 'V':
			printf("dm-group (dm) %s\n", DM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	cmd = argc > 0 ? argv[0] : "list";
	name = argc > 1 ? strip_at(argv[1]) : NULL;
	if ((strcmp(cmd, "list") == 0 && argc > 1) ||
	    ((strcmp(cmd, "show") == 0 || strcmp(cmd, "delete") == 0) &&
	    argc != 2) ||
	    ((strcmp(cmd, "create") == 0 || strcmp(cmd, "add") == 0 ||
	    strcmp(cmd, "remove") == 0) && argc < 3))
		usage();
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "show") != 0 &&
	    strcmp(cmd, "delete") != 0 && strcmp(cmd, "create") != 0 &&
	    strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0) {
		dm_diag("unknown command: %s: use show, create, add, remove or "
		    "delete", cmd);
		exit(DM_EX_USAGE);
	}
	if (name != NULL) {
		code = check_names(name, argc - 2, argv + 2);
		if (code != 0)
			return code;
	}

	code = dm_spool_open(&sp, 0, &e);
	if (code != 0) {
		dm_diag_err(&e);
		dm_spool_close(&sp);
		return code;
	}
	if (strcmp(cmd, "list") == 0)
		code = list_groups(&sp);
	else if (strcmp(cmd, "show") == 0)
		code = show(&sp, name);
	else if (strcmp(cmd, "delete") == 0)
		code = delete(&sp, name);
	else
		code = change(&sp, cmd, name, argc - 2, argv + 2);
	dm_spool_close(&sp);
	if (fflush(stdout) != 0 && code == 0)
		code = DM_EX_IOERR;
	return code;
}
