#!/usr/bin/env bats
# Authenticity and integrity: tampered and forged envelopes, changed
# stored messages and attachments, and hostile text at a terminal.

load test_helper

# sealed_length FILE: the length of an envelope's sealed metadata, a
# big-endian 32-bit number at offset 16. The sealed part starts at 20.
sealed_length() {
	od -An -tu1 -j16 -N4 "$1" |
	    awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'
}

# quarantine_line PROG ID: fails unless $stderr_lines contains exactly one
# warning from PROG that envelope ID was quarantined, naming the drop-box
# file and the destination, and the file moved there.
quarantine_line() {
	local prog=$1 id=$2 line count=0
	local box=$DM_SPOOL/boxes/bob quarantine=$DM_SPOOL/users/bob/quarantine
	for line in "${stderr_lines[@]}"; do
		[[ $line == "$prog: warning: quarantined $box/$id.env: verification failed: "?*"; moved to $quarantine/$id.env" ]] &&
		    count=$((count + 1))
	done
	[ "$count" -eq 1 ] || {
		echo "expected one quarantine warning for $id, found $count:" >&2
		printf '%s\n' "${stderr_lines[@]}" >&2
		return 1
	}
	[ -f "$quarantine/$id.env" ]
	[ ! -e "$box/$id.env" ]
}

# fake_alice: relabels carol's own key pair as alice's. The secret key
# goes into a DM_HOME at $BATS_TEST_TMPDIR/fake, the public key into
# fake.pub.
fake_alice() {
	local fake=$BATS_TEST_TMPDIR/fake
	mkdir -m 700 "$fake"
	sed 's/^user carol$/user alice/' "$BATS_TEST_TMPDIR/home/carol/carol.key" \
	    >"$fake/alice.key"
	chmod 600 "$fake/alice.key"
	sed 's/^user carol$/user alice/' "$DM_SPOOL/keys/carol.pub" \
	    >"$BATS_TEST_TMPDIR/fake.pub"
}

@test "dm-inbox quarantines tampered drop-box envelopes" {
	init_users alice bob
	send_msg alice -s 'good before' -m 'genuine body' bob >/dev/null
	box=$DM_SPOOL/boxes/bob

	# One envelope for each place a byte is flipped: the magic, the
	# version, the key id, the sealed length, the sealed metadata at its
	# start, middle and end, and the body at its start and end.
	ids=()
	for where in 0 7 10 19 sealed+0 sealed+mid sealed+end body+0 body+end; do
		id=$(send_msg alice -s "tampered $where" -m "secret body $where" bob)
		env=$box/$id.env
		len=$(sealed_length "$env")
		size=$(stat -c %s "$env")
		case $where in
		sealed+0) offset=20 ;;
		sealed+mid) offset=$((20 + len / 2)) ;;
		sealed+end) offset=$((20 + len - 1)) ;;
		body+0) offset=$((20 + len)) ;;
		body+end) offset=$((size - 1)) ;;
		*) offset=$where ;;
		esac
		flip_byte "$env" "$offset"
		ids+=("$id")
	done
	good2=$(send_msg alice -s 'good after' -m 'genuine too' bob)

	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == 1$'\t'N$'\t'*$'\t'alice$'\t''good before' ]]
	[[ ${lines[1]} == 2$'\t'N$'\t'*$'\t'alice$'\t''good after' ]]
	[ "${#stderr_lines[@]}" -eq "${#ids[@]}" ]
	for id in "${ids[@]}"; do
		quarantine_line dm-inbox "$id"
	done
	[[ $output$stderr != *tampered* ]]
	[[ $output$stderr != *secret\ body* ]]

	# The rest of the mailbox keeps working, with no further warnings.
	run -0 --separate-stderr as bob dm-read -b "$good2"
	[ "$output" = 'genuine too' ]
	[ -z "$stderr" ]
	run -0 --separate-stderr as bob dm-inbox -c
	[ "$output" = 2 ]
	[ -z "$stderr" ]
	[ "$(ls "$DM_SPOOL/users/bob/quarantine" | wc -l)" -eq "${#ids[@]}" ]
}

