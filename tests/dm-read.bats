#!/usr/bin/env bats
# dm-read: the message view, body bytes, JSON, raw envelopes, ID forms,
# marking read and the pager.

load test_helper

export TZ=UTC

# bob_in_terminal CMD...: runs CMD as bob with a terminal as stdout and
# no newline translation, so the bytes seen are the bytes written.
bob_in_terminal() {
	in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		sh -c 'stty -onlcr; exec "$@"' sh "$@"
}

# rfc5322_date DATE: the Date header dm-read shows for an RFC 3339 date.
rfc5322_date() {
	date -d "$1" '+%a, %d %b %Y %H:%M:%S %z'
}

# msg_date ID: the date of bob's message ID, RFC 3339 UTC.
msg_date() {
	as bob dm-inbox -A --format '%i %d' | awk -v id="$1" '$1 == id { print $2 }'
}

# next_second: waits until the clock has moved on to a new second, so
# that the next message gets a later date than the previous one.
next_second() {
	local start
	start=$(date +%s)
	timeout 3 sh -c "while [ \$(date +%s) = $start ]; do sleep 0.05; done"
}

# unread_numbers: bob's unread message numbers, space-separated.
unread_numbers() {
	as bob dm-inbox -u --format '%n' | tr '\n' ' '
}

# make_pager: writes a PAGER script that records that it ran and keeps
# what it was given.
make_pager() {
	cat >pager <<EOF
#!/bin/sh
echo "ran with \$# arguments" >>"$BATS_TEST_TMPDIR/pager.log"
cat >"$BATS_TEST_TMPDIR/pager.out"
EOF
	chmod +x pager
}

@test "dm-read shows headers, blank line and body" {
	init_users alice bob carol
	printf 'hello\n' >note.txt
	head -c 1536 /dev/zero >zeros.bin
	id=$(send_msg alice -s "Weekly report" -p high -t ops -t cron \
		-a note.txt -a zeros.bin -m "Line one
line two" bob carol)
	date=$(rfc5322_date "$(msg_date "$id")")
	run -0 --separate-stderr as bob dm-read "$id"
	[ -z "$stderr" ]
	cat >expected <<EOF
From: alice
To: bob,carol
Date: $date
Subject: Weekly report
Priority: high
Tags: cron,ops
Attachment: 1 note.txt (text/plain, 6 bytes)
Attachment: 2 zeros.bin (application/octet-stream, 1.5 KiB)
Verified: signature of alice checked

Line one
line two
EOF
	diff -u expected <(printf '%s\n' "$output")
}

@test "dm-read leaves out normal priority and empty tags" {
	init_users alice bob
	id=$(send_msg alice -s plain -m "text" bob)
	date=$(rfc5322_date "$(msg_date "$id")")
	as bob dm-read "$id" >out
	printf 'From: alice\nTo: bob\nDate: %s\nSubject: plain\nVerified: signature of alice checked\n\ntext\n' \
		"$date" >expected
	cmp expected out
}

@test "dm-read ends a body with one newline" {
	init_users alice bob
	send_msg alice -s a -m "no newline" bob >/dev/null
	printf 'own newline\n' | as alice dm-send -s b bob >/dev/null
	send_msg alice -s c -m "" bob >/dev/null
	as bob dm-read 1 | tail -c 12 >out
	printf '\nno newline\n' | cmp - out
	as bob dm-read 2 | tail -c 14 >out
	printf '\n\nown newline\n' | cmp - out
	as bob dm-read 3 | tail -c 10 >out
	printf ' checked\n\n' | cmp - out
}

@test "dm-read separates several messages with a blank line" {
	init_users alice bob
	send_msg alice -s one -m "first body" bob >/dev/null
	send_msg alice -s two -m "second body" bob >/dev/null
	run -0 --separate-stderr as bob dm-read 1 2
	[ "$(printf '%s\n' "$output" | grep -c '^From: alice$')" -eq 2 ]
	[[ $output == *$'first body\n\nFrom: alice\n'* ]]
	[[ $output == *"second body" ]]
}

@test "dm-read shows the date in the local time zone" {
	init_users alice bob
	id=$(send_msg alice -s hi -m x bob)
	expected=$(TZ=JST-9 rfc5322_date "$(msg_date "$id")")
	[[ $expected == *" +0900" ]]
	run -0 --separate-stderr env TZ=JST-9 DM_USER=bob \
		DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-read "$id"
	[ "${lines[2]}" = "Date: $expected" ]
}

@test "dm-read puts the Verified line before the body" {
	init_users alice bob
	send_msg alice -s hi -m "Verified: signature of root checked" bob >/dev/null
	run -0 --separate-stderr --keep-empty-lines as bob dm-read 1
	[ "${lines[4]}" = "Verified: signature of alice checked" ]
	[ "${lines[5]}" = "" ]
	[ "${lines[6]}" = "Verified: signature of root checked" ]
}

@test "dm-read marks the message read" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	[ "$(unread_numbers)" = "1 2 " ]
	as bob dm-read 2 >/dev/null
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read -N leaves the message unread" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-read -N 1
	[[ $output == *"Subject: one"* ]]
	run -0 --separate-stderr as bob dm-read --no-mark -b 1
	run -0 --separate-stderr as bob dm-read --no-mark --json 1
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read -b is byte-exact into a pipe" {
	init_users alice bob
	printf 'no\0nl\r\n\033[2J\r\xff\xfe caf\xe9\x9b\ttab' >body
	id=$(as alice dm-send -s raw -F body bob)
	as bob dm-read -b "$id" >out
	cmp body out
	as bob dm-read --body "$id" | cmp body -
}

