#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group.h"
#include "names.h"

#define GROUP_FILE_MAX 65536

static char *
group_path(const struct dm_spool *sp, const char *name)
{
	return dm_spool_path(sp, "groups/%s", name);
}

void
dm_group_free(struct dm_group *g)
{
	dm_strv_free(&g->members);
	memset(g, 0, sizeof(*g));
}

static int
parse_group(char *data, const char *path, struct dm_group *g,
    struct dm_err *e)
{
	char *line, *save = NULL, *value;
	size_t lineno = 0;

	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		value = strchr(line, ' ');
		if (value != NULL)
			*value++ = '\0';
		if (lineno == 1 && strcmp(line, "dm-group") == 0 && value != NULL &&
		    strcmp(value, "1") == 0)
			continue;
		if (lineno == 2 && strcmp(line, "owner") == 0 && value != NULL &&
		    dm_name_valid(value)) {
			snprintf(g->owner, sizeof(g->owner), "%s", value);
			continue;
		}
		if (lineno > 2 && strcmp(line, "member") == 0 && value != NULL &&
		    dm_name_valid(value) &&
		    g->members.n < DM_GROUP_MEMBERS_MAX) {
			if (!dm_strv_has(&g->members, value) &&
			    dm_strv_add(&g->members, value) != 0)
				return dm_err_set(e, DM_EX_SOFTWARE,
				    "out of memory");
			continue;
		}
		return dm_err_set(e, DM_EX_DATAERR,
		    "corrupt group file: %s: line %zu", path, lineno);
	}
	if (g->owner[0] == '\0')
		return dm_err_set(e, DM_EX_DATAERR, "corrupt group file: %s",
		    path);
	return 0;
}

int
dm_group_load_spool(const struct dm_spool *sp, const char *name,
    struct dm_group *g, struct dm_err *e)
{
	char *path, *data = NULL;
	int code;

	memset(g, 0, sizeof(*g));
	if (!dm_name_valid(name))
		return dm_err_set(e, DM_EX_DATAERR, "invalid group name: @%s",
		    name);
	snprintf(g->name, sizeof(g->name), "%s", name);
	path = group_path(sp, name);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = dm_file_read(path, GROUP_FILE_MAX, &data, NULL, DM_EX_NOINPUT, e);
	if (code == 0)
		code = parse_group(data, path, g, e);
	if (code == 0 && dm_spool_check_owner(sp, path, g->owner, NULL) != 0)
		code = dm_err_set(e, DM_EX_DATAERR,
		    "untrusted group file: %s: not owned by its owner %s", path,
		    g->owner);
	free(data);
	free(path);
	if (code != 0)
		dm_group_free(g);
	return code;
}

/* Members of a Unix group: its member list and users whose primary group
 * it is. */
static int
load_unix(const char *name, struct dm_group *g, struct dm_err *e)
{
	const struct group *gr;
	const struct passwd *pw;
	gid_t gid;
	size_t i;

	gr = getgrnam(name);
	if (gr == NULL)
		return dm_err_set(e, DM_EX_NOUSER, "unknown group: @%s", name);
	gid = gr->gr_gid;
	g->unix_group = 1;
	for (i = 0; gr->gr_mem != NULL && gr->gr_mem[i] != NULL; i++)
		if (dm_name_valid(gr->gr_mem[i]) &&
		    !dm_strv_has(&g->members, gr->gr_mem[i]) &&
		    dm_strv_add(&g->members, gr->gr_mem[i]) != 0)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_gid != gid || !dm_name_valid(pw->pw_name) ||
		    dm_strv_has(&g->members, pw->pw_name))
			continue;
		if (dm_strv_add(&g->members, pw->pw_name) != 0) {
			endpwent();
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		}
	}
	endpwent();
	return 0;
}

int
dm_group_load(const struct dm_spool *sp, const char *name, struct dm_group *g,
    struct dm_err *e)
{
	int code;

	code = dm_group_load_spool(sp, name, g, e);
	if (code != DM_EX_NOINPUT)
		return code;
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	code = load_unix(name, g, e);
	if (code != 0)
		dm_group_free(g);
	return code;
}

/* Writes a new group file whole, failing when the name is taken. */
static int
create_file(const char *path, const struct dm_buf *b, const char *name,
    struct dm_err *e)
{
	char *dir, *tmp = NULL, *slash;
	int fd, code = 0;

	dir = strdup(path);
	if (dir == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	slash = strrchr(dir, '/');
	*slash = '\0';
	fd = dm_tmpfile(dir, 0644, &tmp);
	if (fd < 0) {
		code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create file in %s", dir);
		free(dir);
		return code;
	}
	if (dm_write_full(fd, b->data, b->len) != 0 || fsync(fd) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot write %s", tmp);
	/* link() fails when the name exists, so two creators cannot both win. */
	else if (link(tmp, path) != 0)
		code = errno == EEXIST ? dm_err_set(e, DM_EX_CANTCREAT,
		    "group exists: @%s", name) : dm_err_sys(e, errno,
		    DM_EX_CANTCREAT, "cannot create %s", path);
	else if (dm_sync_entry(dir, fd) != 0)
		code = dm_err_sys(e, errno, DM_EX_IOERR, "cannot sync %s", dir);
	close(fd);
	unlink(tmp);
	free(tmp);
	free(dir);
	return code;
}

int
dm_group_save(const struct dm_spool *sp, const struct dm_group *g, int create,
    struct dm_err *e)
{
	struct dm_buf b = {0};
	char *path;
	size_t i;
	int code;

	path = group_path(sp, g->name);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	dm_buf_addf(&b, "dm-group 1\nowner %s\n", g->owner);
	for (i = 0; i < g->members.n; i++)
		dm_buf_addf(&b, "member %s\n", g->members.v[i]);
	if (b.oom)
		code = dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	else if (create)
		code = create_file(path, &b, g->name, e);
	else
		code = dm_file_replace(path, b.data, b.len, 0644, e);
	dm_buf_free(&b);
	free(path);
	return code;
}

int
dm_group_remove(const struct dm_spool *sp, const char *name, struct dm_err *e)
{
	char *path;
	int code = 0;

	path = group_path(sp, name);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (unlink(path) != 0)
		code = dm_err_sys(e, errno, DM_EX_NOINPUT, "cannot remove %s",
		    path);
	free(path);
	return code;
}

static int
compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dm_group_names(const struct dm_spool *sp, struct dm_strv *names,
    struct dm_err *e)
{
	struct dirent *de;
	char *path;
	DIR *d;

	path = dm_spool_path(sp, "groups");
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	d = opendir(path);
	if (d == NULL) {
		int code = dm_err_sys(e, errno, DM_EX_CONFIG, "cannot open %s",
		    path);

		free(path);
		return code;
	}
	while ((de = readdir(d)) != NULL) {
		if (!dm_name_valid(de->d_name))
			continue;
		if (dm_strv_add(names, de->d_name) != 0) {
			closedir(d);
			free(path);
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		}
	}
	closedir(d);
	free(path);
	if (names->n > 0)
		qsort(names->v, names->n, sizeof(char *), compare);
	return 0;
}
