#!/usr/bin/env bats
# dm-send --batch: JSON Lines input, per-line errors, ids sent only once.

load test_helper

ID_RE='^[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$'

# inbox USER [OPTIONS...]: one line a message, without the date.
inbox() {
	local user=$1
	shift
	as "$user" dm-inbox --format '%n\t%F\t%f\t%T\t%s' "$@"
}

# parser_detail_cut: drops the JSON parser's own wording after "invalid
# JSON:", which depends on the jansson version.
parser_detail_cut() {
	sed 's/\(invalid JSON\): .*/\1: .../'
}

# json_field USER ID FIELD: one field of message ID from dm-inbox --json.
json_field() {
	as "$1" dm-inbox --json | jq -c --arg id "$2" "select(.id == \$id) | .$3"
}

@test "dm-send --batch sends one personalised message a line" {
	init_users alice bob carol dave
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"Invoice 7","body":"Dear bob, you owe 7.\n"}
	{"to":["carol"],"subject":"Invoice 8","body":"Dear carol, you owe 8.\n","priority":"high"}
	{"to":["dave","bob"],"subject":"Invoice 9","body":"Dear both.\n","tags":["billing","q3"]}
	EOF
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 3 ]
	for id in "${lines[@]}"; do
		[[ $id =~ $ID_RE ]]
	done
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" = 3 ]

	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	Invoice 7
	2	N	alice	dave,bob	Invoice 9
	EOF
	diff -u - <(inbox carol) <<-'EOF'
	1	N!	alice	carol	Invoice 8
	EOF
	diff -u - <(inbox dave) <<-'EOF'
	1	N	alice	dave,bob	Invoice 9
	EOF

	# Each printed id is the message that line sent.
	[ "$(json_field bob "${lines[0]}" subject)" = '"Invoice 7"' ]
	[ "$(json_field carol "${lines[1]}" priority)" = '"high"' ]
	[ "$(json_field dave "${lines[2]}" 'tags | sort')" = '["billing","q3"]' ]
	as carol dm-read --body "${lines[1]}" >got
	printf 'Dear carol, you owe 8.\n' | cmp - got
}

@test "dm-send --batch reports bad lines and sends the others" {
	init_users alice bob
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"first"}
	{"to":"bob",
	{"to":"bob","colour":"red"}
	{"to":"bob","priority":"extreme"}
	{"subject":"nobody"}
	{"to":"bob","subject":"last"}
	EOF
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 2 ]
	diff -u - <(printf '%s\n' "$stderr" | parser_detail_cut) <<-'EOF'
	dm-send: line 2: invalid JSON: ...
	dm-send: line 3: unknown field: "colour"
	dm-send: line 4: invalid priority: extreme: use low, normal, high or urgent
	dm-send: line 5: "to" is missing
	EOF
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	first
	2	N	alice	bob	last
	EOF
	[ "$(json_field bob "${lines[1]}" subject)" = '"last"' ]
}

@test "dm-send --batch rejects values of the wrong type" {
	init_users alice bob
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":5}
	{"to":[1]}
	{"to":"bob","body":["x"]}
	{"to":"bob","attach":3}
	{"to":"bob","tags":[true]}
	{"to":"bob","priority":2}
	{"to":"bob","reply":7}
	{"to":"bob","id":""}
	{"to":"bob","to":"carol"}
	["bob"]
	EOF
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ -z "$output" ]
	diff -u - <(printf '%s\n' "$stderr" | parser_detail_cut) <<-'EOF'
	dm-send: line 1: invalid value in field: "subject"
	dm-send: line 2: "to" must be an array of strings
	dm-send: line 3: invalid value in field: "body"
	dm-send: line 4: "attach" must be an array of strings
	dm-send: line 5: "tags" must be an array of strings
	dm-send: line 6: invalid value in field: "priority"
	dm-send: line 7: invalid value in field: "reply"
	dm-send: line 8: invalid value in field: "id"
	dm-send: line 9: invalid JSON: ...
	dm-send: line 10: a line must be a JSON object
	EOF
	run -1 as bob dm-inbox
}

