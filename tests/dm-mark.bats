#!/usr/bin/env bats
# dm-mark: read, unread, archive, unarchive and delete.

load test_helper

# states: bob's messages as "NUMBER:FLAGS" (archived ones marked with a
# trailing "a"), space-separated, archived included.
states() {
	as bob dm-inbox -A --json | python3 -c '
import json, sys
out = []
for line in sys.stdin:
    m = json.loads(line)
    out.append("%d:%s%s" % (m["number"], "N" if m["unread"] else "-",
                            "a" if m["archived"] else ""))
print(" ".join(out))'
}

# three_messages: alice sends bob three messages, taken in as 1, 2, 3.
three_messages() {
	init_users alice bob
	local s
	for s in one two three; do
		send_msg alice -s "$s" -m "body $s" bob >/dev/null || return 1
	done
	as bob dm-inbox >/dev/null
}

@test "dm-mark read and unread change the unread flag" {
	three_messages
	[ "$(states)" = "1:N 2:N 3:N" ]
	run -0 --separate-stderr as bob dm-mark read 1 3
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(states)" = "1:- 2:N 3:-" ]
	run -0 --separate-stderr as bob dm-mark unread 3
	[ "$(states)" = "1:- 2:N 3:N" ]
	run -0 --separate-stderr as bob dm-mark read 1
	[ "$(states)" = "1:- 2:N 3:N" ]
}

@test "dm-mark archive hides from the listing" {
	three_messages
	run -0 --separate-stderr as bob dm-mark archive 2
	[ -z "$output" ]
	run -0 --separate-stderr as bob dm-inbox --format '%n'
	[ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "1 3 " ]
	run -0 --separate-stderr as bob dm-inbox -A --format '%n'
	[ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(states)" = "1:N 2:Na 3:N" ]
	run -0 --separate-stderr as bob dm-inbox -c
	[ "$output" = 2 ]
}

@test "dm-mark unarchive shows a message again" {
	three_messages
	as bob dm-mark archive 1 2
	run -0 --separate-stderr as bob dm-mark unarchive 2
	[ "$(states)" = "1:Na 2:N 3:N" ]
	run -0 --separate-stderr as bob dm-inbox --format '%n'
	[ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "2 3 " ]
}

@test "dm-mark archive keeps the message readable" {
	three_messages
	as bob dm-mark archive 2
	run -0 --separate-stderr as bob dm-read -b 2
	[ "$output" = "body two" ]
}

@test "dm-mark delete removes message and files" {
	init_users alice bob
	printf 'first\n' >a.txt
	printf 'second\n' >b.txt
	id=$(send_msg alice -s "with files" -a a.txt -a b.txt -m "findme text" bob)
	keep=$(send_msg alice -s kept -m x bob)
	as bob dm-inbox >/dev/null
	store=$DM_SPOOL/users/bob/store
	[ -f "$store/$id.env" ]
	[ -f "$store/$id.1" ]
	[ -f "$store/$id.2" ]
	run -0 --separate-stderr as bob dm-mark delete 1
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ ! -e "$store/$id.env" ]
	[ ! -e "$store/$id.1" ]
	[ ! -e "$store/$id.2" ]
	[ -f "$store/$keep.env" ]
	run -0 --separate-stderr as bob dm-inbox -A --format '%n %s'
	[ "$output" = "2 kept" ]
	run -66 --separate-stderr as bob dm-read "$id"
	run -66 --separate-stderr as bob dm-read 1
	run -66 --separate-stderr as bob dm-attach 1
	run -1 --separate-stderr as bob dm-inbox -g findme
}

@test "dm-mark delete never reuses a number" {
	three_messages
	as bob dm-mark delete 3
	as bob dm-mark delete 2
	send_msg alice -s four -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%n %s'
	diff -u <(printf '1 one\n4 four\n') <(printf '%s\n' "$output")
	run -66 --separate-stderr as bob dm-read 3
}

@test "dm-mark delete twice reports the unknown message" {
	three_messages
	as bob dm-mark delete 2
	run -66 --separate-stderr as bob dm-mark delete 2
	[ "$stderr" = "dm-mark: unknown message: 2" ]
}

@test "dm-mark takes full ids and id prefixes" {
	init_users alice bob
	a=$(send_msg alice -s one -m x bob)
	b=$(send_msg alice -s two -m x bob)
	run -0 --separate-stderr as bob dm-mark read "$a" "${b:0:6}"
	[ "$(states)" = "1:- 2:-" ]
}