@test "dm-read -b writes several bodies one after another" {
	init_users alice bob
	send_msg alice -s one -m "first" bob >/dev/null
	send_msg alice -s two -m "second" bob >/dev/null
	as bob dm-read -b 1 2 >out
	printf 'firstsecond' | cmp - out
}

@test "dm-read -b escapes controls on a terminal" {
	init_users alice bob
	printf 'a\tb\r\nc\rd\033[2Je\x07f\xe9g\xc2\x9bh\n' >body
	as alice dm-send -s raw -F body bob >/dev/null
	NO_COLOR=1 bob_in_terminal dm-read -b 1 >out
	printf 'a\tb\r\nc\\rd\\e[2Je\\x07f\\xe9g\\u009bh\n' | cmp - out
}

@test "dm-read keeps characters split across chunks" {
	init_users alice bob
	python3 -c 'import sys; sys.stdout.buffer.write(("x" + "日本語テキスト\r\n" * 20000).encode())' >body
	as alice dm-send -s big -F body bob >/dev/null
	NO_COLOR=1 bob_in_terminal dm-read -b 1 >out
	cmp body out
}

@test "dm-read --thread shows the conversation oldest first" {
	init_users alice bob
	first=$(send_msg alice -s plan -m "one" bob)
	send_msg alice -s other -m "unrelated" bob >/dev/null
	as bob dm-send -r "$first" -m "two" >/dev/null
	send_msg alice -r "$first" -m "three" >/dev/null
	run -0 --separate-stderr as bob dm-read --thread 4
	[ "$(printf '%s\n' "$output" | grep '^Subject:')" = "$(printf 'Subject: plan\nSubject: Re: plan\nSubject: Re: plan')" ]
	[ "$(printf '%s\n' "$output" | grep -Ex 'one|two|three' | tr '\n' ' ')" = "one two three " ]
	[[ $output != *unrelated* ]]
	[ "$(unread_numbers)" = "2 " ]
}