@test "every reader quarantines a tampered envelope" {
	init_users alice bob
	box=$DM_SPOOL/boxes/bob

	for prog in dm-inbox dm-read dm-attach; do
		id=$(send_msg alice -s "tampered for $prog" -m 'secret body' bob)
		flip_byte "$box/$id.env" 30
		case $prog in
		dm-inbox) run -1 --separate-stderr as bob dm-inbox ;;
		dm-read) run -1 --separate-stderr as bob dm-read ;;
		dm-attach) run -66 --separate-stderr as bob dm-attach "$id" ;;
		esac
		[ -z "$output" ]
		quarantine_line "$prog" "$id"
	done
}

@test "envelope renamed to another id is quarantined" {
	init_users alice bob carol
	alice_id=$(send_msg alice -s 'from alice' -m 'genuine' bob)
	as bob dm-inbox >/dev/null
	carol_id=$(send_msg carol -s 'pay carol' -m 'forged' bob)
	mv "$DM_SPOOL/boxes/bob/$carol_id.env" "$DM_SPOOL/boxes/bob/$alice_id.env"

	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == 1$'\t'N$'\t'*$'\t'alice$'\t''from alice' ]]
	quarantine_line dm-inbox "$alice_id"
	[[ ${stderr_lines[0]} == *"file name does not match message id $carol_id;"* ]]
	run -0 as bob dm-read -b "$alice_id"
	[ "$output" = genuine ]
}

@test "envelope moved from carol to bob is quarantined" {
	init_users alice bob carol
	id=$(send_msg alice -s 'for carol only' -m 'private to carol' carol)
	mv "$DM_SPOOL/boxes/carol/$id.env" "$DM_SPOOL/boxes/bob/$id.env"

	run -1 --separate-stderr as bob dm-inbox
	[ -z "$output" ]
	quarantine_line dm-inbox "$id"
	[[ ${stderr_lines[0]} == *"not encrypted to any key of bob;"* ]]
	[[ $stderr != *private* ]]
}

@test "message signed by an unpublished key is quarantined" {
	init_users alice bob carol
	send_msg alice -s 'genuine' -m 'from alice' bob >/dev/null
	# carol makes a key under alice's name in a spool of her own, sends
	# to bob's real key there and copies the envelope into bob's box.
	other=$BATS_TEST_TMPDIR/other
	DM_SPOOL=$other DM_USER=alice DM_HOME=$BATS_TEST_TMPDIR/fake \
	    dm-init >/dev/null 2>&1
	cp "$DM_SPOOL/keys/bob.pub" "$other/keys/"
	mkdir "$other/boxes/bob"
	id=$(DM_SPOOL=$other DM_USER=alice DM_HOME=$BATS_TEST_TMPDIR/fake \
	    dm-send -s 'forged' -m 'pay carol' bob)
	cp "$other/boxes/bob/$id.env" "$DM_SPOOL/boxes/bob/"

	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *$'\t'alice$'\t'genuine ]]
	quarantine_line dm-inbox "$id"
	[[ ${stderr_lines[0]} == *"signed by a key that is not alice's;"* ]]
	run -1 as bob dm-inbox -g 'pay carol'
}

