#!/usr/bin/env bats
# dm-send: options, bodies, attachments, recipients, replies, exit codes.

load test_helper

ID_RE='^[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$'

# inbox USER [OPTIONS...]: one line a message, without the date.
inbox() {
	local user=$1
	shift
	as "$user" dm-inbox --format '%n\t%F\t%f\t%T\t%s' "$@"
}

# save_body USER ID: writes the exact body bytes of message ID to "got".
save_body() {
	as "$1" dm-read --body "$2" >got
}

# json_field USER ID FIELD: one field of message ID from dm-inbox --json.
json_field() {
	as "$1" dm-inbox --json | jq -c --arg id "$2" "select(.id == \$id) | .$3"
}

@test "dm-send prints the id and delivers the message" {
	init_users alice bob
	run -0 --separate-stderr as alice dm-send -s 'Lunch' -m 'At noon?' bob
	[[ $output =~ $ID_RE ]]
	[ -z "$stderr" ]
	id=$output

	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	Lunch
	EOF
	save_body bob "$id"
	printf 'At noon?' | cmp - got
	[ "$(json_field bob "$id" id)" = "\"$id\"" ]
}

@test "dm-send accepts the long option names" {
	init_users alice bob
	printf 'notes\n' >notes.txt
	run -0 --separate-stderr as alice dm-send --subject 'Long' \
		--message 'text' --priority high --tag ops --name n.txt \
		--attach notes.txt bob
	id=$output
	[ "$(json_field bob "$id" subject)" = '"Long"' ]
	[ "$(json_field bob "$id" priority)" = '"high"' ]
	[ "$(json_field bob "$id" tags)" = '["ops"]' ]
	[ "$(json_field bob "$id" 'attachments[0].name')" = '"n.txt"' ]
	run -0 --separate-stderr as alice dm-send --quiet --body-file notes.txt bob
	[ -z "$output" ]
}

@test "dm-send reads the body from standard input" {
	init_users alice bob
	id=$(printf 'line one\nline two\n' | as alice dm-send -s 'Piped' bob)
	save_body bob "$id"
	printf 'line one\nline two\n' | cmp - got
}

@test "dm-send -F reads the body from a file" {
	init_users alice bob
	printf 'from a file\n' >body.txt
	id=$(as alice dm-send -s 'File' -F body.txt bob </dev/null)
	save_body bob "$id"
	cmp body.txt got
}

@test "dm-send -F with a missing file exits 66" {
	init_users alice bob
	run -66 --separate-stderr as alice dm-send -F nothere.txt bob
	[ "$stderr" = "dm-send: cannot open body file nothere.txt: No such file or directory" ]
	[ -z "$output" ]
	run -1 as bob dm-inbox
}

@test "dm-send -F with a directory or socket exits 66" {
	init_users alice bob
	mkdir adir
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
	run -66 --separate-stderr as alice dm-send -F adir bob
	[ "$stderr" = "dm-send: cannot open body file adir: Is a directory" ]
	run -66 --separate-stderr as alice dm-send -F sock bob
	[ "$stderr" = "dm-send: cannot open body file sock: No such device or address" ]
	run -1 as bob dm-inbox
}

@test "dm-send sends an empty body from -m or empty stdin" {
	init_users alice bob
	id1=$(as alice dm-send -s 'Empty m' -m '' bob)
	id2=$(as alice dm-send -s 'Empty stdin' bob </dev/null)
	for id in "$id1" "$id2"; do
		[ "$(json_field bob "$id" size)" = 0 ]
		save_body bob "$id"
		[ ! -s got ]
	done
}

@test "dm-send keeps NUL bytes and invalid UTF-8 in a body" {
	init_users alice bob
	printf 'a\0b\377\376 caf\351 \303(\0\0end' >binary.body
	id1=$(as alice dm-send -s 'Binary stdin' bob <binary.body)
	id2=$(as alice dm-send -s 'Binary file' -F binary.body bob)
	save_body bob "$id1"
	cmp binary.body got
	save_body bob "$id2"
	cmp binary.body got
	[ "$(json_field bob "$id1" size)" = "$(stat -c %s binary.body)" ]
}