@test "dm-read --json adds the body as a string" {
	init_users alice bob
	printf 'line "one"\n\ttab \\ back\x01\n日本\n' >body
	id=$(as alice dm-send -s "json" -t t1 -F body bob)
	run -0 --separate-stderr as bob dm-read --json "$id"
	[ "${#lines[@]}" -eq 1 ]
	python3 - "$output" "$id" body <<'PY'
import json, sys
m = json.loads(sys.argv[1])
keys = ["number", "id", "thread", "from", "to", "date", "subject", "priority",
        "tags", "unread", "archived", "attachments", "size", "body"]
assert list(m) == keys, list(m)
assert m["id"] == sys.argv[2], m
assert m["subject"] == "json", m
assert m["tags"] == ["t1"], m
assert m["to"] == ["bob"], m
assert m["body"].encode() == open(sys.argv[3], "rb").read(), m["body"]
PY
}

@test "dm-read --json base64-encodes non-UTF-8 bodies" {
	init_users alice bob
	for body in 'caf\xe9 ok' 'a' 'ab' 'abc' '\xff\xfe\xfd\xfc'; do
		printf "$body" | as alice dm-send -s b bob >/dev/null
	done
	as bob dm-read --json 1 2 3 4 5 >out
	python3 - out <<'PY'
import base64, json, sys
rows = [json.loads(line) for line in open(sys.argv[1], "rb")]
assert len(rows) == 5, rows
assert "body" not in rows[0], rows[0]
assert base64.b64decode(rows[0]["body_base64"]) == b"caf\xe9 ok", rows[0]
assert [r.get("body") for r in rows[1:4]] == ["a", "ab", "abc"], rows
assert base64.b64decode(rows[4]["body_base64"]) == b"\xff\xfe\xfd\xfc", rows[4]
PY
}

@test "dm-read --json encodes a large binary body" {
	init_users alice bob
	head -c 200001 /dev/urandom >body
	as alice dm-send -s big -F body bob >/dev/null
	as bob dm-read --json 1 >out
	python3 - out body <<'PY'
import base64, json, sys
m = json.load(open(sys.argv[1]))
assert base64.b64decode(m["body_base64"]) == open(sys.argv[2], "rb").read()
PY
}

@test "dm-read --raw writes the stored envelope" {
	init_users alice bob
	id=$(send_msg alice -s secret -m "the plain text" bob)
	as bob dm-read --raw "$id" >out
	cmp "$DM_SPOOL/users/bob/store/$id.env" out
	! grep -q "the plain text" out
	! grep -q secret out
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read --raw is refused on a terminal" {
	init_users alice bob
	send_msg alice -s secret -m x bob >/dev/null
	run -64 bob_in_terminal dm-read --raw 1
	[[ $output == *"dm-read: not writing an encrypted envelope to a terminal"* ]]
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read chooses one output" {
	init_users bob
	run -64 --separate-stderr as bob dm-read -b --json 1
	[[ $stderr == *"dm-read: -b, --json and --raw choose the output: use one"* ]]
	run -64 --separate-stderr as bob dm-read --raw --json 1
	[[ $stderr == *"choose the output: use one"* ]]
}

@test "dm-read with no ID shows the oldest unread message" {
	init_users alice bob
	first=$(send_msg alice -s first -m x bob)
	mkdir held
	mv "$DM_SPOOL/boxes/bob/$first.env" held/
	next_second
	send_msg alice -s second -m x bob >/dev/null
	send_msg alice -s third -m x bob >/dev/null
	as bob dm-inbox >/dev/null
	mv "held/$first.env" "$DM_SPOOL/boxes/bob/"
	# Numbers: second 1, third 2, first 3.
	as bob dm-read 1 >/dev/null
	run -0 --separate-stderr as bob dm-read
	[ "${lines[3]}" = "Subject: first" ]
	run -0 --separate-stderr as bob dm-read
	[ "${lines[3]}" = "Subject: third" ]
	[ -z "$(unread_numbers)" ]
}

@test "dm-read with no ID exits 1 when nothing is unread" {
	init_users alice bob
	run -1 --separate-stderr as bob dm-read
	[ "$stderr" = "dm-read: no unread messages" ]
	[ -z "$output" ]
	send_msg alice -s one -m x bob >/dev/null
	as bob dm-read >/dev/null
	run -1 --separate-stderr as bob dm-read
	[ "$stderr" = "dm-read: no unread messages" ]
}

