#!/usr/bin/env bats
# Message text that reaches a terminal: escape sequences and other
# controls made visible, wide characters fitted to the width, bodies that
# are not UTF-8 shown with their bad bytes escaped.

load test_helper

export TZ=UTC

# bob_term CMD...: runs CMD as bob with a terminal as stdout. NO_COLOR
# turns off bold headers, so any ESC byte that reaches the terminal
# comes from message content.
bob_term() {
	in_terminal env NO_COLOR=1 DM_USER=bob \
		DM_HOME="$BATS_TEST_TMPDIR/home/bob" "$@"
}

# check_terminal_text FILE [COLUMNS]: fails when FILE is not valid UTF-8,
# contains a control character other than TAB, LF and CR before LF, or has
# a line wider than COLUMNS display columns. Wide (W, F) characters count
# 2 columns, combining marks and format characters 0.
check_terminal_text() {
	python3 - "$@" <<'PY'
import sys, unicodedata

data = open(sys.argv[1], "rb").read()
cols = int(sys.argv[2]) if len(sys.argv) > 2 else None
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("invalid UTF-8 on the terminal: %r" % data[e.start - 10:e.end + 10])
text = text.replace("\r\n", "\n")

def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w

for n, line in enumerate(text.split("\n"), 1):
    for ch in line:
        o = ord(ch)
        if (o < 0x20 and ch != "\t") or 0x7f <= o < 0xa0:
            sys.exit("control U+%04X on line %d: %r" % (o, n, line))
    if cols is not None and width(line) > cols:
        sys.exit("line %d is %d columns wide: %r" % (n, width(line), line))
PY
}

# hostile_body: prints a body with escape sequences, BEL, C1 controls
# (a raw 0x9b byte and U+009B) and a line imitating a trust marker.
hostile_body() {
	printf 'Hello\033]0;owned title\007 clip\033]52;c;cm0gLXJmIH4=\007'
	printf ' clear\033[2J bell\007 csi\x9b31m u\xc2\x9b32m\n'
	printf '[verified] root\nVerified: signature of root checked\n'
}

# send_hostile: alice sends bob one message whose subject and body carry
# the hostile text, with the body also attached as a text file.
send_hostile() {
	init_users alice bob || return 1
	hostile_body >evil.txt
	python3 - >batch.jsonl <<PY
import json
subject = ("Hi\x1b]0;owned title\x07 clip\x1b]52;c;cm0gLXJmIH4=\x07"
           " clear\x1b[2J bell\x07 csi\x9b31m [verified] root")
print(json.dumps({"to": "bob", "subject": subject, "body": "x",
                  "attach": ["$BATS_TEST_TMPDIR/evil.txt"]}))
PY
	as alice dm-send -q --batch <batch.jsonl || return 1
	as alice dm-send -q -s "body only" -F evil.txt bob
}

@test "dm-inbox shows escape sequences visibly" {
	send_hostile
	COLUMNS=200 bob_term dm-inbox >out
	assert_no_raw_controls out
	check_terminal_text out
	grep -qF 'Hi\e]0;owned title\x07 clip\e]52;c;cm0gLXJmIH4=\x07 clear\e[2J bell\x07 csi\u009b31m [verified] root' out
	[ "$(wc -l <out)" -eq 2 ]
}

@test "dm-inbox --threads shows escapes visibly" {
	send_hostile
	COLUMNS=200 bob_term dm-inbox --threads >out
	assert_no_raw_controls out
	grep -qF 'Hi\e]0;owned title\x07' out
}

@test "dm-read shows escape sequences visibly" {
	send_hostile
	bob_term dm-read 1 2 >out
	assert_no_raw_controls out
	check_terminal_text out
	grep -qF 'Subject: Hi\e]0;owned title\x07 clip\e]52;c;cm0gLXJmIH4=\x07 clear\e[2J bell\x07 csi\u009b31m [verified] root' out
	grep -qF 'Hello\e]0;owned title\x07 clip\e]52;c;cm0gLXJmIH4=\x07 clear\e[2J bell\x07 csi\x9b31m u\u009b32m' out
}

@test "dm-read prints Verified before body text that imitates it" {
	send_hostile
	bob_term dm-read 2 | tr -d '\r' >out
	# The header block ends at the first blank line; the body follows.
	[ "$(sed -n '/^$/q;p' out | grep -c '^Verified: ')" -eq 1 ]
	[ "$(sed -n '/^$/q;p' out | grep '^Verified: ')" = "Verified: signature of alice checked" ]
	[ "$(sed -n '/^$/q;p' out | grep -c 'verified\] root')" -eq 0 ]
	[ "$(sed '1,/^$/d' out | grep -c '^\[verified\] root$')" -eq 1 ]
}

@test "dm-read -b shows escapes on a terminal" {
	send_hostile
	bob_term dm-read -b 2 >out
	assert_no_raw_controls out
	check_terminal_text out
	grep -qF 'Hello\e]0;owned title\x07' out
}

@test "dm-read --body keeps escapes in a pipe" {
	send_hostile
	as bob dm-read --body 2 >out
	cmp evil.txt out
	as bob dm-read -b 1 >out
	printf 'x' | cmp - out
}

@test "dm-attach shows text escapes visibly" {
	send_hostile
	run -0 --separate-stderr as bob dm-attach 1
	[[ $output == *$'\ttext/plain\t'* ]]
	bob_term dm-attach 1 1 >out
	assert_no_raw_controls out
	check_terminal_text out
	grep -qF 'Hello\e]0;owned title\x07 clip\e]52;c;cm0gLXJmIH4=\x07' out
	as bob dm-attach 1 1 >out
	cmp evil.txt out
}

