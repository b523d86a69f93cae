#!/usr/bin/env bats
# dm-inbox: selection, order, output formats and exit codes.

load test_helper

export TZ=UTC

# json_field NAME: prints one field of the JSON object on standard input.
json_field() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# sent_date FROM ARGS...: sends like send_msg and prints "ID DATE".
sent_date() {
	local from=$1 json
	shift
	json=$(as "$from" dm-send --json "$@") || return 1
	printf '%s %s\n' "$(json_field id <<<"$json")" "$(json_field date <<<"$json")"
}

# next_second: waits until the clock has moved on to a new second, so
# that the next message gets a later date than the previous one.
next_second() {
	local start
	start=$(date +%s)
	timeout 3 sh -c "while [ \$(date +%s) = $start ]; do sleep 0.05; done"
}

# shift_date DATE SECONDS OFFSET: prints DATE (RFC 3339 UTC) moved by
# SECONDS and written with the UTC offset OFFSET ("+02:00", "-0500").
shift_date() {
	python3 - "$@" <<'PY'
import datetime, sys
d = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")
d = d.replace(tzinfo=datetime.timezone.utc)
d += datetime.timedelta(seconds=int(sys.argv[2]))
off = sys.argv[3]
sign = -1 if off[0] == "-" else 1
hours, minutes = int(off[1:3]), int(off[-2:])
tz = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
print(d.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S") + off)
PY
}

@test "dm-inbox writes TSV into a pipe" {
	init_users alice bob
	printf 'report\n' >report.txt
	read -r _ d1 < <(sent_date alice -s "first note" -m one bob)
	read -r _ d2 < <(sent_date alice -s "urgent with file" -p urgent \
		-a report.txt -m two bob)
	run -0 --separate-stderr as bob dm-inbox
	[ -z "$stderr" ]
	diff -u <(printf '1\tN\t%s\talice\tfirst note\n2\tNA!\t%s\talice\turgent with file\n' \
		"$d1" "$d2") <(printf '%s\n' "$output")
}

@test "dm-inbox shows the R and - flags" {
	init_users alice bob
	id=$(send_msg alice -s question -m "?" bob)
	as bob dm-read "$id" >/dev/null
	as bob dm-send -r "$id" -m "answer" >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%n %F'
	[ "$output" = "1 R" ]
	run -0 --separate-stderr as alice dm-inbox --format '%F %s'
	[ "$output" = "N Re: question" ]
	run -0 --separate-stderr as alice dm-inbox --sent --format '%F %s'
	[ "$output" = "- question" ]
}

@test "dm-inbox escapes control characters in TSV fields" {
	init_users alice bob
	printf '%s\n' '{"to":"bob","subject":"a\tb\nFrom: root\r\u007f\u0001\u009b\u202e","body":"x"}' |
		as alice dm-send --batch >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%s'
	[ "$output" = 'a\tb\nFrom: root\r\x7f\x01\u009b\u202e' ]
	run -0 --separate-stderr as bob dm-inbox
	[[ $output == *$'\talice\ta\\tb\\nFrom: root\\r\\x7f\\x01\\u009b\\u202e' ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "dm-inbox sorts by date, not number" {
	init_users alice bob
	old=$(send_msg alice -s older -m 1 bob)
	mkdir held
	mv "$DM_SPOOL/boxes/bob/$old.env" held/
	next_second
	send_msg alice -s newer -m 2 bob >/dev/null
	as bob dm-inbox >/dev/null
	mv "held/$old.env" "$DM_SPOOL/boxes/bob/"
	run -0 --separate-stderr as bob dm-inbox --format '%n %s'
	diff -u <(printf '2 older\n1 newer\n') <(printf '%s\n' "$output")
}

@test "dm-inbox -r lists newest first" {
	init_users alice bob
	for s in one two three; do
		send_msg alice -s "$s" -m x bob >/dev/null
		next_second
	done
	run -0 --separate-stderr as bob dm-inbox -r --format '%s'
	diff -u <(printf 'three\ntwo\none\n') <(printf '%s\n' "$output")
	run -0 --separate-stderr as bob dm-inbox --reverse --format '%s'
	[ "${lines[0]}" = three ]
}

@test "dm-inbox takes in newly delivered messages first" {
	init_users alice bob
	id=$(send_msg alice -s fresh -m x bob)
	[ -f "$DM_SPOOL/boxes/bob/$id.env" ]
	[ ! -e "$DM_SPOOL/users/bob/store/$id.env" ]
	run -0 --separate-stderr as bob dm-inbox --format '%i %s'
	[ "$output" = "$id fresh" ]
	[ ! -e "$DM_SPOOL/boxes/bob/$id.env" ]
	[ -f "$DM_SPOOL/users/bob/store/$id.env" ]
}

@test "dm-inbox -c takes in newly delivered messages first" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -c
	[ "$output" = 2 ]
	[ -z "$(ls -A "$DM_SPOOL/boxes/bob")" ]
}

@test "dm-inbox exits 1 when the mailbox is empty" {
	init_users bob
	run -1 --separate-stderr as bob dm-inbox
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "dm-inbox -u lists unread messages only" {
	init_users alice bob
	send_msg alice -s seen -m x bob >/dev/null
	send_msg alice -s unseen -m x bob >/dev/null
	as bob dm-read 1 >/dev/null
	run -0 --separate-stderr as bob dm-inbox -u --format '%n %s'
	[ "$output" = "2 unseen" ]
	run -0 --separate-stderr as bob dm-inbox --unread --format '%n'
	[ "$output" = 2 ]
	as bob dm-read 2 >/dev/null
	run -1 --separate-stderr as bob dm-inbox -u
	[ -z "$output" ]
}

@test "dm-inbox hides archived messages unless -A" {
	init_users alice bob
	send_msg alice -s kept -m x bob >/dev/null
	send_msg alice -s filed -m x bob >/dev/null
	as bob dm-mark archive 2
	run -0 --separate-stderr as bob dm-inbox --format '%n %s'
	[ "$output" = "1 kept" ]
	run -0 --separate-stderr as bob dm-inbox -A --format '%n %s'
	diff -u <(printf '1 kept\n2 filed\n') <(printf '%s\n' "$output")
	run -0 --separate-stderr as bob dm-inbox --archived --format '%n'
	[ "${#lines[@]}" -eq 2 ]
}

@test "dm-inbox --sent lists the messages the user sent" {
	init_users alice bob
	send_msg alice -s outgoing -m x bob >/dev/null
	send_msg bob -s incoming -m x alice >/dev/null
	run -0 --separate-stderr as alice dm-inbox --sent --format '%f %T %s'
	[ "$output" = "alice bob outgoing" ]
	run -0 --separate-stderr as alice dm-inbox --format '%f %s'
	[ "$output" = "bob incoming" ]
}

@test "dm-inbox shows self-sent mail in both views" {
	init_users alice
	send_msg alice -s "note to self" -m x alice >/dev/null
	run -0 --separate-stderr as alice dm-inbox --format '%s'
	[ "$output" = "note to self" ]
	run -0 --separate-stderr as alice dm-inbox --sent --format '%s'
	[ "$output" = "note to self" ]
}

@test "dm-inbox --sent exits 1 when nothing was sent" {
	init_users alice bob
	send_msg alice -s hi -m x bob >/dev/null
	run -1 --separate-stderr as bob dm-inbox --sent
	[ -z "$output" ]
}

@test "dm-inbox -f lists messages from one user" {
	init_users alice bob carol
	send_msg alice -s "from alice" -m x bob >/dev/null
	send_msg carol -s "from carol" -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -f carol --format '%f %s'
	[ "$output" = "carol from carol" ]
	run -0 --separate-stderr as bob dm-inbox --from alice --format '%f'
	[ "$output" = alice ]
	run -1 --separate-stderr as bob dm-inbox -f dave
	[ -z "$output" ]
}

@test "dm-inbox -f rejects an invalid user name" {
	init_users bob
	run -64 --separate-stderr as bob dm-inbox -f bad/name
	[[ $stderr == *"dm-inbox: invalid user name: bad/name"* ]]
	[ -z "$output" ]
}

@test "dm-inbox -t lists messages with a tag" {
	init_users alice bob
	send_msg alice -s tagged -t backup -t cron -m x bob >/dev/null
	send_msg alice -s plain -m x bob >/dev/null
	send_msg alice -s other -t cronjob -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -t cron --format '%s %t'
	[ "$output" = "tagged backup,cron" ]
	run -0 --separate-stderr as bob dm-inbox --tag backup --format '%s'
	[ "$output" = tagged ]
	run -1 --separate-stderr as bob dm-inbox -t nosuchtag
}

@test "dm-inbox -g searches subject and body" {
	init_users alice bob
	send_msg alice -s "Quarterly numbers" -m "see attached" bob >/dev/null
	send_msg alice -s "lunch" -m "The backup finished without errors" bob >/dev/null
	send_msg alice -s "other" -m "nothing here" bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -g quarterly --format '%s'
	[ "$output" = "Quarterly numbers" ]
	run -0 --separate-stderr as bob dm-inbox --grep "WITHOUT ERR" --format '%s'
	[ "$output" = lunch ]
	run -1 --separate-stderr as bob dm-inbox -g "absent words"
	[ -z "$output" ]
}

@test "dm-inbox -g finds text shorter than three characters" {
	init_users alice bob
	send_msg alice -s "status" -m "disk ok" bob >/dev/null
	send_msg alice -s "Q3" -m "numbers" bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -g ok --format '%s'
	[ "$output" = status ]
	run -0 --separate-stderr as bob dm-inbox -g q3 --format '%s'
	[ "$output" = Q3 ]
	run -0 --separate-stderr as bob dm-inbox -g 3 --format '%s'
	[ "$output" = Q3 ]
	run -1 --separate-stderr as bob dm-inbox -g zz
}

@test "dm-inbox -g finds one and two CJK characters" {
	init_users alice bob
	send_msg alice -s "日本語の件名" -m "本文" bob >/dev/null
	send_msg alice -s "天気" -m "東京は晴れです" bob >/dev/null
	send_msg alice -s "english" -m "plain text" bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -g 日本 --format '%n'
	[ "$output" = 1 ]
	run -0 --separate-stderr as bob dm-inbox -g 語 --format '%n'
	[ "$output" = 1 ]
	run -0 --separate-stderr as bob dm-inbox -g 東京 --format '%n'
	[ "$output" = 2 ]
	run -0 --separate-stderr as bob dm-inbox -g 晴れです --format '%n'
	[ "$output" = 2 ]
	run -1 --separate-stderr as bob dm-inbox -g 大阪
}

@test "dm-inbox -g treats % and _ as plain characters" {
	init_users alice bob
	send_msg alice -s "100% done" -m x bob >/dev/null
	send_msg alice -s "halfway" -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox -g % --format '%s'
	[ "$output" = "100% done" ]
	run -1 --separate-stderr as bob dm-inbox -g _
	run -1 --separate-stderr as bob dm-inbox -g 'h%y'
}

@test "dm-inbox -g rejects empty text" {
	init_users bob
	run -64 --separate-stderr as bob dm-inbox -g ''
	[[ $stderr == *"dm-inbox: empty search text"* ]]
}

@test "dm-inbox --thread lists one conversation" {
	init_users alice bob
	first=$(send_msg alice -s plan -m "first" bob)
	send_msg alice -s unrelated -m x bob >/dev/null
	as bob dm-send -r "$first" -m "reply" >/dev/null
	send_msg alice -r "$first" -m "second reply" >/dev/null
	run -0 --separate-stderr as bob dm-inbox --thread "$first" --format '%f %s'
	diff -u <(printf 'alice plan\nbob Re: plan\nalice Re: plan\n') \
		<(printf '%s\n' "$output")
	run -0 --separate-stderr as bob dm-inbox --thread 3 --format '%n'
	diff -u <(printf '1\n3\n4\n') <(printf '%s\n' "$output")
}

@test "dm-inbox --thread rejects an unknown message" {
	init_users bob
	run -66 --separate-stderr as bob dm-inbox --thread 7
	[[ $stderr == *"dm-inbox: unknown message: 7"* ]]
	run -64 --separate-stderr as bob dm-inbox --thread abc
	[[ $stderr == *"dm-inbox: invalid message id: abc"* ]]
}

@test "dm-inbox --threads prints one line per conversation" {
	init_users alice bob carol
	plan=$(send_msg alice -s plan -m x bob carol)
	next_second
	send_msg carol -s other -m x bob >/dev/null
	next_second
	as bob dm-read 1 >/dev/null
	as bob dm-send -r "$plan" -m "reply" >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	d2=${lines[1]}
	run -0 --separate-stderr as bob dm-inbox --sent --format '%d'
	d3=$output
	run -0 --separate-stderr as bob dm-inbox --threads
	diff -u <(printf '2\tbob,carol\t1\t1\t%s\tother\n3\talice,bob,carol\t2\t0\t%s\tRe: plan\n' \
		"$d2" "$d3") <(printf '%s\n' "$output")
}

@test "dm-inbox --threads --json prints one object a conversation" {
	init_users alice bob
	id=$(send_msg alice -s topic -m x bob)
	run -0 --separate-stderr as bob dm-inbox --threads --json
	[ "${#lines[@]}" -eq 1 ]
	python3 - "$output" "$id" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
assert t["thread"] == sys.argv[2], t
assert t["participants"] == ["alice", "bob"], t
assert t["messages"] == 1, t
assert t["unread"] == 1, t
assert t["last_number"] == 1, t
assert t["last_subject"] == "topic", t
PY
}

@test "dm-inbox --threads does not combine with --format" {
	init_users bob
	run -64 --separate-stderr as bob dm-inbox --threads --format '%n'
	[[ $stderr == *"--threads lists conversations"* ]]
	run -64 --separate-stderr as bob dm-inbox --threads -0
	[[ $stderr == *"--threads lists conversations"* ]]
}

@test "dm-inbox -n limits the lines" {
	init_users alice bob
	for s in one two three; do
		send_msg alice -s "$s" -m x bob >/dev/null
		next_second
	done
	run -0 --separate-stderr as bob dm-inbox -n 2 --format '%s'
	diff -u <(printf 'one\ntwo\n') <(printf '%s\n' "$output")
	run -0 --separate-stderr as bob dm-inbox -r --limit 1 --format '%s'
	[ "$output" = three ]
	run -0 --separate-stderr as bob dm-inbox -n 10 --format '%s'
	[ "${#lines[@]}" -eq 3 ]
	run -0 --separate-stderr as bob dm-inbox -c -n 2
	[ "$output" = 2 ]
}

@test "dm-inbox -n rejects non-positive limits" {
	init_users bob
	for n in 0 -1 abc 2x '' 99999999999; do
		run -64 --separate-stderr as bob dm-inbox -n "$n"
		[[ $stderr == *"dm-inbox: invalid limit: $n: give a positive number"* ]]
	done
}

@test "dm-inbox -c prints the count" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	send_msg alice -s three -m x bob >/dev/null
	as bob dm-read 1 >/dev/null
	run -0 --separate-stderr as bob dm-inbox -c
	[ "$output" = 3 ]
	run -0 --separate-stderr as bob dm-inbox --count -u
	[ "$output" = 2 ]
}

@test "dm-inbox -c prints 0 and exits 1 when nothing matches" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	run -1 --separate-stderr as bob dm-inbox -c -f carol
	[ "$output" = 0 ]
	[ -z "$stderr" ]
}

@test "dm-inbox --json prints one object a message" {
	init_users alice bob carol
	printf 'a,b\n1,2\n' >data.csv
	id=$(send_msg alice -s "report" -p high -t q3 -t finance -a data.csv \
		-m "body text" bob carol)
	run -0 --separate-stderr as bob dm-inbox --json
	[ "${#lines[@]}" -eq 1 ]
	python3 - "$output" "$id" <<'PY'
import json, re, sys
m = json.loads(sys.argv[1])
keys = ["number", "id", "thread", "from", "to", "date", "subject", "priority",
        "tags", "unread", "archived", "attachments", "size"]
assert list(m) == keys, list(m)
assert m["number"] == 1, m
assert m["id"] == sys.argv[2], m
assert m["thread"] == sys.argv[2], m
assert m["from"] == "alice", m
assert m["to"] == ["bob", "carol"], m
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["date"]), m
assert m["subject"] == "report", m
assert m["priority"] == "high", m
assert m["tags"] == ["finance", "q3"], m
assert m["unread"] is True, m
assert m["archived"] is False, m
assert m["attachments"] == [{"index": 1, "name": "data.csv",
                             "type": "text/csv", "size": 8}], m
assert m["size"] == 9 + 8, m
PY
}

@test "dm-inbox --json replaces invalid UTF-8 in the subject" {
	init_users alice bob
	as alice dm-send -s "$(printf 'caf\xe9')" -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --json
	python3 - "$output" <<'PY'
import json, sys
assert json.loads(sys.argv[1])["subject"] == "caf\ufffd"
PY
}

@test "dm-inbox --format expands every directive" {
	init_users alice bob carol
	printf 'x' >one.bin
	printf 'yz' >two.bin
	id=$(send_msg alice -s "Weekly report" -p urgent -t b -t a \
		-a one.bin -a two.bin -m "12345" bob carol)
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	date=$output
	run -0 --separate-stderr as bob dm-inbox \
		--format '%n|%i|%d|%f|%T|%s|%F|%a|%z|%p|%t|%%'
	[ "$output" = "1|$id|$date|alice|bob,carol|Weekly report|NA!|2|8|urgent|a,b|%" ]
}

@test "dm-inbox --format shows empty fields and normal priority" {
	init_users alice bob
	send_msg alice -s "" -m "" bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '[%s][%t][%F][%a][%z][%p]'
	[ "$output" = "[][][N][0][0][normal]" ]
}

@test "dm-inbox --format pads to a width" {
	init_users alice bob
	send_msg alice -s "日本" -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox \
		--format '[%4n][%-4n][%8f][%-8f][%6s][%-6s][%2f]'
	[ "$output" = "[   1][1   ][   alice][alice   ][  日本][日本  ][alice]" ]
}

@test "dm-inbox --format expands tab and newline escapes" {
	init_users alice bob
	send_msg alice -s hi -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%n\t%s\n--'
	[ "$output" = $'1\thi\n--' ]
}

@test "dm-inbox --format rejects an unknown directive" {
	init_users bob
	for fmt in '%q' 'x %' '%5' '%-' '%A'; do
		run -64 --separate-stderr as bob dm-inbox --format "$fmt"
		[[ $stderr == *"dm-inbox: invalid format directive: "* ]]
		[ -z "$output" ]
	done
}

@test "dm-inbox -0 separates numbers with NUL" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	send_msg alice -s two -m x bob >/dev/null
	as bob dm-inbox -0 >numbers
	[ "$(od -An -c numbers | tr -s ' ')" = " 1 \0 2 \0" ]
}