@test "dm-mark - reads ids one a line" {
	three_messages
	as bob dm-inbox -u --format '%n' | head -n 2 | as bob dm-mark read -
	[ "$(states)" = "1:- 2:- 3:N" ]
	as bob dm-inbox --format '%i' | as bob dm-mark archive -
	[ "$(states)" = "1:-a 2:-a 3:Na" ]
}

@test "dm-mark - reads NUL-separated numbers" {
	three_messages
	as bob dm-read 2 >/dev/null
	as bob dm-inbox -u -0 | as bob dm-mark archive -
	[ "$(states)" = "1:Na 2:- 3:Na" ]
}

@test "dm-mark - takes the first field of listing lines" {
	three_messages
	as bob dm-inbox -f alice | as bob dm-mark read -
	[ "$(states)" = "1:- 2:- 3:-" ]
}

@test "dm-mark rejects an unknown action" {
	three_messages
	run -64 --separate-stderr as bob dm-mark flag 1
	[ "$stderr" = "dm-mark: unknown action: flag: use read, unread, archive, unarchive or delete" ]
	run -64 --separate-stderr as bob dm-mark READ 1
	[[ $stderr == *"unknown action: READ"* ]]
	[ "$(states)" = "1:N 2:N 3:N" ]
}

@test "dm-mark without an ID prints the usage" {
	run -64 --separate-stderr dm-mark read
	[[ $stderr == *"usage: dm-mark read|unread|archive|unarchive|delete ID..."* ]]
	run -64 --separate-stderr dm-mark
	[[ $stderr == *"usage: dm-mark "* ]]
}

@test "dm-mark exits 66 for an unknown message" {
	three_messages
	run -66 --separate-stderr as bob dm-mark read 4
	[ "$stderr" = "dm-mark: unknown message: 4" ]
	run -66 --separate-stderr as bob dm-mark delete 7zzzzzzz
	[ "$stderr" = "dm-mark: unknown message: 7zzzzzzz" ]
	[ "$(states)" = "1:N 2:N 3:N" ]
}

@test "dm-mark exits 64 for a malformed id" {
	three_messages
	run -64 --separate-stderr as bob dm-mark read abc
	[[ $stderr == *"dm-mark: invalid message id: abc"* ]]
}

@test "dm-mark applies the good IDs when one is bad" {
	three_messages
	run -66 --separate-stderr as bob dm-mark read 1 9 abc 3
	[[ $stderr == *"dm-mark: unknown message: 9"* ]]
	[[ $stderr == *"dm-mark: invalid message id: abc"* ]]
	[ "$(states)" = "1:- 2:N 3:-" ]
	run -64 --separate-stderr as bob dm-mark delete abc 9 2
	[ "$(states)" = "1:- 3:-" ]
}

@test "dm-mark takes in newly delivered messages first" {
	init_users alice bob
	id=$(send_msg alice -s new -m x bob)
	run -0 --separate-stderr as bob dm-mark archive "$id"
	[ "$(states)" = "1:Na" ]
}

@test "dm-mark -h prints the usage" {
	run -0 --separate-stderr dm-mark -h
	[[ ${lines[0]} == "usage: dm-mark "* ]]
	run -0 --separate-stderr dm-mark --version
	[[ $output =~ ^dm-mark\ \(dm\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "dm-mark exits 78 when the spool or mailbox is missing" {
	run -78 --separate-stderr as bob dm-mark read 1
	[[ $stderr == *"dm-mark: spool not initialised: $DM_SPOOL"* ]]
	init_users bob
	rm -rf "$DM_SPOOL/users/bob"
	run -78 --separate-stderr as bob dm-mark read 1
	[[ $stderr == *"dm-mark: no mailbox for bob"* ]]
}

@test "dm-mark rejects an unknown option" {
	run -64 --separate-stderr dm-mark --nosuch read 1
	[[ $stderr == *"usage: dm-mark "* ]]
	run -64 --separate-stderr dm-mark -x read 1
	[[ $stderr == *"invalid option"* ]]
}

@test "dm-mark - with no ids on standard input exits 1" {
	init_users alice bob
	run -1 --separate-stderr as bob dm-mark read - < /dev/null
	[ -z "$output" ]
	[ "$stderr" = "dm-mark: no message ids given" ]
}
