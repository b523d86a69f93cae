/*
 * dm-init: create or rotate the identity's keys, publish them, create
 * the mailbox; create a system spool; accept a correspondent's new key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "keys.h"
#include "names.h"
#include "spool.h"
#include "text.h"
#include "util.h"

static const char synopsis[] =
    "usage: dm-init [--force]\n"
    "       dm-init --system\n"
    "       dm-init --fingerprint USER\n"
    "       dm-init --trust USER\n";

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
	    "Create your key pairs in DM_HOME, publish the public keys in the\n"
	    "spool, create your mailbox and print the key fingerprint.\n\n"
	    "  -f, --force       make a new key generation; old secret keys are\n"
	    "                    kept so old messages stay readable\n"
	    "      --system      create the system spool (root only)\n"
	    "      --fingerprint USER\n"
	    "                    print USER's published key fingerprint and\n"
	    "                    whether it is the one you pinned; changes\n"
	    "                    nothing\n"
	    "      --trust USER  accept USER's current published key after it\n"
	    "                    changed\n"
	    "  -h, --help        show this help\n"
	    "      --version     show the version\n", synopsis);
	exit(0);
}

static int
init_identity(int force)
{
	struct dm_identity id = {0};
	struct dm_spool sp;
	struct dm_err e = {0};
	char fpr[40];
	int created = 0, code;

	code = dm_spool_open(&sp, DM_SPOOL_CREATE, &e);
	if (code == 0)
		code = dm_keys_init(&sp, force, &id, &created, &e);
	if (code != 0) {
		dm_diag_err(&e);
		dm_spool_close(&sp);
		return code;
	}

	dm_keys_fpr_text(fpr, id.keys[id.n - 1].pub.fpr);
	if (created && id.n > 1)
		dm_diag("rotated the key of %s: generation %zu; older keys kept "
		    "in %s", sp.user, id.n, sp.home);
	else if (created)
		dm_diag("created a key for %s in %s", sp.user, sp.home);
	printf("%s\n", fpr);

	dm_keys_free_identity(&id);
	dm_spool_close(&sp);
	return fflush(stdout) == 0 ? 0 : DM_EX_IOERR;
}

static int
init_system(void)
{
	struct dm_err e = {0};
	const char *root = getenv("DM_SPOOL");

	if (dm_spool_create_system(&e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}
	dm_diag("system spool ready: %s",
	    root != NULL && *root != '\0' ? root : DM_SYSTEM_SPOOL);
	return 0;
}

/* Prints a correspondent's published fingerprint and its pin state. */
static int
show_fingerprint(const char *user)
{
	unsigned char pinned[DM_FPR_BYTES];
	struct dm_pubchain chain;
	struct dm_spool sp;
	struct dm_err e = {0};
	char text[40], was[40];
	const unsigned char *current;
	size_t i;
	int code;

	code = dm_spool_open(&sp, 0, &e);
	if (code == 0)
		code = dm_keys_load_public(&sp, user, &chain, &e);
	if (code != 0) {
		dm_diag_err(&e);
		dm_spool_close(&sp);
		return code;
	}
	current = chain.keys[chain.n - 1].fpr;
	dm_keys_fpr_text(text, current);
	printf("%s %s ", user, text);
	if (!dm_keys_pinned(&sp, user, pinned)) {
		printf("(not pinned yet)\n");
	} else if (memcmp(pinned, current, DM_FPR_BYTES) == 0) {
		printf("(pinned)\n");
	} else {
		for (i = 0; i + 1 < chain.n; i++)
			if (memcmp(chain.keys[i].fpr, pinned, DM_FPR_BYTES) == 0)
				break;
		dm_keys_fpr_text(was, pinned);
		printf(i + 1 < chain.n ? "(signed rotation of pinned %s)\n" :
		    "(changed: pinned %s)\n", was);
	}
	dm_spool_close(&sp);
	return fflush(stdout) == 0 ? 0 : DM_EX_IOERR;
}

static int
trust(const char *user)
{
	unsigned char fpr[DM_FPR_BYTES];
	struct dm_spool sp;
	struct dm_err e = {0};
	char text[40];
	int code;

	code = dm_spool_open(&sp, 0, &e);
	if (code == 0)
		code = dm_keys_accept(&sp, user, fpr, &e);
	dm_spool_close(&sp);
	if (code != 0) {
		dm_diag_err(&e);
		return code;
	}
	dm_keys_fpr_text(text, fpr);
	printf("%s %s\n", user, text);
	return fflush(stdout) == 0 ? 0 : DM_EX_IOERR;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "system", no_argument, NULL, 'S' },
		{ "trust", required_argument, NULL, 'T' },
		{ "fingerprint", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust_user = NULL, *show_user = NULL;
	struct dm_err e = {0};
	int c, force = 0, system_spool = 0;

	dm_diag_init(argv[0]);
	/* getopt names the program by argv[0] in its messages. */
	argv[0] = (char *)dm_diag_progname();
	dm_text_init();
	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'S':
			system_spool = 1;
			break;
		case 'T':
			trust_user = optarg;
			break;
		case 'P':
			show_user = optarg;
			break;
		case 'h':
			help();
		case 'V':
			printf("dm-init (dm) %s\n", DM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0 || force + system_spool + (trust_user != NULL) +
	    (show_user != NULL) > 1)
		usage();
	if (dm_crypto_init(&e) != 0) {
		dm_diag_err(&e);
		return e.code;
	}

	if (system_spool)
		return init_system();
	if (show_user != NULL) {
		if (!dm_name_valid(show_user)) {
			dm_diag("invalid user name: %s", show_user);
			return DM_EX_USAGE;
		}
		return show_fingerprint(show_user);
	}
	if (trust_user != NULL) {
		if (!dm_name_valid(trust_user)) {
			dm_diag("invalid user name: %s", trust_user);
			return DM_EX_USAGE;
		}
		return trust(trust_user);
	}
	return init_identity(force);
}