@test "dm-send --batch rejects an invalid tag or recipient name" {
	init_users alice bob
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","tags":["two words"]}
	{"to":"bad/name"}
	{"to":"bob","subject":"fine"}
	EOF
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 1 ]
	diff -u - <(printf '%s\n' "$stderr") <<-'EOF'
	dm-send: line 1: invalid tag: two words
	dm-send: line 2: invalid user name: bad/name: names are [a-z_][a-z0-9_.-], at most 32 characters
	EOF
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	fine
	EOF
}

@test "dm-send --batch fails a line with an unknown recipient" {
	init_users alice bob carol
	printf '%s\n' '{"to":["bob","nosuch","carol"],"subject":"some"}' >batch.jsonl
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[[ $output =~ $ID_RE ]]
	[ "$stderr" = "dm-send: line 1: unknown user: nosuch: no public key in $DM_SPOOL/keys; nosuch must run dm-init first" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob,carol	some
	EOF
	diff -u - <(inbox carol) <<-'EOF'
	1	N	alice	bob,carol	some
	EOF
}

@test "dm-send --batch sends a line with an id only once" {
	init_users alice bob carol
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"once for bob","id":"invoice-7"}
	{"to":["carol","bob"],"subject":"once for both","id":"invoice-8"}
	{"to":"carol","subject":"every run"}
	EOF
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	first=("${lines[@]}")
	[ "${#first[@]}" = 3 ]

	# Again before anyone took the messages in.
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${lines[0]}" = "${first[0]}" ]
	[ "${lines[1]}" = "${first[1]}" ]
	[ "${lines[2]}" != "${first[2]}" ]
	[ -z "$stderr" ]

	# Again after both sides took them in.
	inbox alice --sent >/dev/null
	inbox bob >/dev/null
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${lines[0]}" = "${first[0]}" ]
	[ "${lines[1]}" = "${first[1]}" ]

	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	once for bob
	2	N	alice	carol,bob	once for both
	EOF
	diff -u - <(inbox carol) <<-'EOF'
	1	N	alice	carol,bob	once for both
	2	N	alice	carol	every run
	3	N	alice	carol	every run
	4	N	alice	carol	every run
	EOF
	[ "$(as alice dm-inbox --sent -c)" = 5 ]
}

@test "dm-send --batch re-run after a crash adds nothing" {
	init_users alice bob carol
	line='{"to":["bob","carol"],"subject":"crash","id":"job-42"}'
	id=$(printf '%s\n' "$line" | as alice dm-send --batch)
	inbox bob >/dev/null

	# The sender's own copy is renamed into place last: without it the
	# send looks interrupted and the line is sent again.
	rm "$DM_SPOOL/boxes/alice/$id.env"
	run -0 --separate-stderr as alice dm-send --batch <<<"$line"
	[ "$output" = "$id" ]

	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob,carol	crash
	EOF
	diff -u - <(inbox carol) <<-'EOF'
	1	N	alice	bob,carol	crash
	EOF
	diff -u - <(inbox alice --sent) <<-'EOF'
	1	-	alice	bob,carol	crash
	EOF
}

@test "dm-send --batch sends a repeated id within one batch once" {
	init_users alice bob
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"first","id":"same"}
	{"to":"bob","subject":"second","id":"same"}
	EOF
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	first
	EOF
}