@test "dm-read takes a number, a full id or an id prefix" {
	init_users alice bob
	send_msg alice -s first -m x bob >/dev/null
	id=$(send_msg alice -s second -m x bob)
	upper=$(printf '%s' "$id" | tr a-z A-Z)
	for arg in 2 "$id" "${id:0:6}" "${id:0:10}" "${upper:0:8}"; do
		run -0 --separate-stderr as bob dm-read -N "$arg"
		[ "${lines[3]}" = "Subject: second" ]
	done
}

@test "dm-read rejects an ambiguous id prefix" {
	init_users alice bob
	# These two batch keys give alice ids that share their first
	# seven characters.
	printf '%s\n' '{"to":"bob","subject":"p1","body":"x","id":"k33690"}' \
		'{"to":"bob","subject":"p2","body":"y","id":"k79759"}' |
		as alice dm-send --batch >ids
	[ "$(cut -c1-7 ids | sort -u)" = 3q2fnat ]
	run -64 --separate-stderr as bob dm-read 3q2fna
	[ "$stderr" = "dm-read: ambiguous message id: 3q2fna: give more characters" ]
	[ -z "$output" ]
	run -64 --separate-stderr as bob dm-read 3q2fnat
	[[ $stderr == *"ambiguous message id: 3q2fnat"* ]]
	run -0 --separate-stderr as bob dm-read "$(head -n 1 ids | cut -c1-8)"
	[ "${lines[3]}" = "Subject: p1" ]
}

@test "dm-read rejects a malformed id" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	for arg in abc 7zzzzi 'one two' 0123456789012345678901234567 ''; do
		run -64 --separate-stderr as bob dm-read "$arg"
		[[ $stderr == *"dm-read: invalid message id: $arg"* ]]
		[ -z "$output" ]
	done
}

@test "dm-read exits 66 for an unknown message" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	for arg in 2 999999 7zzzzzzz 00000000000000000000000000; do
		run -66 --separate-stderr as bob dm-read "$arg"
		[ "$stderr" = "dm-read: unknown message: $arg" ]
		[ -z "$output" ]
	done
}

@test "dm-read - reads numbers one a line" {
	init_users alice bob
	for s in one two three; do
		send_msg alice -s "$s" -m x bob >/dev/null
	done
	as bob dm-read 2 >/dev/null
	as bob dm-inbox -u --format '%n' | as bob dm-read - >out
	[ "$(grep '^Subject:' out | tr '\n' ' ')" = "Subject: one Subject: three " ]
	[ -z "$(unread_numbers)" ]
}

@test "dm-read - reads NUL-separated numbers" {
	init_users alice bob
	for s in one two three; do
		send_msg alice -s "$s" -m x bob >/dev/null
	done
	as bob dm-read 1 >/dev/null
	as bob dm-inbox -u -0 | as bob dm-read - >out
	[ "$(grep '^Subject:' out | tr '\n' ' ')" = "Subject: two Subject: three " ]
	[ -z "$(unread_numbers)" ]
}

@test "dm-read - takes each line's first field" {
	init_users alice bob
	one=$(send_msg alice -s one -m x bob)
	send_msg alice -s two -m x bob >/dev/null
	as bob dm-inbox | as bob dm-read -N - >out
	[ "$(grep '^Subject:' out | tr '\n' ' ')" = "Subject: one Subject: two " ]
	printf '  %s extra words\r\n\n2\n' "$one" | as bob dm-read -N -b - >out
	printf 'xx' | cmp - out
}

@test "dm-read - with a bad line still shows the others" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	run -66 --separate-stderr as bob dm-read - <<<$'1\n9\n2'
	[ "$stderr" = "dm-read: unknown message: 9" ]
	[ "$(printf '%s\n' "$output" | grep -c '^Subject:')" -eq 2 ]
}