@test "dm-send sends a body larger than 1 MiB" {
	init_users alice bob
	head -c $((1536 * 1024 + 7)) /dev/urandom >large.body
	id1=$(as alice dm-send -s 'Large stdin' bob <large.body)
	id2=$(as alice dm-send -s 'Large file' -F large.body bob)
	save_body bob "$id1"
	cmp large.body got
	save_body bob "$id2"
	cmp large.body got
}

@test "dm-send sends an attachment larger than 4 MiB" {
	init_users alice bob
	# A fixed start keeps libmagic from matching a format by chance in the
	# random bytes: the type below must be application/octet-stream.
	{ printf 'dm-test-data\0\1\2'; head -c $((5 * 1024 * 1024 - 12)) /dev/urandom; } >large.bin
	id=$(as alice dm-send -s 'Large attachment' -m 'see attached' -a large.bin bob)
	run -0 --separate-stderr as bob dm-attach "$id"
	[ "$output" = "1	application/octet-stream	$((5 * 1024 * 1024 + 3))	large.bin" ]
	as bob dm-attach "$id" 1 -o out.bin
	cmp large.bin out.bin
	save_body bob "$id"
	printf 'see attached' | cmp - got
}

@test "dm-send -a attaches files under their base names" {
	init_users alice bob
	mkdir -p dir/sub
	printf 'first\n' >dir/sub/a.txt
	printf '\0\1\2\3' >b.bin
	id=$(as alice dm-send -s 'Two files' -m 'x' -a dir/sub/a.txt -a ./b.bin bob)
	run -0 --separate-stderr as bob dm-attach "$id"
	diff -u - <(printf '%s\n' "$output") <<-'EOF'
	1	text/plain	6	a.txt
	2	application/octet-stream	4	b.bin
	EOF
	as bob dm-attach "$id" 1 -o one
	cmp dir/sub/a.txt one
	as bob dm-attach "$id" 2 -o two
	cmp b.bin two
	diff -u - <(inbox bob) <<-'EOF'
	1	NA	alice	bob	Two files
	EOF
}

@test "dm-send -n names only the next attachment" {
	init_users alice bob
	printf 'one\n' >a.txt
	printf 'two\n' >b.txt
	id=$(as alice dm-send -m 'x' -n 'renamed.txt' -a a.txt -a b.txt bob)
	run -0 --separate-stderr as bob dm-attach "$id"
	diff -u - <(printf '%s\n' "$output") <<-'EOF'
	1	text/plain	4	renamed.txt
	2	text/plain	4	b.txt
	EOF
}

@test "dm-send -a - attaches standard input" {
	init_users alice bob
	printf 'col1,col2\n\0\377raw\n' >piped.bin
	id=$(as alice dm-send -s 'Stdin' -m 'the body' -a - bob <piped.bin)
	run -0 --separate-stderr as bob dm-attach "$id"
	[[ $output == "1	"*"	$(stat -c %s piped.bin)	stdin" ]]
	as bob dm-attach "$id" 1 -o out
	cmp piped.bin out
	save_body bob "$id"
	printf 'the body' | cmp - got
}

@test "dm-send -n names an attachment from stdin" {
	init_users alice bob
	printf 'body text\n' >body.txt
	printf 'report\n' | as alice dm-send -F body.txt -n report.txt -a - bob >id
	id=$(cat id)
	run -0 --separate-stderr as bob dm-attach "$id"
	[ "$output" = "1	text/plain	7	report.txt" ]
	save_body bob "$id"
	cmp body.txt got
}

@test "dm-send -a with a missing file exits 66" {
	init_users alice bob
	run -66 --separate-stderr as alice dm-send -m 'x' -a nothere.pdf bob
	[ "$stderr" = "dm-send: cannot open attachment nothere.pdf: No such file or directory" ]
	[ -z "$output" ]
	run -1 as bob dm-inbox
	run -1 as alice dm-inbox --sent
}