@test "dm-inbox chooses one output format" {
	init_users bob
	run -64 --separate-stderr as bob dm-inbox -c --json
	[[ $stderr == *"-c, --json, --format and -0 choose the output: use one"* ]]
	run -64 --separate-stderr as bob dm-inbox --format '%n' -0
	[[ $stderr == *"choose the output: use one"* ]]
}

@test "dm-inbox -h prints the usage" {
	run -0 --separate-stderr dm-inbox -h
	[[ ${lines[0]} == "usage: dm-inbox "* ]]
	[[ $output == *"--since WHEN"* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr dm-inbox --help
	[[ ${lines[0]} == "usage: dm-inbox "* ]]
}

@test "dm-inbox --version prints the version" {
	run -0 --separate-stderr dm-inbox --version
	[[ $output =~ ^dm-inbox\ \(dm\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "dm-inbox rejects an unknown option and extra arguments" {
	run -64 --separate-stderr dm-inbox -x
	[[ $stderr == *"invalid option"* ]]
	[[ $stderr == *"usage: dm-inbox "* ]]
	run -64 --separate-stderr dm-inbox --nosuch
	[[ $stderr == *"usage: dm-inbox "* ]]
	run -64 --separate-stderr dm-inbox extra
	[[ $stderr == *"usage: dm-inbox "* ]]
}

@test "dm-inbox --since/--until take UTC date-times" {
	init_users alice bob
	read -r _ d1 < <(sent_date alice -s early -m x bob)
	next_second
	read -r _ d2 < <(sent_date alice -s late -m x bob)
	run -0 --separate-stderr as bob dm-inbox --since "$d2" --format '%s'
	[ "$output" = late ]
	run -0 --separate-stderr as bob dm-inbox --until "$d2" --format '%s'
	[ "$output" = early ]
	run -0 --separate-stderr as bob dm-inbox --since "$d1" --format '%s'
	[ "${#lines[@]}" -eq 2 ]
	run -1 --separate-stderr as bob dm-inbox --until "$d1"
	run -1 --separate-stderr as bob dm-inbox --since "$d1" --until "$d1"
	run -0 --separate-stderr as bob dm-inbox --since "$d1" --until "$d2" --format '%s'
	[ "$output" = early ]
	# Without seconds and with a lower-case t.
	run -0 --separate-stderr as bob dm-inbox --since "${d1:0:10}t00:00Z" --format '%s'
	[ "${#lines[@]}" -eq 2 ]
	# A fraction of a second, as RFC 3339 allows, is dropped.
	run -0 --separate-stderr as bob dm-inbox --since "${d2%Z}.999Z" --format '%s'
	[ "$output" = late ]
}

@test "dm-inbox --since/--until take UTC offsets" {
	init_users alice bob
	read -r _ d < <(sent_date alice -s only -m x bob)
	for off in +02:00 -05:00 +0530 -0000; do
		at=$(shift_date "$d" 0 "$off")
		later=$(shift_date "$d" 1 "$off")
		run -0 --separate-stderr as bob dm-inbox --since "$at" --format '%s'
		[ "$output" = only ]
		run -1 --separate-stderr as bob dm-inbox --since "$later"
		run -1 --separate-stderr as bob dm-inbox --until "$at"
		run -0 --separate-stderr as bob dm-inbox --until "$later" --format '%s'
		[ "$output" = only ]
	done
	# +HH alone is an offset too.
	run -0 --separate-stderr as bob dm-inbox --since "$(shift_date "$d" 0 +03:00 | cut -c1-22)" --format '%s'
	[ "$output" = only ]
}

@test "dm-inbox --since/--until read local dates" {
	init_users alice bob
	read -r _ d < <(sent_date alice -s only -m x bob)
	for zone in UTC JST-9 EST+5; do
		day=$(TZ=$zone date -d "$d" +%Y-%m-%d)
		next=$(TZ=$zone date -d "$day 12:00 +1 day" +%Y-%m-%d)
		run -0 --separate-stderr env TZ="$zone" DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox --since "$day" --format '%s'
		[ "$output" = only ]
		run -1 --separate-stderr env TZ="$zone" DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox --since "$next"
		run -1 --separate-stderr env TZ="$zone" DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox --until "$day"
		run -0 --separate-stderr env TZ="$zone" DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox --until "$next" --format '%s'
		[ "$output" = only ]
	done
}

@test "dm-inbox --since/--until take relative ages" {
	init_users alice bob
	send_msg alice -s recent -m x bob >/dev/null
	for age in 30m 2h 7d 90s 1w; do
		run -0 --separate-stderr as bob dm-inbox --since "$age" --format '%s'
		[ "$output" = recent ]
		run -1 --separate-stderr as bob dm-inbox --until "$age"
		[ -z "$output" ]
	done
}

@test "dm-inbox rejects invalid dates" {
	init_users bob
	for when in yesterday 30 30x -5m 2026-13-01 2026-02-30 2026-12-04T25:00 \
		2026-12-04T10:60 2026-12-04T10:00+25:00 2026-12-04X 26-12-04 \
		2026-12-04T10:00:00.Z 2026-12-04T10:00.5Z ''; do
		run -64 --separate-stderr as bob dm-inbox --since "$when"
		[[ $stderr == *"dm-inbox: invalid date: $when: "* ]]
		run -64 --separate-stderr as bob dm-inbox --until "$when"
		[[ $stderr == *"dm-inbox: invalid date: $when: "* ]]
	done
}

@test "dm-inbox accepts 29 February only in a leap year" {
	init_users alice bob
	send_msg alice -s now -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --since 2024-02-29 --format '%s'
	[ "$output" = now ]
	run -64 --separate-stderr as bob dm-inbox --since 2025-02-29
	[[ $stderr == *"invalid date: 2025-02-29"* ]]
}

@test "dm-inbox exits 78 when the spool is missing" {
	run -78 --separate-stderr as bob dm-inbox
	[[ $stderr == *"dm-inbox: spool not initialised: $DM_SPOOL"* ]]
	[ -z "$output" ]
}

@test "dm-inbox exits 78 when the mailbox is missing" {
	init_users bob
	rm -rf "$DM_SPOOL/users/bob"
	run -78 --separate-stderr as bob dm-inbox
	[[ $stderr == *"dm-inbox: no mailbox for bob: $DM_SPOOL/users/bob: run dm-init"* ]]
}

@test "dm-inbox exits 78 when the keys are missing" {
	init_users alice
	run -78 --separate-stderr as bob dm-inbox
	[[ $stderr == *"dm-inbox: no keys for bob"* ]]
}

@test "dm-inbox on a terminal aligns columns" {
	init_users alice bob
	for i in 1 2 3 4 5 6 7 8 9 10; do
		send_msg alice -s "subject $i" -m x bob >/dev/null
	done
	as bob dm-read 10 >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	short=$(date -d "${lines[0]}" '+%Y-%m-%d %H:%M')
	COLUMNS=100 in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		dm-inbox | tr -d '\r' >table
	[ "$(wc -l <table)" -eq 10 ]
	printf ' 1 N    %s alice        subject 1\n' "$short" >expected
	diff -u expected <(head -n 1 table)
	printf '10      %s alice        subject 10\n' "$short" >expected
	diff -u expected <(tail -n 1 table)
	# Every row puts each column at the same offset.
	[ "$(awk '{ print index($0, "alice") }' table | sort -u)" = 26 ]
	[ "$(awk '{ print index($0, "subject") }' table | sort -u)" = 39 ]
}

@test "dm-inbox on a terminal fits lines to COLUMNS" {
	init_users alice bob
	long=$(printf 'word %.0s' $(seq 40))
	send_msg alice -s "$long" -m x bob >/dev/null
	send_msg alice -s short -m x bob >/dev/null
	for cols in 100 64 63 40; do
		COLUMNS=$cols in_terminal env DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox | tr -d '\r' >table
		[ "$(wc -l <table)" -eq 2 ]
		[ "$(awk '{ print length($0) }' table | sort -n | tail -n 1)" -le "$cols" ]
		[ "$(head -n 1 table | awk '{ print length($0) }')" -eq "$cols" ]
		grep -q 'short$' table
	done
}

@test "dm-inbox on a narrow terminal shows short dates" {
	init_users alice bob
	send_msg alice -s hi -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	wide=$(date -d "$output" '+%Y-%m-%d %H:%M')
	narrow=$(date -d "$output" '+%m-%d %H:%M')
	COLUMNS=63 in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		dm-inbox | tr -d '\r' >table
	[ "$(cat table)" = "1 N    $narrow alice    hi" ]
	COLUMNS=64 in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		dm-inbox | tr -d '\r' >table
	[ "$(cat table)" = "1 N    $wide alice        hi" ]
}

@test "dm-inbox table shows local dates" {
	init_users alice bob
	send_msg alice -s hi -m x bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	local_date=$(TZ=JST-9 date -d "$output" '+%Y-%m-%d %H:%M')
	COLUMNS=80 TZ=JST-9 in_terminal env DM_USER=bob \
		DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox | tr -d '\r' >table
	[ "$(cat table)" = "1 N    $local_date alice        hi" ]
}

@test "dm-inbox --threads table fits COLUMNS" {
	init_users alice bob carol
	long=$(printf 'word %.0s' $(seq 40))
	send_msg alice -s "$long" -m x bob carol >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format '%d'
	wide=$(date -d "$output" '+%Y-%m-%d %H:%M')
	narrow=$(date -d "$output" '+%m-%d %H:%M')
	for cols in 100 64 63 40; do
		COLUMNS=$cols in_terminal env DM_USER=bob \
			DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-inbox --threads |
			tr -d '\r' >table
		[ "$(wc -l <table)" -eq 1 ]
		[ "$(awk '{ print length($0) }' table)" -eq "$cols" ]
	done
	grep -qx "1    1    1 $narrow alice,bo word wo" table
	COLUMNS=64 in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		dm-inbox --threads | tr -d '\r' >table
	grep -q "^1    1    1 $wide alice,bob,carol      word word" table
}

@test "dm-inbox --threads -c counts conversations" {
	init_users alice bob
	plan=$(send_msg alice -s plan -m x bob)
	send_msg alice -r "$plan" -m y >/dev/null
	send_msg alice -s other -m z bob >/dev/null
	run -0 --separate-stderr as bob dm-inbox --threads -c
	[ "$output" = 2 ]
	run -0 --separate-stderr as bob dm-inbox -c
	[ "$output" = 3 ]
	run -1 --separate-stderr as bob dm-inbox --threads -c -f carol
	[ "$output" = 0 ]
}

@test "the mailbox database is private to its owner" {
	init_users alice bob
	send_msg alice -m "x" bob >/dev/null
	run -0 as bob dm-inbox -c
	[ "$(stat -c %a "$DM_SPOOL/users/bob/mailbox.db")" = 600 ]
	[ "$(stat -c %a "$DM_SPOOL/users/bob")" = 700 ]
	# The write-ahead log exists while a connection is open.
	as bob exec timeout 10 dm-watch >/dev/null 2>&1 &
	watcher=$!
	for _ in $(seq 100); do
		[ -e "$DM_SPOOL/users/bob/mailbox.db-wal" ] && break
		sleep 0.05
	done
	mode=$(stat -c %a "$DM_SPOOL/users/bob/mailbox.db-wal")
	kill "$watcher"
	wait "$watcher" || true
	[ "$mode" = 600 ]
}
