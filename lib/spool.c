#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "spool.h"
#include "util.h"

/*
 * Directory modes. On a system spool the shared directories are sticky
 * and writable by everyone, so each user can create their own entries
 * but not remove or replace anyone else's. keys/, boxes/ and users/ are
 * not readable, so their listings do not show who uses dm. A drop box is
 * 1733: others may deliver into it but not list or read it.
 */
#define SYS_ROOT_MODE 0755
#define SYS_HIDDEN_MODE 01733
#define SYS_GROUPS_MODE 01777
#define SYS_BOX_MODE 01733
#define PRIVATE_MODE 0700

static const char *const shared_dirs[] = { "keys", "boxes", "users", "groups" };

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The base directory for XDG_<kind>_HOME, or NULL when none is known. */
static char *
xdg_dir(const char *var, const char *fallback, const struct passwd *pw)
{
	const char *v = env(var), *home = env("HOME");

	if (v != NULL && v[0] == '/')
		return dm_strf("%s/dm", v);
	if (home == NULL && pw != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		home = pw->pw_dir;
	if (home == NULL)
		return NULL;
	return dm_strf("%s/%s/dm", home, fallback);
}

/* Returns 1 when root contains the format marker of a system spool. */
static int
is_system_spool(const char *root)
{
	char path[4096], buf[64];
	struct stat st;
	FILE *fp;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/format", root);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
		return 0;
	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), fp) != NULL &&
	    strncmp(buf, "dm-spool 1 system", 17) == 0)
		ok = 1;
	fclose(fp);
	return ok;
}

static int
mkdir_parents(const char *path)
{
	char *copy, *p;
	int rc = 0;

	copy = strdup(path);
	if (copy == NULL)
		return -1;
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(copy);
	return rc;
}

static int
create_personal(const struct dm_spool *sp, struct dm_err *e)
{
	static const char marker[] = "dm-spool 1 personal\n";
	char *path;
	size_t i;
	int code;

	if (mkdir_parents(sp->root) != 0 || dm_mkdir(sp->root, PRIVATE_MODE) != 0)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create spool %s", sp->root);
	for (i = 0; i < sizeof(shared_dirs) / sizeof(shared_dirs[0]); i++) {
		path = dm_path_join(sp->root, shared_dirs[i]);
		if (path == NULL)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		if (dm_mkdir(path, PRIVATE_MODE) != 0) {
			code = dm_err_sys(e, errno, DM_EX_CANTCREAT,
			    "cannot create %s", path);
			free(path);
			return code;
		}
		free(path);
	}
	path = dm_path_join(sp->root, "format");
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = dm_file_replace(path, marker, sizeof(marker) - 1, 0600, e);
	free(path);
	return code;
}

static int
read_format(struct dm_spool *sp, int flags, struct dm_err *e)
{
	char *path, *data = NULL;
	struct stat st;
	int code;

	path = dm_path_join(sp->root, "format");
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	if (lstat(path, &st) != 0 && errno == ENOENT &&
	    (flags & DM_SPOOL_CREATE)) {
		code = create_personal(sp, e);
		if (code != 0) {
			free(path);
			return code;
		}
	}
	code = dm_file_read(path, 256, &data, NULL, DM_EX_CONFIG, e);
	if (code != 0) {
		if (code == DM_EX_CONFIG)
			dm_err_set(e, code, "spool not initialised: %s: "
			    "run dm-init, or set DM_SPOOL", sp->root);
		free(path);
		return code;
	}
	if (strcmp(data, "dm-spool 1 personal\n") == 0) {
		sp->system = 0;
	} else if (strcmp(data, "dm-spool 1 system\n") == 0) {
		sp->system = 1;
	} else {
		code = dm_err_set(e, DM_EX_CONFIG,
		    "unknown spool format: %s: this dm reads version %d",
		    path, DM_SPOOL_VERSION);
	}
	if (code == 0 && lstat(path, &st) == 0 && sp->system &&
	    st.st_uid != 0)
		code = dm_err_set(e, DM_EX_CONFIG,
		    "invalid system spool: %s: not owned by root", path);
	free(data);
	free(path);
	return code;
}