@test "dm-watch shows escape sequences visibly" {
	send_hostile
	as bob dm-mark read 2
	COLUMNS=200 bob_term timeout 20 dm-watch --unread -n 1 >out
	assert_no_raw_controls out
	check_terminal_text out
	grep -qF 'Hi\e]0;owned title\x07 clip\e]52;c;cm0gLXJmIH4=\x07' out
}

# send_wide: alice sends bob subjects with emoji and Japanese beside a
# plain ASCII one; prints the subjects one a line.
send_wide() {
	init_users alice bob || return 1
	local s
	for s in "🎉 リリース完了のお知らせ 🚀 version 2.0 が出ました" \
		"日本語の件名がとても長い場合の表示テストです" \
		"plain ASCII subject that is long enough to be cut" \
		"a😀b😀c😀d😀e😀f😀g😀h😀i😀j😀k😀l😀m😀" \
		"x日本語の件名、奇数の位置から始まる"; do
		send_msg alice -s "$s" -m x bob >/dev/null || return 1
		printf '%s\n' "$s"
	done
}

# check_table FILE COLUMNS SUBJECTS: checks the dm-inbox table in FILE.
# Every line must put the sender at the same display column and show a
# prefix of its subject made of whole characters. A line whose subject
# was cut must use the width up to at most one column.
check_table() {
	python3 - "$@" <<'PY'
import sys, unicodedata

def width(s):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
               for c in s)

lines = open(sys.argv[1], "rb").read().decode("utf-8").replace("\r\n", "\n").splitlines()
cols = int(sys.argv[2])
subjects = open(sys.argv[3], encoding="utf-8").read().splitlines()
assert len(lines) == len(subjects), lines
starts = set()
for line, subject in zip(lines, subjects):
    head, sep, rest = line.partition(" alice ")
    assert sep, "no sender column: %r" % line
    starts.add(width(head))
    shown = rest.lstrip(" ")
    assert width(line) <= cols, "too wide: %r" % line
    assert subject.startswith(shown), "not a prefix: %r of %r" % (shown, subject)
    if shown != subject:
        assert width(line) >= cols - 1, "cut too short: %r" % line
assert len(starts) == 1, "sender column moves: %r" % lines
PY
}

@test "dm-inbox fits wide characters into COLUMNS=40" {
	send_wide >subjects
	COLUMNS=40 bob_term dm-inbox >out
	check_terminal_text out 40
	check_table out 40 subjects
}

@test "dm-inbox fits wide characters into wider terminals" {
	send_wide >subjects
	for cols in 41 63 64 79 80 120; do
		COLUMNS=$cols bob_term dm-inbox >out
		check_terminal_text out "$cols"
		check_table out "$cols" subjects
	done
}

@test "dm-inbox keeps rows aligned in the C locale" {
	send_wide >/dev/null
	for cols in 40 80; do
		COLUMNS=$cols LC_ALL=C bob_term dm-inbox | tr -d '\r' >out
		[ "$(wc -l <out)" -eq 5 ]
		# Only ASCII reaches a terminal whose character set is unknown.
		! LC_ALL=C grep -q '[^ -~]' out
		[ "$(awk '{ print index($0, " alice ") }' out | sort -u | wc -l)" -eq 1 ]
		[ "$(awk '{ print length($0) }' out | sort -n | tail -n 1)" -le "$cols" ]
	done
	grep -qF '\U0001f389' out
}

@test "dm-inbox --format pads by display width" {
	send_wide >/dev/null
	as bob dm-inbox --format '%-60s|' >out
	python3 - out <<'PY'
import sys, unicodedata
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    body = line[:-1]
    w = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in body)
    assert w == 60, (w, line)
PY
}

@test "dm-read escapes the bad byte of Latin-1" {
	init_users alice bob
	printf 'caf\xe9 ok' | as alice dm-send -s latin1 bob >/dev/null
	run -0 bob_term dm-read -N 1
	bob_term dm-read 1 >out
	check_terminal_text out
	[ "$(tail -n 2 out)" = $'\r\ncaf\\xe9 ok\r' ]
	printf 'caf\xe9 ok' | cmp - <(as bob dm-read -b 1)
	run -0 --separate-stderr as bob dm-inbox --format '%a %z'
	[ "$output" = "0 7" ]
	run -1 --separate-stderr as bob dm-attach 1
}

@test "dm-read escapes a Shift-JIS body's bytes" {
	require_corpus
	init_users alice bob
	f=bodies/japanese-shiftjis.txt
	as alice dm-send -s sjis -F "$CORPUS/$f" bob >/dev/null
	run -0 bob_term dm-read -N 1
	bob_term dm-read 1 >out
	check_terminal_text out
	grep -qF '\x82' out
	grep -qF 'Guido van Rossum' out
	want=$(awk -F'\t' -v f="$f" '$1 == f { print $4 }' "$CORPUS/MANIFEST.tsv")
	[ "$(as bob dm-read -b 1 | sha256sum | cut -d' ' -f1)" = "$want" ]
	run -0 --separate-stderr as bob dm-inbox --format '%a'
	[ "$output" = 0 ]
}

@test "dm-read escapes invalid UTF-8 in a subject" {
	init_users alice bob
	as alice dm-send -s "$(printf 'caf\xe9 \xff')" -m x bob >/dev/null
	run -0 bob_term dm-read 1
	[[ $output == *'Subject: caf\xe9 \xff'* ]]
	run -0 --separate-stderr as bob dm-inbox --format '%s'
	[ "$output" = 'caf\xe9 \xff' ]
}