@test "dm-send --batch ids of different senders do not collide" {
	init_users alice bob carol
	line='{"to":"bob","subject":"report","id":"daily"}'
	id1=$(as alice dm-send --batch <<<"$line")
	id2=$(as carol dm-send --batch <<<"$line")
	[ "$id1" != "$id2" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	report
	2	N	carol	bob	report
	EOF
}

@test "dm-send --batch retries a failed id line" {
	init_users alice bob
	line='{"to":"bob","subject":"late","attach":["report.txt"],"id":"r1"}'
	run -65 --separate-stderr as alice dm-send --batch <<<"$line"
	[ -z "$output" ]
	[ "$stderr" = "dm-send: line 1: cannot open attachment report.txt: No such file or directory" ]
	run -1 as bob dm-inbox

	printf 'ready\n' >report.txt
	run -0 --separate-stderr as alice dm-send --batch <<<"$line"
	[[ $output =~ $ID_RE ]]
	diff -u - <(inbox bob) <<-'EOF'
	1	NA	alice	bob	late
	EOF
}

@test "dm-send --batch attaches the files in attach" {
	init_users alice bob
	printf 'a,b\n1,2\n' >data.txt
	printf '\0\1\2binary' >blob.bin
	printf '%s\n' '{"to":"bob","subject":"files","attach":["data.txt","./blob.bin"]}' \
		'{"to":"bob","subject":"one","attach":"blob.bin"}' >batch.jsonl
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	id=${lines[0]}
	run -0 --separate-stderr as bob dm-attach "$id"
	diff -u - <(printf '%s\n' "$output") <<-'EOF'
	1	text/plain	8	data.txt
	2	application/octet-stream	9	blob.bin
	EOF
	as bob dm-attach "$id" 2 -o out.bin
	cmp blob.bin out.bin
	diff -u - <(inbox bob) <<-'EOF'
	1	NA	alice	bob	files
	2	NA	alice	bob	one
	EOF
}

@test "dm-send --batch fails a line whose attachment is missing" {
	init_users alice bob
	printf 'x\n' >here.txt
	printf '%s\n' '{"to":"bob","subject":"broken","attach":["here.txt","gone.txt"]}' \
		'{"to":"bob","subject":"fine"}' >batch.jsonl
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 1 ]
	[ "$stderr" = "dm-send: line 1: cannot open attachment gone.txt: No such file or directory" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	fine
	EOF
	[ -z "$(ls -A "$DM_SPOOL/boxes/alice" | grep -v '\.env$')" ]
}

@test "dm-send --batch replies with reply" {
	init_users alice bob carol
	orig=$(as alice dm-send -s 'Plan' -m 'draft' bob carol)
	printf '{"reply":"%s","body":"agreed"}\n' "$orig" >batch.jsonl
	printf '{"reply":"%s","to":"carol","subject":"Aside"}\n' "${orig:0:8}" >>batch.jsonl
	run -0 --separate-stderr as bob dm-send --batch <batch.jsonl
	[ -z "$stderr" ]
	reply=${lines[0]}
	aside=${lines[1]}

	[ "$(json_field alice "$reply" subject)" = '"Re: Plan"' ]
	[ "$(json_field alice "$reply" thread)" = "\"$orig\"" ]
	[ "$(json_field carol "$reply" to)" = '["alice","carol"]' ]
	[ "$(json_field carol "$aside" subject)" = '"Aside"' ]
	[ "$(json_field carol "$aside" thread)" = "\"$orig\"" ]
	run -1 as alice dm-inbox -g Aside
	diff -u - <(inbox bob) <<-'EOF'
	1	NR	alice	bob,carol	Plan
	EOF
}

@test "dm-send --batch fails a reply to an unknown message" {
	init_users alice bob
	printf '%s\n' '{"reply":"99"}' '{"to":"bob","subject":"fine"}' >batch.jsonl
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 1 ]
	[ "$stderr" = "dm-send: line 1: unknown message: 99" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	fine
	EOF
}

@test "dm-send --batch ignores empty lines and counts them" {
	init_users alice bob
	printf '\n{"to":"bob","subject":"one"}\n\n   \n\t\r\n{"to":"bob"\n{"to":"bob","subject":"two"}' >batch.jsonl
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ "${#lines[@]}" = 2 ]
	[[ $stderr == "dm-send: line 6: invalid JSON: "* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	one
	2	N	alice	bob	two
	EOF
}

@test "dm-send --batch with empty input sends nothing" {
	init_users alice bob
	run -0 --separate-stderr as alice dm-send --batch </dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr as alice dm-send --batch <<<''
	[ -z "$output" ]
	run -1 as alice dm-inbox --sent
}

@test "dm-send --batch keeps control characters in a subject" {
	init_users alice bob
	printf '%s\n' '{"to":"bob","subject":"Invoice\nFrom: root\t\r\u007f\u0001","body":"x"}' >batch.jsonl
	run -0 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ -z "$stderr" ]
	id=$output

	# Listed on one line with the controls shown as escapes.
	run -0 --separate-stderr inbox bob
	[ "$output" = '1	N	alice	bob	Invoice\nFrom: root\t\r\x7f\x01' ]

	# The raw bytes are kept.
	as bob dm-inbox --json | jq -j .subject >subject
	printf 'Invoice\nFrom: root\t\r\177\001' | cmp - subject
	as bob dm-read --json "$id" | jq -j .subject >subject
	printf 'Invoice\nFrom: root\t\r\177\001' | cmp - subject
}

@test "dm-send --batch keeps NUL bytes in a body" {
	init_users alice bob
	printf '%s\n' '{"to":"bob","body":"a\u0000b\u0000"}' >batch.jsonl
	id=$(as alice dm-send --batch <batch.jsonl)
	as bob dm-read --body "$id" >got
	printf 'a\0b\0' | cmp - got
}

@test "dm-send --batch rejects NUL bytes outside the body" {
	init_users alice bob
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"a\u0000b"}
	{"to":"bob\u0000x"}
	{"to":"bob","tags":["a\u0000"]}
	{"to":"bob","priority":"high\u0000x"}
	{"to":"bob","id":"k\u0000"}
	EOF
	run -65 --separate-stderr as alice dm-send --batch <batch.jsonl
	[ -z "$output" ]
	diff -u - <(printf '%s\n' "$stderr") <<-'EOF'
	dm-send: line 1: invalid subject: contains a NUL byte
	dm-send: line 2: "to" must be an array of strings
	dm-send: line 3: "tags" must be an array of strings
	dm-send: line 4: invalid value in field: "priority"
	dm-send: line 5: invalid value in field: "id"
	EOF
	run -1 as bob dm-inbox
}