@test "dm-read shows the good messages when one ID is bad" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	run -66 --separate-stderr as bob dm-read 1 99 abc 2
	[ "$(printf '%s\n' "$output" | grep '^Subject:' | tr '\n' ' ')" = "Subject: one Subject: two " ]
	[[ $stderr == *"dm-read: unknown message: 99"* ]]
	[[ $stderr == *"dm-read: invalid message id: abc"* ]]
	[ -z "$(unread_numbers)" ]
	run -64 --separate-stderr as bob dm-read abc 99 1
	[ "$(printf '%s\n' "$output" | grep -c '^Subject:')" -eq 1 ]
}

@test "dm-read rejects a tampered message with 65" {
	init_users alice bob
	id=$(send_msg alice -s tampered -m "some text" bob)
	send_msg alice -s fine -m "good" bob >/dev/null
	as bob dm-inbox >/dev/null
	size=$(stat -c %s "$DM_SPOOL/users/bob/store/$id.env")
	flip_byte "$DM_SPOOL/users/bob/store/$id.env" $((size - 5))
	run -65 --separate-stderr as bob dm-read "$id" 2
	[[ $stderr == *"dm-read: verification failed: "* ]]
	[[ $output != *tampered* ]]
	[[ $output != *"some text"* ]]
	[[ $output == *"Subject: fine"* ]]
	run -65 --separate-stderr as bob dm-read -b "$id"
	[ -z "$output" ]
	run -65 --separate-stderr as bob dm-read --json "$id"
	[ -z "$output" ]
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read skips a failed first message cleanly" {
	init_users alice bob
	id=$(send_msg alice -s tampered -m "some text" bob)
	send_msg alice -s fine -m "good" bob >/dev/null
	as bob dm-inbox >/dev/null
	size=$(stat -c %s "$DM_SPOOL/users/bob/store/$id.env")
	flip_byte "$DM_SPOOL/users/bob/store/$id.env" $((size - 5))
	run -65 --separate-stderr --keep-empty-lines as bob dm-read 1 2
	[ "${lines[0]}" = "From: alice" ]
	[ "$(printf '%s\n' "$output" | grep -c '^From:')" -eq 1 ]
}

@test "dm-read bold headers honour NO_COLOR and TERM" {
	init_users alice bob
	send_msg alice -s hi -m body bob >/dev/null
	TERM=xterm bob_in_terminal dm-read -N 1 >out
	grep -q $'\033\\[1mFrom:\033\\[0m alice' out
	NO_COLOR=1 TERM=xterm bob_in_terminal dm-read -N 1 >out
	assert_no_raw_controls out
	TERM=dumb bob_in_terminal dm-read -N 1 >out
	assert_no_raw_controls out
	as bob dm-read -N 1 >out
	assert_no_raw_controls out
}

@test "dm-read pages a message taller than LINES" {
	init_users alice bob
	make_pager
	seq 1 40 | as alice dm-send -s tall bob >/dev/null
	PAGER="$BATS_TEST_TMPDIR/pager" LINES=20 NO_COLOR=1 \
		bob_in_terminal dm-read 1 >out
	[ "$(cat pager.log)" = "ran with 0 arguments" ]
	[ ! -s out ]
	grep -qx 'Subject: tall' pager.out
	[ "$(tail -n 1 pager.out)" = 40 ]
	[ -z "$(unread_numbers)" ]
}

@test "dm-read leaves the message unread when PAGER fails" {
	init_users alice bob
	seq 1 40 | as alice dm-send -s tall bob >/dev/null
	PAGER="$BATS_TEST_TMPDIR/no-such-pager" LINES=20 \
		run -74 bob_in_terminal dm-read 1
	[[ $output == *"dm-read: pager failed: $BATS_TEST_TMPDIR/no-such-pager: exit status 127: messages left unread"* ]]
	[ "$(unread_numbers)" = "1 " ]
	PAGER=false LINES=20 run -74 bob_in_terminal dm-read 1
	[[ $output == *"dm-read: pager failed: false: exit status 1"* ]]
	[ "$(unread_numbers)" = "1 " ]
}