@test "replaced sender key leaves the message held" {
	init_users alice bob carol
	send_msg alice -s 'genuine' -m 'from alice' bob >/dev/null
	as bob dm-inbox >/dev/null
	fake_alice
	cp "$DM_SPOOL/keys/alice.pub" real-alice.pub
	cp fake.pub "$DM_SPOOL/keys/alice.pub"
	id=$(DM_USER=alice DM_HOME=$BATS_TEST_TMPDIR/fake dm-send \
	    -s 'forged' -m 'pay carol' bob)
	box=$DM_SPOOL/boxes/bob

	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *$'\t'alice$'\t'genuine ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "dm-inbox: warning: left in drop box: $box/$id.env: key of alice changed: $DM_SPOOL/keys/alice.pub has "* ]]
	[[ $stderr == *"; if alice really made a new key, accept it with: dm-init --trust alice" ]]
	[ -f "$box/$id.env" ]
	[[ $output != *forged* ]]

	# Still held on the next run, and still not shown.
	run -0 --separate-stderr as bob dm-read -N 1
	[[ $stderr == *"key of alice changed"* ]]
	[[ $output != *pay\ carol* ]]

	# With alice's real key back, the forgery fails verification.
	cp real-alice.pub "$DM_SPOOL/keys/alice.pub"
	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 1 ]
	quarantine_line dm-inbox "$id"
	[[ ${stderr_lines[0]} == *"signed by a key that is not alice's;"* ]]
}

@test "replayed envelope is not listed twice" {
	init_users alice bob
	id=$(send_msg alice -s 'once' -m 'only once' bob)
	cp "$DM_SPOOL/boxes/bob/$id.env" replay.env
	as bob dm-inbox >/dev/null
	cp replay.env "$DM_SPOOL/boxes/bob/$id.env"

	run -0 --separate-stderr as bob dm-inbox
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$DM_SPOOL/boxes/bob/$id.env" ]
}

@test "dm-read exits 65 for a tampered stored envelope" {
	init_users alice bob
	id=$(send_msg alice -s 'stored' -m 'secret stored body' bob)
	as bob dm-inbox >/dev/null
	env=$DM_SPOOL/users/bob/store/$id.env
	cp "$env" saved.env
	len=$(sealed_length "$env")
	size=$(stat -c %s "$env")

	for offset in 0 7 10 19 20 $((20 + len / 2)) $((20 + len - 1)) \
	    $((20 + len)) $((size - 1)); do
		cp saved.env "$env"
		flip_byte "$env" "$offset"
		for args in "" -b --json; do
			# shellcheck disable=SC2086
			run -65 --separate-stderr as bob dm-read -N $args "$id"
			[ -z "$output" ] || {
				echo "offset $offset, dm-read $args printed: $output" >&2
				return 1
			}
			[[ $stderr == "dm-read: verification failed: "* ]]
			[[ $stderr != *secret* ]]
		done
	done

	cp saved.env "$env"
	run -0 as bob dm-read -b "$id"
	[ "$output" = 'secret stored body' ]
}

# send_big: alice sends bob a text attachment of four stream chunks and a
# small one, and bob takes them in. Prints the id.
send_big() {
	seq 1 40000 >big.txt
	printf 'small\n' >small.txt
	id=$(send_msg alice -s 'files' -m 'two files' -a big.txt -a small.txt bob)
	as bob dm-inbox >/dev/null
	echo "$id"
}

# assert_nothing_written ID N: fails unless every way of writing
# attachment N of message ID exits 65 and writes nothing at all.
assert_nothing_written() {
	local id=$1 n=$2
	rm -rf out saved stdout.bin
	mkdir out

	run -65 --separate-stderr as bob dm-attach "$id" "$n" -o saved
	[ -z "$output" ]
	[[ $stderr == "dm-attach: verification failed: "* ]]
	[ ! -e saved ]

	run -65 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$output" ]
	[ -z "$(ls -A out)" ]

	run -65 --separate-stderr bash -c \
	    'DM_USER=bob DM_HOME=$BATS_TEST_TMPDIR/home/bob dm-attach "$1" "$2" >stdout.bin' \
	    - "$id" "$n"
	[ ! -s stdout.bin ]
}

@test "dm-attach exits 65 for a flipped attachment byte" {
	init_users alice bob
	id=$(send_big)
	part=$DM_SPOOL/users/bob/store/$id.1
	cp "$part" saved.part
	size=$(stat -c %s "$part")

	# The stream header, the first chunk, and the last chunk, which a
	# program that wrote while verifying would reach only at the end.
	for offset in 0 30 70000 $((size - 20)) $((size - 1)); do
		cp saved.part "$part"
		flip_byte "$part" "$offset"
		assert_nothing_written "$id" 1
	done

	cp saved.part "$part"
	as bob dm-attach "$id" 1 -o restored
	cmp big.txt restored
}