@test "dm-send --batch --json prints one object a line" {
	init_users alice bob carol
	printf 'x\n' >a.txt
	cat >batch.jsonl <<-'EOF'
	{"to":"bob","subject":"one","body":"1","id":"j1"}
	{"to":"carol","subject":"two","body":"22","attach":["a.txt"],"tags":["t"]}
	EOF
	run -0 --separate-stderr as alice dm-send --batch --json <batch.jsonl
	[ "${#lines[@]}" = 2 ]
	jq -c '[.from, .to, .subject, .tags, .attachments, .size]' <<<"$output" >got
	diff -u - got <<-'EOF'
	["alice",["bob"],"one",[],[],1]
	["alice",["carol"],"two",["t"],[{"index":1,"name":"a.txt","type":"text/plain","size":2}],4]
	EOF
	id=$(jq -r .id <<<"${lines[0]}")
	[ "$(json_field bob "$id" subject)" = '"one"' ]

	# A line sent by an earlier run prints its id as an object.
	run -0 --separate-stderr as alice dm-send --batch --json <<<"$(head -1 batch.jsonl)"
	[ "$output" = "{\"id\":\"$id\"}" ]
}

@test "dm-send --batch -q prints nothing" {
	init_users alice bob
	printf '%s\n' '{"to":"bob","subject":"quiet","id":"q1"}' >batch.jsonl
	run -0 --separate-stderr as alice dm-send --batch -q <batch.jsonl
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr as alice dm-send --batch -q <batch.jsonl
	[ -z "$output" ]
	diff -u - <(inbox bob) <<-'EOF'
	1	N	alice	bob	quiet
	EOF
}
