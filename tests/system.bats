#!/usr/bin/env bats
# A system spool shared by real Unix users. Runs as root: the accounts,
# a Unix group and the spool are created for this file and removed after.

load test_helper

USERS="dmsalice dmsbob dmscarol dmsmallory dmsdave"
TEAM=dmsteam

remove_accounts() {
	local u
	for u in $USERS; do
		if id "$u" >/dev/null 2>&1; then
			userdel -r "$u" >/dev/null 2>&1 || true
		fi
	done
	if getent group "$TEAM" >/dev/null; then
		groupdel "$TEAM" >/dev/null 2>&1 || true
	fi
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to create Unix users"
	command -v useradd >/dev/null || skip "useradd not installed"
	command -v runuser >/dev/null || skip "runuser not installed"

	remove_accounts
	SYS=$(mktemp -d /tmp/dm-system.XXXXXX)
	chmod 755 "$SYS"
	install -d -m 755 "$SYS/bin"
	install -m 755 "$DM_TOP"/bin/* "$SYS/bin/"
	export SYS

	groupadd "$TEAM"
	for u in $USERS; do
		useradd -m -s /bin/sh "$u"
	done
	usermod -a -G "$TEAM" dmsbob
	usermod -a -G "$TEAM" dmscarol

	DM_SPOOL=$SYS/spool "$SYS/bin/dm-init" --system
	for u in dmsalice dmsbob dmscarol dmsmallory; do
		sys_as "$u" dm-init >/dev/null 2>&1
	done
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	remove_accounts
	[ -n "${SYS:-}" ] && rm -rf "$SYS"
}

setup() {
	export DM_SPOOL=$SYS/spool
	cd "$BATS_TEST_TMPDIR" || return 1
}

# sys_as USER CMD...: runs CMD as the Unix user USER with a login-like
# environment: HOME, USER, a minimal PATH with dm first, and DM_SPOOL.
sys_as() {
	local u=$1
	shift
	runuser -u "$u" -- env -i HOME="/home/$u" USER="$u" LOGNAME="$u" \
	    PATH="$SYS/bin:/usr/bin:/bin" DM_SPOOL="$SYS/spool" LC_ALL=C.UTF-8 \
	    "$@"
}

@test "dm-init --system creates the spool with the documented modes" {
	[ "$(stat -c '%a %U %G' "$SYS/spool")" = "755 root root" ]
	[ "$(stat -c '%a %U' "$SYS/spool/keys")" = "1733 root" ]
	[ "$(stat -c '%a %U' "$SYS/spool/boxes")" = "1733 root" ]
	[ "$(stat -c '%a %U' "$SYS/spool/users")" = "1733 root" ]
	[ "$(stat -c '%a %U' "$SYS/spool/groups")" = "1777 root" ]
	[ "$(stat -c '%a %U' "$SYS/spool/format")" = "644 root" ]
	[ "$(cat "$SYS/spool/format")" = "dm-spool 1 system" ]
}

@test "dm-init --system by a user is refused with 77" {
	run -77 --separate-stderr sys_as dmsalice env DM_SPOOL=/home/dmsalice/s \
	    dm-init --system
	[[ $stderr == *"only root may"* ]]
}

@test "each user owns a 1733 drop box, a 0700 mailbox and their key" {
	[ "$(stat -c '%a %U' "$SYS/spool/boxes/dmsbob")" = "1733 dmsbob" ]
	[ "$(stat -c '%a %U' "$SYS/spool/users/dmsbob")" = "700 dmsbob" ]
	[ "$(stat -c '%a %U' "$SYS/spool/keys/dmsbob.pub")" = "644 dmsbob" ]
	[ "$(stat -c '%a %U' /home/dmsbob/.config/dm)" = "700 dmsbob" ]
	[ "$(stat -c '%a %U' /home/dmsbob/.config/dm/dmsbob.key)" = "600 dmsbob" ]
}

@test "alice delivers to bob and bob reads it" {
	run -0 sys_as dmsalice dm-send -s "system hello" -m "hello from alice" dmsbob
	id=$output
	run -0 sys_as dmsbob dm-inbox --format '%i %f %s'
	[[ $output == *"$id dmsalice system hello"* ]]
	run -0 sys_as dmsbob dm-read --body "$id"
	[ "$output" = "hello from alice" ]
}

@test "taken-in files belong to the recipient, not the sender" {
	printf 'attachment body\n' > "$BATS_TEST_TMPDIR/a.txt"
	chmod 644 "$BATS_TEST_TMPDIR/a.txt"
	cp "$BATS_TEST_TMPDIR/a.txt" /home/dmsalice/a.txt
	chown dmsalice /home/dmsalice/a.txt
	run -0 sys_as dmsalice dm-send -m "with a file" -a /home/dmsalice/a.txt dmsbob
	id=$output
	run -0 sys_as dmsbob dm-inbox -c
	[ "$(stat -c %U "$SYS/spool/users/dmsbob/store/$id.env")" = dmsbob ]
	[ "$(stat -c %U "$SYS/spool/users/dmsbob/store/$id.1")" = dmsbob ]
	run -0 sys_as dmsbob dm-attach "$id" 1
	[ "$output" = "attachment body" ]
}

@test "alice delivers to a Unix group and keeps a sent copy" {
	run -0 sys_as dmsalice dm-send -s "to the team" -m "team note" "@$TEAM"
	id=$output
	run -0 sys_as dmsbob dm-inbox --format %i
	[[ $output == *"$id"* ]]
	run -0 sys_as dmscarol dm-inbox --format %i
	[[ $output == *"$id"* ]]
	run -0 sys_as dmsalice dm-inbox --sent --format %i
	[[ $output == *"$id"* ]]
}

@test "DM_USER other than the login name is refused with 77" {
	run -77 --separate-stderr sys_as dmsalice env DM_USER=dmsbob dm-inbox
	[[ $stderr == *"DM_USER not allowed on a system spool: dmsbob"* ]]
	run -0 sys_as dmsalice env DM_USER=dmsalice dm-inbox --sent -c
}

@test "alice cannot list or read bob's drop box or mailbox" {
	run -0 sys_as dmscarol dm-send -s "for bob only" -m "secret words" dmsbob
	run ! sys_as dmsalice ls "$SYS/spool/boxes/dmsbob"
	run ! sys_as dmsalice ls "$SYS/spool/users/dmsbob"
	run ! sys_as dmsalice cat "$SYS/spool/users/dmsbob/mailbox.db"
	run ! sys_as dmsalice ls "$SYS/spool/users"
	run -0 sys_as dmsbob dm-inbox --format %s
	[[ $output == *"for bob only"* ]]
}

@test "alice cannot delete or replace a message waiting for bob" {
	run -0 sys_as dmscarol dm-send -s "waiting" -m "carol's words" dmsbob
	id=$output
	env=$SYS/spool/boxes/dmsbob/$id.env
	before=$(sha256sum < "$env")

	run ! sys_as dmsalice rm -f "$env"
	[ -f "$env" ]
	run ! sys_as dmsalice sh -c 'echo forged > "$HOME/f" && mv -f "$HOME/f" "$1"' sh "$env"
	run ! sys_as dmsalice sh -c 'echo forged > "$1"' sh "$env"
	[ "$(sha256sum < "$env")" = "$before" ]

	run -0 sys_as dmsbob dm-read --body "$id"
	[ "$output" = "carol's words" ]
}

@test "alice cannot replace bob's published key" {
	key=$SYS/spool/keys/dmsbob.pub
	before=$(sha256sum < "$key")
	run ! sys_as dmsalice sh -c 'cp "$1" "$HOME/k" && mv -f "$HOME/k" "$2"' sh \
	    "$SYS/spool/keys/dmsalice.pub" "$key"
	run ! sys_as dmsalice sh -c 'cat "$1" > "$2"' sh \
	    "$SYS/spool/keys/dmsalice.pub" "$key"
	run ! sys_as dmsalice rm -f "$key"
	[ "$(sha256sum < "$key")" = "$before" ]
}

@test "alice cannot change or delete bob's group" {
	run -0 sys_as dmsbob dm-group create bobsfriends dmscarol
	run -77 --separate-stderr sys_as dmsalice dm-group add bobsfriends dmsalice
	[[ $stderr == *"only its owner dmsbob may change it"* ]]
	run -77 sys_as dmsalice dm-group delete bobsfriends
	run ! sys_as dmsalice sh -c 'echo "member dmsalice" >> "$1"' sh \
	    "$SYS/spool/groups/bobsfriends"
	run ! sys_as dmsalice rm -f "$SYS/spool/groups/bobsfriends"
	run -0 sys_as dmsbob dm-group show bobsfriends
	[ "$output" = dmscarol ]
}

@test "a message mallory plants in bob's box claiming to be from alice is rejected" {
	# Mallory acts as "dmsalice" in a spool of her own, encrypts to bob's
	# real public key, and copies the envelope into bob's real drop box.
	run -0 sys_as dmsmallory sh -c '
		export DM_SPOOL=$HOME/fake DM_HOME=$HOME/fakehome DM_USER=dmsalice
		dm-init >/dev/null 2>&1 &&
		mkdir -p "$DM_SPOOL/boxes/dmsbob" &&
		cp "$1/keys/dmsbob.pub" "$DM_SPOOL/keys/" &&
		id=$(dm-send -s "from alice, really" -m "pay mallory" dmsbob) &&
		cp "$DM_SPOOL/boxes/dmsbob/$id.env" "$1/boxes/dmsbob/$id.env" &&
		chmod 644 "$1/boxes/dmsbob/$id.env" &&
		echo "$id"' sh "$SYS/spool"
	id=$output
	[ -f "$SYS/spool/boxes/dmsbob/$id.env" ]

	run -0 --separate-stderr sys_as dmsbob dm-inbox -A --format '%i %f %s'
	[[ $output != *"$id"* ]]
	[[ $output != *"from alice, really"* ]]
	[[ $stderr == *"quarantined $SYS/spool/boxes/dmsbob/$id.env"* ]]
	[[ $stderr == *"not written by dmsalice"* ]]
	[ -f "$SYS/spool/users/dmsbob/quarantine/$id.env" ]
}

@test "an unreadable file planted in bob's box does not stop his mailbox" {
	run -0 sys_as dmscarol dm-send -s "still arrives" -m "ok" dmsbob
	good=$output
	planted=$SYS/spool/boxes/dmsbob/0000000000000000000000000a.env
	run -0 sys_as dmsmallory sh -c 'umask 077 && echo junk > "$1"' sh "$planted"

	run -0 --separate-stderr sys_as dmsbob dm-inbox -A --format %i
	[[ $output == *"$good"* ]]
	[[ $stderr == *"quarantined $planted: verification failed: not readable by the recipient"* ]]
	[ ! -e "$planted" ]
}

@test "secret keys readable by group or others are refused with 77" {
	key=/home/dmscarol/.config/dm/dmscarol.key
	chmod 640 "$key"
	run -77 --separate-stderr sys_as dmscarol dm-inbox
	[[ $stderr == *"secret key file is accessible by others: $key"* ]]
	chmod 604 "$key"
	run -77 sys_as dmscarol dm-send -m x dmsbob
	chmod 600 "$key"
	run -0 sys_as dmscarol dm-inbox -c -A
}

@test "a key file planted under another user's name does not count" {
	# dmsdave never ran dm-init; mallory publishes a key in his name.
	run -0 sys_as dmsmallory sh -c '
		sed "s/^user dmsmallory$/user dmsdave/" "$1/keys/dmsmallory.pub" \
		    > "$1/keys/dmsdave.pub"' sh "$SYS/spool"
	[ "$(stat -c %U "$SYS/spool/keys/dmsdave.pub")" = dmsmallory ]
	run -67 --separate-stderr sys_as dmsalice dm-send -m "to dave" dmsdave
	[[ $stderr == *"is not owned by dmsdave"* ]]
	rm -f "$SYS/spool/keys/dmsdave.pub"
}

@test "a drop box created by someone else is refused at dm-init" {
	run -0 sys_as dmsmallory mkdir -m 1733 "$SYS/spool/boxes/dmsdave"
	run -77 --separate-stderr sys_as dmsdave dm-init
	[[ $stderr == *"directory owned by another user: $SYS/spool/boxes/dmsdave"* ]]
	rmdir "$SYS/spool/boxes/dmsdave"
	run -0 sys_as dmsdave dm-init
	[ "$(stat -c '%a %U' "$SYS/spool/boxes/dmsdave")" = "1733 dmsdave" ]
}

@test "no installed program has a setuid or setgid bit" {
	make -C "$DM_TOP" -s install DESTDIR="$BATS_TEST_TMPDIR/stage" PREFIX=/usr \
	    >/dev/null
	run -0 find "$BATS_TEST_TMPDIR/stage" "$DM_TOP/bin" -perm /6000
	[ -z "$output" ]
	run -0 find "$SYS/spool" -perm /6000
	[ -z "$output" ]
}
