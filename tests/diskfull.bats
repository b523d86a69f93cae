#!/usr/bin/env bats
# A full disk: the spool on a small tmpfs. Needs root to mount it.

load test_helper

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"
	export LC_ALL=C.UTF-8
	unset DM_USER DM_HOME NO_COLOR PAGER COLUMNS
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p small
	mount -t tmpfs -o size=1m,mode=700 tmpfs small ||
	    skip "cannot mount a tmpfs here"
	export DM_SPOOL=$BATS_TEST_TMPDIR/small/spool
	init_users alice bob
	head -c $((2 << 20)) /dev/urandom > big.bin
}

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/small"; then
		umount "$BATS_TEST_TMPDIR/small"
	fi
}

integrity() {
	python3 - "$1" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])
PY
}

@test "a send that does not fit exits 75 and leaves nothing partial" {
	run -0 send_msg alice -s "before" -m "older message" bob
	old=$output
	run -0 as bob dm-inbox -c

	run -75 --separate-stderr send_msg alice -s "too big" -m "x" -a big.bin bob
	[[ $stderr == *"No space left on device"* ]]
	[ -z "$output" ]

	# Nothing of the failed send is left in either drop box: only alice's
	# own copy of the older message waits there for her.
	run -0 find "$DM_SPOOL/boxes" -type f
	[ "$output" = "$DM_SPOOL/boxes/alice/$old.env" ]
	run -0 --separate-stderr as bob dm-inbox --format '%i %s'
	[ "$output" = "$old before" ]
	[ -z "$stderr" ]
	run -0 as bob dm-read --body "$old"
	[ "$output" = "older message" ]
	[ "$(integrity "$DM_SPOOL/users/bob/mailbox.db")" = ok ]
}

@test "the same send works once space is freed" {
	run -75 send_msg alice -s "too big" -m "x" -a big.bin bob
	mount -o remount,size=16m "$BATS_TEST_TMPDIR/small"
	run -0 send_msg alice -s "too big" -m "x" -a big.bin bob
	id=$output
	run -0 as bob dm-attach "$id" 1 -o out.bin
	cmp big.bin out.bin
}

@test "taking in on a full disk exits 75 and loses nothing" {
	run -0 send_msg alice -s "waiting" -m "kept safe" bob
	id=$output
	# Fill what is left so the mailbox cannot grow.
	head -c $((1 << 20)) /dev/zero > "$DM_SPOOL/filler" 2>/dev/null || true

	run --separate-stderr as bob dm-inbox
	[ "$status" -eq 75 ]
	[[ $stderr == *"No space left on device"* ]]
	[ -f "$DM_SPOOL/boxes/bob/$id.env" ]

	rm -f "$DM_SPOOL/filler"
	run -0 as bob dm-inbox --format %i
	[ "$output" = "$id" ]
	run -0 as bob dm-read --body "$id"
	[ "$output" = "kept safe" ]
	[ "$(integrity "$DM_SPOOL/users/bob/mailbox.db")" = ok ]
}