@test "dm-read stops quietly when the pager quits early" {
	init_users alice bob
	seq 1 300000 | as alice dm-send -s huge bob >/dev/null
	PAGER="head -n 5" LINES=20 NO_COLOR=1 run -0 bob_in_terminal dm-read 1
	[[ $output == *"Subject: huge"* ]]
	[[ $output != *"dm-read:"* ]]
	[ -z "$(unread_numbers)" ]
}

@test "dm-read skips the pager for a short message" {
	init_users alice bob
	make_pager
	seq 1 40 | as alice dm-send -s tall bob >/dev/null
	PAGER="$BATS_TEST_TMPDIR/pager" LINES=100 NO_COLOR=1 \
		bob_in_terminal dm-read 1 >out
	[ ! -e pager.log ]
	grep -qx 'Subject: tall' out
}

@test "dm-read skips the pager in a pipe" {
	init_users alice bob
	make_pager
	seq 1 40 | as alice dm-send -s tall bob >/dev/null
	PAGER="$BATS_TEST_TMPDIR/pager" LINES=5 as bob dm-read 1 >out
	[ ! -e pager.log ]
	grep -qx 'Subject: tall' out
}

@test "dm-read -b and --json skip the pager" {
	init_users alice bob
	make_pager
	seq 1 40 | as alice dm-send -s tall bob >/dev/null
	PAGER="$BATS_TEST_TMPDIR/pager" LINES=5 bob_in_terminal dm-read -N -b 1 >out
	PAGER="$BATS_TEST_TMPDIR/pager" LINES=5 bob_in_terminal dm-read -N --json 1 >out
	[ ! -e pager.log ]
}

@test "dm-read -h prints the usage" {
	run -0 --separate-stderr dm-read -h
	[[ ${lines[0]} == "usage: dm-read "* ]]
	[[ $output == *"--no-mark"* ]]
	run -0 --separate-stderr dm-read --help
	[[ ${lines[0]} == "usage: dm-read "* ]]
}

@test "dm-read --version prints the version" {
	run -0 --separate-stderr dm-read --version
	[[ $output =~ ^dm-read\ \(dm\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "dm-read rejects an unknown option" {
	run -64 --separate-stderr dm-read --nosuch
	[[ $stderr == *"usage: dm-read "* ]]
	run -64 --separate-stderr dm-read -x
	[[ $stderr == *"invalid option"* ]]
}

@test "dm-read exits 78 when the spool or mailbox is missing" {
	run -78 --separate-stderr as bob dm-read 1
	[[ $stderr == *"dm-read: spool not initialised: $DM_SPOOL"* ]]
	init_users bob
	rm -rf "$DM_SPOOL/users/bob"
	run -78 --separate-stderr as bob dm-read
	[[ $stderr == *"dm-read: no mailbox for bob"* ]]
}

@test "dm-read --thread shows each conversation once" {
	init_users alice bob
	first=$(send_msg alice -s plan -m "one" bob)
	send_msg alice -r "$first" -m "two" >/dev/null
	send_msg alice -s other -m "three" bob >/dev/null
	run -0 --separate-stderr as bob dm-read -N --thread 2 1 3
	[ "$(printf '%s\n' "$output" | grep -Ex 'one|two|three' | tr '\n' ' ')" = "one two three " ]
	as bob dm-inbox --format '%n' | as bob dm-read -N --thread - >out
	[ "$(grep -Ex 'one|two|three' out | tr '\n' ' ')" = "one two three " ]
}

@test "dm-read - with no ids on standard input exits 1" {
	init_users alice bob
	run -1 --separate-stderr as bob dm-read - < /dev/null
	[ -z "$output" ]
	[ "$stderr" = "dm-read: no message ids given" ]
}