/* A personal spool must be the caller's and closed to everyone else. */
static int
check_personal_root(const struct dm_spool *sp, struct dm_err *e)
{
	struct stat st;

	if (stat(sp->root, &st) != 0)
		return dm_err_sys(e, errno, DM_EX_CONFIG, "cannot open spool %s",
		    sp->root);
	if (st.st_uid != sp->uid)
		return dm_err_set(e, DM_EX_NOPERM,
		    "spool not owned by you: %s", sp->root);
	if (st.st_mode & 022)
		return dm_err_set(e, DM_EX_NOPERM,
		    "spool writable by others: %s: run chmod 700 %s", sp->root,
		    sp->root);
	return 0;
}

static int
resolve_user(struct dm_spool *sp, const struct passwd *pw, struct dm_err *e)
{
	const char *name = env("DM_USER");
	const char *login = pw != NULL ? pw->pw_name : NULL;

	if (name == NULL)
		name = login;
	if (name == NULL)
		return dm_err_set(e, DM_EX_CONFIG,
		    "cannot find the login name of uid %ld: set DM_USER",
		    (long)sp->uid);
	if (!dm_name_valid(name))
		return dm_err_set(e, DM_EX_CONFIG,
		    "invalid user name: %s: names are [a-z_][a-z0-9_.-], at "
		    "most %d characters", name, DM_NAME_MAX);
	if (sp->system && (login == NULL || strcmp(name, login) != 0))
		return dm_err_set(e, DM_EX_NOPERM,
		    "DM_USER not allowed on a system spool: %s: it must equal "
		    "the login name", name);
	sp->user = strdup(name);
	if (sp->user == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	return 0;
}

int
dm_spool_open(struct dm_spool *sp, int flags, struct dm_err *e)
{
	const struct passwd *pw;
	const char *v;
	int code;

	memset(sp, 0, sizeof(*sp));
	sp->uid = getuid();
	pw = getpwuid(sp->uid);

	v = env("DM_SPOOL");
	if (v != NULL)
		sp->root = strdup(v);
	else if (is_system_spool(DM_SYSTEM_SPOOL))
		sp->root = strdup(DM_SYSTEM_SPOOL);
	else
		sp->root = xdg_dir("XDG_DATA_HOME", ".local/share", pw);
	if (sp->root == NULL)
		return dm_err_set(e, DM_EX_CONFIG,
		    "cannot find a spool directory: set DM_SPOOL");

	v = env("DM_HOME");
	sp->home = v != NULL ? strdup(v) : xdg_dir("XDG_CONFIG_HOME", ".config",
	    pw);
	if (sp->home == NULL)
		return dm_err_set(e, DM_EX_CONFIG,
		    "cannot find a key directory: set DM_HOME");

	code = read_format(sp, flags, e);
	if (code != 0)
		return code;
	if (!sp->system) {
		code = check_personal_root(sp, e);
		if (code != 0)
			return code;
	}
	return resolve_user(sp, pw, e);
}

void
dm_spool_close(struct dm_spool *sp)
{
	free(sp->root);
	free(sp->home);
	free(sp->user);
	memset(sp, 0, sizeof(*sp));
}

char *
dm_spool_path(const struct dm_spool *sp, const char *fmt, ...)
{
	char *tail, *path;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&tail, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	path = dm_path_join(sp->root, tail);
	free(tail);
	return path;
}

/* Creates dir with mode, or checks that an existing one is ours. */
static int
make_own_dir(const struct dm_spool *sp, const char *path, mode_t mode,
    struct dm_err *e)
{
	struct stat st;

	if (mkdir(path, mode) == 0) {
		if (chmod(path, mode) != 0)
			return dm_err_sys(e, errno, DM_EX_CANTCREAT,
			    "cannot set mode of %s", path);
		return 0;
	}
	if (errno != EEXIST)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot create %s",
		    path);
	if (lstat(path, &st) != 0)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot stat %s",
		    path);
	if (!S_ISDIR(st.st_mode))
		return dm_err_set(e, DM_EX_CONFIG, "not a directory: %s", path);
	if (st.st_uid != sp->uid)
		return dm_err_set(e, DM_EX_NOPERM,
		    "directory owned by another user: %s: ask the spool's "
		    "administrator to remove it", path);
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
		return dm_err_sys(e, errno, DM_EX_NOPERM, "cannot set mode of %s",
		    path);
	return 0;
}

