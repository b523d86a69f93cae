#!/usr/bin/env bats
# dm: the dispatcher that runs dm-COMMAND.

load test_helper

@test "dm alone lists the commands" {
	run -0 --separate-stderr dm
	[ -z "$stderr" ]
	diff -u - <(printf '%s\n' "$output") <<-'EOF'
	usage: dm COMMAND [ARGS...]

	commands:
	  init     create your keys and mailbox
	  send     send a message
	  inbox    list messages
	  read     show messages and mark them read
	  attach   list and extract attachments
	  watch    report new messages as they arrive
	  mark     mark messages read, unread, archived or deleted
	  group    manage groups

	Run dm COMMAND --help for the options of a command.
	EOF
}

@test "dm --help lists the commands" {
	run -0 --separate-stderr dm
	listing=$output
	run -0 --separate-stderr dm --help
	[ "$output" = "$listing" ]
	run -0 --separate-stderr dm -h
	[ "$output" = "$listing" ]
}

@test "dm lists every built command and no other" {
	run -0 dm
	listed=$(printf '%s\n' "$output" | awk '/^  [a-z]/ { print $1 }' | sort)
	built=$(cd "$DM_TOP/bin" && ls dm-* | sed 's/^dm-//' | sort)
	[ -n "$built" ]
	[ "$listed" = "$built" ]
}

@test "dm send runs dm-send with its arguments" {
	init_users alice bob
	run -0 --separate-stderr as alice dm send -s 'Via dm' -m 'two words' -- bob
	[[ $output =~ ^[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$ ]]
	[ -z "$stderr" ]
	[ "$(as bob dm-inbox --format '%f %s')" = 'alice Via dm' ]
	as bob dm-read --body 1 >got
	printf 'two words' | cmp - got
}

@test "dm passes on the command's exit status and messages" {
	init_users alice
	run -67 --separate-stderr as alice dm send -m 'x' nosuch
	[ "$stderr" = "dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first" ]
	run -64 --separate-stderr dm send
	[ "$stderr" = "dm-send: no recipients: name at least one user or @group" ]
}

@test "dm passes the arguments on unchanged" {
	# A dm with no commands beside it runs them from PATH.
	mkdir solo fake
	cp "$DM_TOP/bin/dm" solo/dm
	cat >fake/dm-send <<-'EOF'
	#!/bin/sh
	printf '[%s]\n' "$0" "$@"
	EOF
	chmod +x fake/dm-send
	run -0 --separate-stderr env PATH="$BATS_TEST_TMPDIR/fake:/usr/bin:/bin" \
		solo/dm send 'two words' -- -x '' '*'
	diff -u - <(printf '%s\n' "$output") <<-EOF
	[$BATS_TEST_TMPDIR/fake/dm-send]
	[two words]
	[--]
	[-x]
	[]
	[*]
	EOF
}

@test "dm prefers the command beside it to one in PATH" {
	mkdir fake
	printf '#!/bin/sh\necho wrong dm-send\n' >fake/dm-send
	chmod +x fake/dm-send
	run -0 --separate-stderr env PATH="$BATS_TEST_TMPDIR/fake:/usr/bin:/bin" \
		"$DM_TOP/bin/dm" send --version
	[[ $output =~ ^dm-send\ \(dm\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "dm rejects an unknown command with 64" {
	for cmd in frobnicate ../bin/dm-send /bin/sh '' -x; do
		run -64 --separate-stderr dm "$cmd" arg
		[ "$stderr" = "dm: unknown command: $cmd: run dm for the list" ]
		[ -z "$output" ]
	done
}

@test "dm --version prints the version" {
	run -0 --separate-stderr dm --version
	[[ $output =~ ^dm\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ -z "$stderr" ]
	version=${output#dm }
	run -0 dm send --version
	[ "$output" = "dm-send (dm) $version" ]
}