@test "dm-send -a with a directory or socket exits 66" {
	init_users alice bob
	mkdir adir
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
	run -66 --separate-stderr as alice dm-send -m 'x' -a adir bob
	[ "$stderr" = "dm-send: cannot attach adir: Is a directory" ]
	run -66 --separate-stderr as alice dm-send -m 'x' -a sock bob
	[ "$stderr" = "dm-send: cannot open attachment sock: No such device or address" ]
	run -1 as bob dm-inbox
}

@test "dm-send -p sets each priority level" {
	init_users alice bob
	for level in low normal high urgent; do
		as alice dm-send -s "$level" -m 'x' -p "$level" bob >/dev/null
	done
	diff -u - <(as bob dm-inbox --format '%s %p %F') <<-'EOF'
	low low N
	normal normal N
	high high N!
	urgent urgent N!
	EOF
}

@test "dm-send -p rejects an unknown level with 64" {
	init_users alice bob
	run -64 --separate-stderr as alice dm-send -m 'x' -p extreme bob
	[ "$stderr" = "dm-send: invalid priority: extreme: use low, normal, high or urgent" ]
	run -1 as bob dm-inbox
}

@test "dm-send -t tags the message once per tag" {
	init_users alice bob
	id=$(as alice dm-send -m 'x' -t ops -t 'q3-report' -t ops -t 'café' bob)
	[ "$(json_field bob "$id" 'tags | sort')" = '["café","ops","q3-report"]' ]
}

@test "dm-send accepts a tag of 64 bytes" {
	init_users alice bob
	tag=$(printf 'x%.0s' {1..64})
	id=$(as alice dm-send -m 'x' -t "$tag" bob)
	[ "$(json_field bob "$id" tags)" = "[\"$tag\"]" ]
}

@test "dm-send rejects an invalid tag with 65" {
	init_users alice bob
	long=$(printf 'x%.0s' {1..65})
	tags=('two words' 'a,b' '' "$long" $'tab\there' $'esc\e[0m' \
		$'c1\xc2\x9b' $'bad\xff')
	shown=('two words' 'a,b' '' "$long" 'tab\there' 'esc\e[0m' \
		'c1\u009b' 'bad\xff')
	for n in "${!tags[@]}"; do
		run -65 --separate-stderr as alice dm-send -m 'x' -t ok -t "${tags[n]}" bob
		[ "$stderr" = "dm-send: invalid tag: ${shown[n]}: a tag is 1 to 64 bytes of UTF-8 without spaces, commas or control characters" ]
		[ -z "$output" ]
	done
	run -1 as bob dm-inbox
}