@test "dm-attach exits 65 for a truncated attachment" {
	init_users alice bob
	id=$(send_big)
	part=$DM_SPOOL/users/bob/store/$id.1
	cp "$part" saved.part
	size=$(stat -c %s "$part")
	# Full chunks are 65536 bytes and a 17-byte tag after a 24-byte header.
	chunk_end=$((24 + 3 * (65536 + 17)))

	for length in 0 10 24 1000 "$chunk_end" $((size - 1)); do
		cp saved.part "$part"
		truncate -s "$length" "$part"
		assert_nothing_written "$id" 1
	done
}

@test "dm-attach exits 65 for a swapped attachment" {
	init_users alice bob
	id=$(send_big)
	printf 'small\n' >other.txt
	other=$(send_msg alice -s 'other' -m 'other file' -a other.txt bob)
	as bob dm-inbox >/dev/null
	store=$DM_SPOOL/users/bob/store

	# Another message's attachment with the same content and size.
	rm "$store/$id.2"
	cp "$store/$other.1" "$store/$id.2"
	assert_nothing_written "$id" 2

	# The two attachments of one message in each other's place.
	cp "$store/$id.1" first.part
	rm "$store/$id.1"
	cp "$store/$id.2" "$store/$id.1"
	rm "$store/$id.2"
	cp first.part "$store/$id.2"
	assert_nothing_written "$id" 1
	assert_nothing_written "$id" 2
}

@test "1000 bytes of escapes in a subject stay escaped" {
	init_users alice bob
	printf 'name\n' >$'\e]0;owned\a.txt'
	python3 - >batch.jsonl <<'PY'
import json
pieces = ["\x1b[2J", "\x1b]0;owned\x07", "\u009b31m", "\x1b]52;c;b3duZWQ=\x07",
          "\x1b[6n", "\x07", "\u202e"]
subject, i = "", 0
while len((subject + pieces[i % len(pieces)]).encode()) <= 1000:
    subject += pieces[i % len(pieces)]
    i += 1
subject += "\x07" * (1000 - len(subject.encode()))
print(json.dumps({"to": "bob", "subject": subject, "body": "x",
                  "attach": ["\x1b]0;owned\x07.txt"]}))
PY
	as alice dm-send --batch <batch.jsonl >/dev/null

	# The subject is stored as sent: 1000 bytes of escape sequences.
	run -0 as bob dm-inbox --json
	subject_bytes=$(printf '%s' "$output" | python3 -c \
	    'import json, sys; print(len(json.load(sys.stdin)["subject"].encode()))')
	[ "$subject_bytes" -eq 1000 ]

	export COLUMNS=2000 PAGER=cat
	for cmd in "dm-inbox" "dm-inbox --threads" "dm-read -N 1" "dm-attach 1"; do
		# shellcheck disable=SC2086
		run -0 as bob in_terminal $cmd
		# dm-read sets its own header labels in bold; nothing else may
		# carry an escape.
		printf '%s' "$output" |
		    sed 's/\x1b\[1m\([A-Za-z]*:\)\x1b\[0m/\1/g' >terminal.out
		assert_no_raw_controls terminal.out
		case $cmd in
		dm-attach*) [[ $output == *'\e]0;owned\x07.txt'* ]] ;;
		*) [[ $output == *'\e[2J\e]0;owned\x07'* ]] ;;
		esac
	done

	# Not on a terminal, the listing escapes the subject too.
	run -0 as bob dm-inbox
	printf '%s' "$output" >pipe.out
	assert_no_raw_controls pipe.out
	[[ $output == *'\e[2J\e]0;owned\x07\u009b31m'* ]]
}