int
dm_spool_create_user(const struct dm_spool *sp, struct dm_err *e)
{
	static const char *const sub[] = { "", "/store", "/quarantine" };
	char *path;
	size_t i;
	int code;

	path = dm_spool_path(sp, "boxes/%s", sp->user);
	if (path == NULL)
		return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
	code = make_own_dir(sp, path, sp->system ? SYS_BOX_MODE : PRIVATE_MODE,
	    e);
	free(path);
	if (code != 0)
		return code;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		path = dm_spool_path(sp, "users/%s%s", sp->user, sub[i]);
		if (path == NULL)
			return dm_err_set(e, DM_EX_SOFTWARE, "out of memory");
		code = make_own_dir(sp, path, PRIVATE_MODE, e);
		free(path);
		if (code != 0)
			return code;
	}
	return 0;
}

int
dm_spool_create_system(struct dm_err *e)
{
	static const char marker[] = "dm-spool 1 system\n";
	const char *root = env("DM_SPOOL");
	char path[4096];
	struct stat st;
	size_t i;

	if (root == NULL)
		root = DM_SYSTEM_SPOOL;
	if (geteuid() != 0)
		return dm_err_set(e, DM_EX_NOPERM,
		    "cannot create system spool %s: only root may", root);
	snprintf(path, sizeof(path), "%s/format", root);
	if (lstat(path, &st) == 0 && !is_system_spool(root))
		return dm_err_set(e, DM_EX_CONFIG,
		    "spool exists and is not a system spool: %s", root);

	if (mkdir_parents(root) != 0 || dm_mkdir(root, SYS_ROOT_MODE) != 0 ||
	    chown(root, 0, 0) != 0 || chmod(root, SYS_ROOT_MODE) != 0)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT,
		    "cannot create spool %s", root);
	for (i = 0; i < sizeof(shared_dirs) / sizeof(shared_dirs[0]); i++) {
		mode_t mode = strcmp(shared_dirs[i], "groups") == 0 ?
		    SYS_GROUPS_MODE : SYS_HIDDEN_MODE;

		snprintf(path, sizeof(path), "%s/%s", root, shared_dirs[i]);
		if (dm_mkdir(path, mode) != 0 || lstat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || chown(path, 0, 0) != 0 ||
		    chmod(path, mode) != 0)
			return dm_err_sys(e, errno, DM_EX_CANTCREAT,
			    "cannot create %s", path);
	}
	snprintf(path, sizeof(path), "%s/format", root);
	if (dm_file_replace(path, marker, sizeof(marker) - 1, 0644, e) != 0)
		return e->code;
	if (chown(path, 0, 0) != 0)
		return dm_err_sys(e, errno, DM_EX_CANTCREAT, "cannot chown %s",
		    path);
	return 0;
}

int
dm_spool_user_uid(const char *name, uid_t *uid, struct dm_err *e)
{
	const struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return dm_err_set(e, DM_EX_NOUSER, "unknown user: %s", name);
	*uid = pw->pw_uid;
	return 0;
}

int
dm_spool_check_owner(const struct dm_spool *sp, const char *path,
    const char *user, struct dm_err *e)
{
	struct stat st;
	uid_t want = sp->uid;
	int code;

	if (sp->system) {
		code = dm_spool_user_uid(user, &want, e);
		if (code != 0)
			return code;
	}
	if (lstat(path, &st) != 0)
		return dm_err_sys(e, errno, DM_EX_NOUSER, "cannot stat %s", path);
	if (st.st_uid != want)
		return dm_err_set(e, DM_EX_NOPERM,
		    "not owned by %s: %s: ignoring it", user, path);
	return 0;
}