@test "dm-send -q prints nothing on success" {
	init_users alice bob
	run -0 --separate-stderr as alice dm-send -q -s 'Quiet' -m 'x' bob
	[ -z "$output" ]
	[ -z "$stderr" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	Quiet
	EOF
}

@test "dm-send -q still reports a failed recipient" {
	init_users alice bob
	run -67 --separate-stderr as alice dm-send -q -m 'x' bob nosuch
	[ -z "$output" ]
	[ "$stderr" = "dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first" ]
	[ "$(as bob dm-inbox -c)" = 1 ]
}

@test "dm-send --json prints the message metadata" {
	init_users alice bob carol
	printf 'hello world\n' >notes.txt
	run -0 --separate-stderr as alice dm-send --json -s 'Report' -m 'body!' \
		-p urgent -t q3 -t ops -a notes.txt bob carol
	[ -z "$stderr" ]
	sent=$output
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$sent")" = \
		"id,thread,from,to,date,subject,priority,tags,attachments,size" ]
	id=$(jq -r .id <<<"$sent")
	[[ $id =~ $ID_RE ]]
	[ "$(jq -r .thread <<<"$sent")" = "$id" ]
	[ "$(jq -r .from <<<"$sent")" = alice ]
	[ "$(jq -c .to <<<"$sent")" = '["bob","carol"]' ]
	[[ $(jq -r .date <<<"$sent") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	[ "$(jq -r .subject <<<"$sent")" = Report ]
	[ "$(jq -r .priority <<<"$sent")" = urgent ]
	[ "$(jq -c '.tags | sort' <<<"$sent")" = '["ops","q3"]' ]
	[ "$(jq -c .attachments <<<"$sent")" = \
		'[{"index":1,"name":"notes.txt","type":"text/plain","size":12}]' ]
	[ "$(jq -r .size <<<"$sent")" = 17 ]

	# The receiver sees the same message; tags are a set.
	received=$(as bob dm-inbox --json |
		jq -c 'del(.number, .unread, .archived) | .tags |= sort')
	[ "$received" = "$(jq -c '.tags |= sort' <<<"$sent")" ]
}

@test "dm-send -h prints the help and exits 0" {
	run -0 --separate-stderr dm-send -h
	[[ ${lines[0]} == "usage: dm-send "* ]]
	[[ $output == *"-a, --attach FILE"* ]]
	[[ $output == *"--batch"* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr dm-send --help
	[[ ${lines[0]} == "usage: dm-send "* ]]
}

@test "dm-send --version prints the version" {
	run -0 --separate-stderr dm-send --version
	[[ $output =~ ^dm-send\ \(dm\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ -z "$stderr" ]
}

@test "dm-send takes every argument after -- as a recipient" {
	init_users alice bob
	run -67 --separate-stderr as alice dm-send -m 'x' -- bob -q
	[[ $output =~ $ID_RE ]]
	[ "$stderr" = "dm-send: unknown user: -q: dm user names match [a-z_][a-z0-9_.-]*" ]
	[ "$(as bob dm-inbox -c)" = 1 ]
}

@test "dm-send takes -bob after -- as an unknown user" {
	init_users alice bob
	run -67 --separate-stderr as alice dm-send -s 'dash' -m 'x' -- -bob
	[ -z "$output" ]
	[ "$stderr" = "dm-send: unknown user: -bob: dm user names match [a-z_][a-z0-9_.-]*" ]
	run -1 as bob dm-inbox
	run -1 as alice dm-inbox --sent
}

@test "dm-send rejects an unknown option with 64" {
	init_users alice bob
	run -64 --separate-stderr as alice dm-send --colour -m 'x' bob
	[[ $stderr == "dm-send: unrecognized option '--colour'"$'\n'"usage: dm-send "* ]]
	[ -z "$output" ]
	run -1 as bob dm-inbox
}

@test "dm-send without recipients exits 64" {
	init_users alice
	run -64 --separate-stderr as alice dm-send -m 'x'
	[ "$stderr" = "dm-send: no recipients: name at least one user or @group" ]
}

@test "dm-send rejects -m together with -F" {
	init_users alice bob
	printf 'x\n' >body.txt
	run -64 --separate-stderr as alice dm-send -m 'x' -F body.txt bob
	[ "$stderr" = "dm-send: -m and -F both give the body: use one" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects -a - without -m or -F" {
	init_users alice bob
	run -64 --separate-stderr as alice dm-send -a - bob </dev/null
	[ "$stderr" = "dm-send: -a - reads standard input: give the body with -m or -F, and use -a - once" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects -a - given twice" {
	init_users alice bob
	run -64 --separate-stderr as alice dm-send -m 'x' -a - -a - bob </dev/null
	[ "$stderr" = "dm-send: -a - reads standard input: give the body with -m or -F, and use -a - once" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects -n without a following -a" {
	init_users alice bob
	run -64 --separate-stderr as alice dm-send -m 'x' -n name.txt bob
	[ "$stderr" = "dm-send: -n name.txt is not followed by -a" ]
	run -64 --separate-stderr as alice dm-send -m 'x' -n one -n two -a /dev/null bob
	[ "$stderr" = "dm-send: -n one is not followed by -a" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects --batch with recipients or message options" {
	init_users alice bob
	for args in 'bob' '-s x' '-m x' '-F /dev/null' '-a /dev/null' '-r 1' '-t x'; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr as alice dm-send --batch $args </dev/null
		[ "$stderr" = "dm-send: --batch takes every message from standard input: no recipients or message options" ]
	done
	run -1 as bob dm-inbox
}

@test "dm-send rejects a malformed recipient name with 65" {
	init_users alice bob
	run -65 --separate-stderr as alice dm-send -m 'x' bad/name
	[ "$stderr" = "dm-send: invalid user name: bad/name: names are [a-z_][a-z0-9_.-], at most 32 characters" ]
	[ -z "$output" ]
}

@test "dm-send rejects a malformed group name with 65" {
	init_users alice bob
	run -65 --separate-stderr as alice dm-send -m 'x' @bad/group
	[ "$stderr" = "dm-send: invalid group name: @bad/group" ]
}

@test "dm-send to an unknown user exits 67" {
	init_users alice
	run -67 --separate-stderr as alice dm-send -m 'x' nosuch
	[ "$stderr" = "dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first" ]
	[ -z "$output" ]
	run -1 as alice dm-inbox --sent
}

@test "dm-send to a user without a drop box exits 67" {
	init_users alice bob
	rmdir "$DM_SPOOL/boxes/bob"
	run -67 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: unknown user: bob: no drop box in $DM_SPOOL/boxes" ]
}

@test "dm-send delivers to the others when one recipient fails" {
	init_users alice bob carol
	run -67 --separate-stderr as alice dm-send -s 'Partial' -m 'x' bob nosuch carol
	[[ $output =~ $ID_RE ]]
	[ "$stderr" = "dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob,carol	Partial
	EOF
	diff -u - <(inbox carol) <<-'EOF'
	1	N	alice	bob,carol	Partial
	EOF
	diff -u - <(inbox alice --sent) <<-'EOF'
	1	-	alice	bob,carol	Partial
	EOF
}

@test "dm-send names each failure and exits with the first code" {
	init_users alice bob
	run -65 --separate-stderr as alice dm-send -m 'x' bad/name nosuch bob
	[[ $output =~ $ID_RE ]]
	diff -u - <(printf '%s\n' "$stderr") <<-EOF
	dm-send: invalid user name: bad/name: names are [a-z_][a-z0-9_.-], at most 32 characters
	dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first
	EOF

	run -67 --separate-stderr as alice dm-send -m 'x' nosuch bad/name bob
	[[ $output =~ $ID_RE ]]
	diff -u - <(printf '%s\n' "$stderr") <<-EOF
	dm-send: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first
	dm-send: invalid user name: bad/name: names are [a-z_][a-z0-9_.-], at most 32 characters
	EOF
	[ "$(as bob dm-inbox -c)" = 2 ]
}

@test "dm-send prints no id when every recipient fails" {
	init_users alice
	run -67 --separate-stderr as alice dm-send -m 'x' nosuch bad/name
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" = 2 ]
	run -1 as alice dm-inbox --sent
}

@test "dm-send leaves rejected recipients out of To" {
	init_users alice bob
	run -67 --separate-stderr as alice dm-send -s 'Mixed' -m 'x' -- bob -x BIG bad/name nosuch
	[[ $output =~ $ID_RE ]]
	id=$output
	[ "${#stderr_lines[@]}" = 4 ]

	# The delivered copy passes verification and names only bob.
	run -0 --separate-stderr inbox bob
	[ "$output" = "1	N	alice	bob	Mixed" ]
	[ -z "$stderr" ]
	[ -z "$(ls -A "$DM_SPOOL/users/bob/quarantine" 2>/dev/null)" ]
	[ "$(json_field bob "$id" to)" = '["bob"]' ]
}

@test "dm-send to oneself delivers to one's own inbox" {
	init_users alice
	run -0 --separate-stderr as alice dm-send -s 'Note to self' -m 'remember' alice
	id=$output
	diff -u - <(inbox alice) <<-'EOF'
	1	N	alice	alice	Note to self
	EOF
	diff -u - <(inbox alice --sent) <<-'EOF'
	1	N	alice	alice	Note to self
	EOF
	save_body alice "$id"
	printf 'remember' | cmp - got
}

@test "dm-send to a group skips the sender" {
	init_users alice bob carol
	as alice dm-group create team alice bob carol
	run -0 --separate-stderr as alice dm-send -s 'Standup' -m 'at ten' @team
	[ -z "$stderr" ]
	for user in bob carol; do
		diff -u - <(inbox "$user") <<-'EOF'
		1	N	alice	@team	Standup
		EOF
	done
	run -1 inbox alice
	diff -u - <(inbox alice --sent) <<-'EOF'
	1	-	alice	@team	Standup
	EOF
}

@test "dm-send to a group of only the sender exits 67" {
	init_users alice
	as alice dm-group create solo alice
	run -67 --separate-stderr as alice dm-send -m 'x' @solo
	[ "$stderr" = "dm-send: group has no other members: @solo" ]
	[ -z "$output" ]
	run -1 as alice dm-inbox --sent
}

@test "dm-send -r replies to the other participants" {
	init_users alice bob carol
	orig=$(as alice dm-send -s 'Plan' -m 'draft' bob carol)
	run -0 --separate-stderr as bob dm-send -r "$orig" -m 'looks good'
	[ -z "$stderr" ]
	reply=$output

	for user in alice carol; do
		[ "$(json_field "$user" "$reply" subject)" = '"Re: Plan"' ]
		[ "$(json_field "$user" "$reply" thread)" = "\"$orig\"" ]
		[ "$(json_field "$user" "$reply" from)" = '"bob"' ]
	done
	[ "$(json_field alice "$reply" to)" = '["alice","carol"]' ]
	diff -u - <(inbox bob) <<-'EOF'
	1	NR	alice	bob,carol	Plan
	EOF
	diff -u - <(inbox bob --sent) <<-'EOF'
	2	-	bob	alice,carol	Re: Plan
	EOF
}

@test "dm-send -r takes a number or an id prefix" {
	init_users alice bob
	orig=$(as alice dm-send -s 'Q' -m 'x' bob)
	as bob dm-inbox >/dev/null
	id1=$(as bob dm-send -r 1 -m 'by number')
	id2=$(as bob dm-send -r "${orig:0:8}" -m 'by prefix')
	[ "$(json_field alice "$id1" thread)" = "\"$orig\"" ]
	[ "$(json_field alice "$id2" thread)" = "\"$orig\"" ]
}

@test "dm-send -r keeps a subject that starts with Re:" {
	init_users alice bob
	orig=$(as alice dm-send -s 'RE: Budget' -m 'x' bob)
	reply=$(as bob dm-send -r "$orig" -m 'y')
	[ "$(json_field alice "$reply" subject)" = '"RE: Budget"' ]
}

@test "dm-send -r with -s and recipients overrides the defaults" {
	init_users alice bob carol
	orig=$(as alice dm-send -s 'Plan' -m 'x' bob)
	reply=$(as bob dm-send -r "$orig" -s 'Side note' -m 'y' carol)
	[ "$(json_field carol "$reply" subject)" = '"Side note"' ]
	[ "$(json_field carol "$reply" thread)" = "\"$orig\"" ]
	run -1 as alice dm-inbox -f bob
}

@test "dm-send -r to own message reaches its recipients" {
	init_users alice bob
	orig=$(as alice dm-send -s 'Ping' -m 'x' bob)
	reply=$(as alice dm-send -r "$orig" -m 'ping again')
	[ "$(json_field bob "$reply" subject)" = '"Re: Ping"' ]
	[ "$(json_field bob "$reply" thread)" = "\"$orig\"" ]
	run -1 as alice dm-inbox
}

@test "dm-send -r with an unknown message exits 66" {
	init_users alice bob
	run -66 --separate-stderr as bob dm-send -r 42 -m 'x'
	[ "$stderr" = "dm-send: unknown message: 42" ]
	[ -z "$output" ]
	run -1 as bob dm-inbox --sent
}

@test "dm-send rejects control characters in a subject" {
	init_users alice bob
	for entry in $'Invoice\nFrom: root:0a:8' $'tab\there:09:4' \
		$'cr\rhere:0d:3' $'del\x7fhere:7f:4' $'soh\x01here:01:4' \
		$'esc\e]0;title:1b:4' $'c1\xc2\x9bhere:9b:3'; do
		subject=${entry%:*:*}
		code=${entry#"$subject":}
		run -65 --separate-stderr as alice dm-send -s "$subject" -m 'x' bob
		[ "$stderr" = "dm-send: invalid subject: control character 0x${code%:*} at byte ${code#*:}: a subject is one line of text" ]
		[ -z "$output" ]
	done
	run -1 as bob dm-inbox
}

@test "dm-send accepts a subject of 1024 bytes and rejects 1025" {
	init_users alice bob
	subject=$(printf 's%.0s' {1..1024})
	id=$(as alice dm-send -s "$subject" -m 'x' bob)
	[ "$(json_field bob "$id" subject)" = "\"$subject\"" ]
	run -65 --separate-stderr as alice dm-send -s "${subject}s" -m 'x' bob
	[ "$stderr" = "dm-send: subject too long: 1025 bytes: at most 1024" ]
	[ "$(as bob dm-inbox -c)" = 1 ]
}

@test "dm-send rejects more than 256 recipients with 65" {
	init_users alice bob
	mapfile -t many < <(printf 'user%d\n' {1..256})
	run -65 --separate-stderr as alice dm-send -m 'x' bob "${many[@]}"
	[ "$stderr" = "dm-send: too many recipients: at most 256" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects more than 256 attachments with 65" {
	init_users alice bob
	printf 'x' >a.txt
	args=()
	for _ in {1..257}; do
		args+=(-a a.txt)
	done
	run -65 --separate-stderr as alice dm-send -m 'x' "${args[@]}" bob
	[ "$stderr" = "dm-send: too many attachments: at most 256" ]
	run -1 as bob dm-inbox
}

@test "dm-send rejects an attachment name over 1024 bytes" {
	init_users alice bob
	printf 'x' >a.txt
	name=$(printf 'n%.0s' {1..1025})
	run -65 --separate-stderr as alice dm-send -m 'x' -n "$name" -a a.txt bob
	[ "$stderr" = "dm-send: attachment name too long: 1025 bytes: at most 1024" ]
	run -1 as bob dm-inbox
}

@test "dm-send creates keys for a sender without them" {
	init_users bob
	run -0 --separate-stderr as dave dm-send -s 'First' -m 'hi' bob
	[[ $output =~ $ID_RE ]]
	[[ $stderr =~ ^dm-send:\ created\ a\ key\ for\ dave\ in\ $BATS_TEST_TMPDIR/home/dave:\ fingerprint\ [0-9a-f]{4}(\ [0-9a-f]{4}){7}$ ]]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/home/dave/dave.key")" = 600 ]
	[ -f "$DM_SPOOL/keys/dave.pub" ]
	fingerprint=${stderr##*fingerprint }

	run -0 --separate-stderr as bob dm-read 1
	[[ $output == *"Verified: signature of dave checked"* ]]

	run -0 --separate-stderr as dave dm-send -m 'again' bob
	[ -z "$stderr" ]
	run -0 --separate-stderr as dave dm-init
	[ "$output" = "$fingerprint" ]
}

@test "dm-send exits 73 when the sender's drop box is missing" {
	init_users alice bob
	rmdir "$DM_SPOOL/boxes/alice"
	printf 'x\n' >a.txt
	run -73 --separate-stderr as alice dm-send -m 'x' -a a.txt bob
	[ "$stderr" = "dm-send: cannot create file in $DM_SPOOL/boxes/alice: No such file or directory" ]
	[ -z "$output" ]
	run -1 as bob dm-inbox
}

@test "dm-send exits 73 when it cannot create DM_HOME" {
	init_users bob
	printf 'not a directory\n' >file
	run -73 --separate-stderr env DM_USER=dave DM_HOME="$BATS_TEST_TMPDIR/file/dm" \
		dm-send -m 'x' bob
	[ "$stderr" = "dm-send: cannot create $BATS_TEST_TMPDIR/file/dm: Not a directory" ]
	run -1 as bob dm-inbox
}

@test "dm-send -r exits 75 while the mailbox lock is held" {
	# The lock wait is bounded at 30 seconds, so this test takes that long.
	init_users alice bob
	as alice dm-send -s 'Q' -m 'x' bob >/dev/null
	run -75 --separate-stderr flock "$DM_SPOOL/users/bob/lock" \
		env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		timeout 120 dm-send -r 1 -m 'answer'
	[ "$stderr" = "dm-send: mailbox busy: $DM_SPOOL/users/bob/lock: lock held for 30 s: try again later" ]
	[ -z "$output" ]
	run -1 as alice dm-inbox
}

@test "dm-send exits 77 on a readable secret key" {
	init_users alice bob
	chmod 644 "$BATS_TEST_TMPDIR/home/alice/alice.key"
	run -77 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: secret key file is accessible by others: $BATS_TEST_TMPDIR/home/alice/alice.key: run chmod 600 $BATS_TEST_TMPDIR/home/alice/alice.key" ]
	run -1 as bob dm-inbox
}

@test "dm-send exits 77 when DM_HOME is open to others" {
	init_users alice bob
	chmod 755 "$BATS_TEST_TMPDIR/home/alice"
	run -77 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: key directory is accessible by others: $BATS_TEST_TMPDIR/home/alice: run chmod 700 $BATS_TEST_TMPDIR/home/alice" ]
	run -1 as bob dm-inbox
}

@test "dm-send exits 77 when the spool is writable by others" {
	init_users alice bob
	chmod 777 "$DM_SPOOL"
	run -77 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: spool writable by others: $DM_SPOOL: run chmod 700 $DM_SPOOL" ]
	chmod 700 "$DM_SPOOL"
	run -1 as bob dm-inbox
}

@test "dm-send exits 78 on a spool of an unknown version" {
	init_users alice bob
	printf 'dm-spool 9 personal\n' >"$DM_SPOOL/format"
	run -78 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: unknown spool format: $DM_SPOOL/format: this dm reads version 1" ]
	[ -z "$(ls -A "$DM_SPOOL/boxes/bob")" ]
}

@test "dm-send exits 78 on a corrupt secret key file" {
	init_users alice bob
	printf 'garbage\n' >>"$BATS_TEST_TMPDIR/home/alice/alice.key"
	run -78 --separate-stderr as alice dm-send -m 'x' bob
	[ "$stderr" = "dm-send: corrupt secret key file: $BATS_TEST_TMPDIR/home/alice/alice.key: line 4" ]
	run -1 as bob dm-inbox
}

@test "dm-watch hook gets dash-led values as data" {
	init_users alice bob
	printf 'payload\n' >./--output=x
	run -0 --separate-stderr as alice dm-send -s --help -a --output=x -m 'the body' bob
	id=$output
	run -0 --separate-stderr as bob dm-attach "$id"
	[ "$output" = "1	text/plain	8	--output=x" ]

	hook='printf "%s\n" "$DM_SUBJECT" >hook.subject
printf "%s\n" "$#" "$DM_ATTACHMENTS" >hook.args
cat >hook.body'
	run -0 --separate-stderr as bob timeout 20 dm-watch --unread -n 1 --exec "$hook"
	[ "$(cat hook.subject)" = '--help' ]
	diff -u - hook.args <<-'EOF'
	0
	1
	EOF
	printf 'the body' | cmp - hook.body
	[ ! -e x ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -name x)" ]
}

@test "dm-send works from a cron environment" {
	init_users alice bob
	run -0 --separate-stderr timeout 20 env -i PATH=/usr/bin:/bin \
		DM_SPOOL="$DM_SPOOL" DM_HOME="$BATS_TEST_TMPDIR/home/alice" DM_USER=alice \
		setsid -w "$DM_TOP/bin/dm-send" -s 'backup ok' bob </dev/null
	[[ $output =~ $ID_RE ]]
	[ -z "$stderr" ]
	id=$output
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	backup ok
	EOF
	[ "$(json_field bob "$id" size)" = 0 ]
	save_body bob "$id"
	[ ! -s got ]
}

@test "dm-send refuses a key that is not the published one with 78" {
	init_users alice bob
	cp "$DM_SPOOL/keys/alice.pub" alice.pub
	as alice dm-init --force >/dev/null 2>&1
	cp alice.pub "$DM_SPOOL/keys/alice.pub"
	run -78 --separate-stderr send_msg alice -m "signed by an unpublished key" bob
	[ -z "$output" ]
	[ "$stderr" = "dm-send: your published key does not match your secret key: $DM_SPOOL/keys/alice.pub: run dm-init to publish it" ]
	run -1 as bob dm-inbox
	as alice dm-init >/dev/null
	run -0 send_msg alice -m "now published" bob
}
