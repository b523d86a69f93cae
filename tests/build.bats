#!/usr/bin/env bats
# The build: install and uninstall stay inside DESTDIR, user CFLAGS are
# kept, and a missing library is named.

load test_helper

@test "make install puts every program and page under DESTDIR only" {
	stage=$BATS_TEST_TMPDIR/stage
	run -0 make -C "$DM_TOP" -s install DESTDIR="$stage" PREFIX=/usr
	run -0 sh -c "cd '$stage' && find . -type f | sort"
	expected="./usr/bin/dm
./usr/bin/dm-attach
./usr/bin/dm-group
./usr/bin/dm-inbox
./usr/bin/dm-init
./usr/bin/dm-mark
./usr/bin/dm-read
./usr/bin/dm-send
./usr/bin/dm-watch
./usr/share/man/man1/dm-attach.1
./usr/share/man/man1/dm-group.1
./usr/share/man/man1/dm-inbox.1
./usr/share/man/man1/dm-init.1
./usr/share/man/man1/dm-mark.1
./usr/share/man/man1/dm-read.1
./usr/share/man/man1/dm-send.1
./usr/share/man/man1/dm-watch.1
./usr/share/man/man1/dm.1
./usr/share/man/man5/dm.5
./usr/share/man/man7/dm.7"
	diff <(echo "$expected") <(echo "$output")
	[ "$(stat -c %a "$stage/usr/bin/dm-send")" = 755 ]
	[ "$(stat -c %a "$stage/usr/share/man/man7/dm.7")" = 644 ]
}

@test "make uninstall removes what install put there" {
	stage=$BATS_TEST_TMPDIR/stage
	make -C "$DM_TOP" -s install DESTDIR="$stage" PREFIX=/usr
	run -0 make -C "$DM_TOP" -s uninstall DESTDIR="$stage" PREFIX=/usr
	run -0 find "$stage" -type f
	[ -z "$output" ]
}

@test "make prints what it would install without touching the system" {
	run -0 make -C "$DM_TOP" -n install DESTDIR=/nonexistent/stage PREFIX=/usr
	while read -r line; do
		case $line in
		*install*" /usr/"*|*"mkdir -p /usr"*)
			echo "writes outside DESTDIR: $line" >&2
			return 1 ;;
		esac
	done <<< "$output"
	[[ $output == *"/nonexistent/stage/usr/bin"* ]]
}

@test "user CFLAGS are kept beside the warning flags" {
	run -0 make -C "$DM_TOP" -n -B lib/util.o CFLAGS="-O1 -DDM_CHECK_FLAG"
	[[ $output == *"-Wall -Wextra"* ]]
	[[ $output == *"-O1 -DDM_CHECK_FLAG"* ]]
}

@test "a missing library is named with the command that installs it" {
	run -2 --separate-stderr make -C "$DM_TOP" -s deps-check PACKAGES="sqlite3 dm-no-such-lib"
	[[ $stderr == *"build dependency missing: dm-no-such-lib"* ]]
	[[ $stderr == *"apt-get install"* ]]
}
