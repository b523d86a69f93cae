#!/usr/bin/env bats
# dm-init: keys, publication, mailbox, rotation and trust.

load test_helper

@test "dm-init creates keys and prints the fingerprint" {
	run -0 --separate-stderr as alice dm-init
	[[ $output =~ ^[0-9a-f]{4}(\ [0-9a-f]{4}){7}$ ]]
	[[ $stderr == *"created a key for alice"* ]]
	[ -f "$BATS_TEST_TMPDIR/home/alice/alice.key" ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/home/alice/alice.key")" = 600 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/home/alice")" = 700 ]
	[ -f "$DM_SPOOL/keys/alice.pub" ]
	[ -d "$DM_SPOOL/boxes/alice" ]
	[ -d "$DM_SPOOL/users/alice" ]
}

@test "dm-init again prints the same fingerprint and changes nothing" {
	run -0 --separate-stderr as alice dm-init
	first=$output
	before=$(sha256sum "$BATS_TEST_TMPDIR/home/alice/alice.key" "$DM_SPOOL/keys/alice.pub")
	run -0 --separate-stderr as alice dm-init
	[ "$output" = "$first" ]
	[ -z "$stderr" ]
	after=$(sha256sum "$BATS_TEST_TMPDIR/home/alice/alice.key" "$DM_SPOOL/keys/alice.pub")
	[ "$before" = "$after" ]
}

# fpr_hex USER: the fingerprint hex digits that dm-init prints for USER,
# without spaces.
fpr_hex() {
	as "$1" dm-init 2>/dev/null | tr -d ' '
}

# pinned USER OWNER: the first 32 hex digits of the fingerprint OWNER
# pinned for USER in known_keys.
pinned() {
	awk -v u="$1" '$1 == u { print substr($2, 1, 32) }' \
		"$BATS_TEST_TMPDIR/home/$2/known_keys"
}

@test "dm-init --force adds a key generation" {
	run -0 --separate-stderr as alice dm-init
	first=$output
	run -0 --separate-stderr as alice dm-init --force
	[[ $output =~ ^[0-9a-f]{4}(\ [0-9a-f]{4}){7}$ ]]
	[ "$output" != "$first" ]
	second=$output
	[[ $stderr == *"rotated the key of alice: generation 2"* ]]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/home/alice/alice.key")" = 600 ]
	run -0 --separate-stderr as alice dm-init
	[ "$output" = "$second" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr as alice dm-init --force
	[[ $stderr == *"rotated the key of alice: generation 3"* ]]
}

@test "dm-init --force keeps messages sent before it readable" {
	init_users alice bob
	send_msg alice -s 'taken in' -m 'first body' bob >/dev/null
	as bob dm-inbox >/dev/null
	send_msg alice -s 'still in the box' -m 'second body' bob >/dev/null
	as bob dm-init --force >/dev/null 2>&1
	run -0 --separate-stderr as bob dm-inbox --format '%n %s'
	printf '1 taken in\n2 still in the box\n' >expected
	diff expected <(printf '%s\n' "$output")
	[ -z "$stderr" ]
	run -0 --separate-stderr as bob dm-read -b 1
	[ "$output" = 'first body' ]
	run -0 --separate-stderr as bob dm-read -b 2
	[ "$output" = 'second body' ]
}

@test "dm-init --force makes new messages use the new key" {
	init_users alice bob
	send_msg alice -s before -m 'old key' bob >/dev/null
	cp -p "$BATS_TEST_TMPDIR/home/bob/bob.key" old.key
	as bob dm-init --force >/dev/null 2>&1
	send_msg alice -s after -m 'new key' bob >/dev/null
	as bob dm-inbox >/dev/null
	run -0 --separate-stderr as bob dm-read -b 2
	[ "$output" = 'new key' ]

	# With only the first generation, the new message cannot be read.
	cp -p old.key "$BATS_TEST_TMPDIR/home/bob/bob.key"
	run -0 --separate-stderr as bob dm-read -b 1
	[ "$output" = 'old key' ]
	run -65 --separate-stderr as bob dm-read -b 2
	[ -z "$output" ]
	[[ $stderr == *"verification failed"* ]]
}

@test "dm-send accepts rotations signed by the old key silently" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	[ "$(pinned bob alice)" = "$(fpr_hex bob)" ]

	as bob dm-init --force >/dev/null 2>&1
	as bob dm-init --force >/dev/null 2>&1
	run -0 --separate-stderr as alice dm-send -s two -m x bob
	[ -z "$stderr" ]
	[ "$(pinned bob alice)" = "$(fpr_hex bob)" ]
	run -0 --separate-stderr as bob dm-inbox --format %s
	printf 'one\ntwo\n' >expected
	diff expected <(printf '%s\n' "$output")
}

@test "dm-inbox accepts messages signed by a rotated key silently" {
	init_users alice bob
	send_msg bob -s 'before rotation' -m x alice >/dev/null
	as alice dm-inbox >/dev/null
	as bob dm-init --force >/dev/null 2>&1
	send_msg bob -s 'after rotation' -m x alice >/dev/null
	run -0 --separate-stderr as alice dm-inbox --format '%n %f %s'
	[ -z "$stderr" ]
	printf '1 bob before rotation\n2 bob after rotation\n' >expected
	diff expected <(printf '%s\n' "$output")
	for n in 1 2; do
		run -0 --separate-stderr as alice dm-read "$n"
		[[ $output == *"Verified: signature of bob checked"* ]]
	done
}

@test "dm-send rejects a changed key until dm-init --trust" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	old=$(pinned bob alice)

	# bob loses his keys and makes new ones: not signed by the old key.
	rm -rf "$BATS_TEST_TMPDIR/home/bob"
	init_users bob
	new=$(fpr_hex bob)
	[ "$new" != "$old" ]

	run -65 --separate-stderr as alice dm-send -s two -m x bob
	[ -z "$output" ]
	[[ $stderr == *"key of bob changed"* ]]
	[[ $stderr == *"accept it with: dm-init --trust bob"* ]]
	[ "$(pinned bob alice)" = "$old" ]

	run -0 --separate-stderr as alice dm-init --trust bob
	[ "$(printf '%s' "$output" | tr -d ' ')" = "bob$new" ]
	[ "$(pinned bob alice)" = "$new" ]
	run -0 --separate-stderr as alice dm-send -s three -m 'after trust' bob
	[ -z "$stderr" ]
	run -0 --separate-stderr as bob dm-read -b
	[ "$output" = 'after trust' ]
}

@test "dm-inbox holds messages signed by a changed key until dm-init --trust" {
	init_users alice bob
	send_msg bob -s 'old key' -m x alice >/dev/null
	as alice dm-inbox >/dev/null
	rm -rf "$BATS_TEST_TMPDIR/home/bob"
	init_users bob
	id=$(send_msg bob -s 'new key' -m x alice)

	run -0 --separate-stderr as alice dm-inbox --format '%n %s'
	[ "$output" = '1 old key' ]
	[[ $stderr == *"left in drop box: $DM_SPOOL/boxes/alice/$id.env: key of bob changed"* ]]
	[[ $stderr == *"accept it with: dm-init --trust bob"* ]]
	[ -f "$DM_SPOOL/boxes/alice/$id.env" ]

	as alice dm-init --trust bob >/dev/null
	run -0 --separate-stderr as alice dm-inbox --format '%i %s'
	[ -z "$stderr" ]
	[ "${lines[1]}" = "$id new key" ]
}

@test "dm-send rejects a new generation with a bad signature" {
	init_users alice bob
	send_msg alice -s one -m x bob >/dev/null
	as bob dm-init --force >/dev/null 2>&1
	pub=$DM_SPOOL/keys/bob.pub
	zeros=$(head -c 64 /dev/zero | base64 -w0)
	awk -v sig="$zeros" 'NR == 4 { $5 = sig } { print }' "$pub" >forged
	cp forged "$pub"

	run -65 --separate-stderr as alice dm-send -s two -m x bob
	[ -z "$output" ]
	[[ $stderr == *"not signed by the one before it"* ]]
}

@test "dm-send rejects a key rolled back to an older generation" {
	init_users alice bob
	cp "$DM_SPOOL/keys/bob.pub" first.pub
	as bob dm-init --force >/dev/null 2>&1
	send_msg alice -s one -m x bob >/dev/null
	cp first.pub "$DM_SPOOL/keys/bob.pub"

	run -65 --separate-stderr as alice dm-send -s two -m x bob
	[ -z "$output" ]
	[[ $stderr == *"key of bob changed"* ]]
	[[ $stderr == *"accept it with: dm-init --trust bob"* ]]
}

@test "dm-send and dm-inbox refuse a secret key open to others with 77" {
	init_users alice bob
	key=$BATS_TEST_TMPDIR/home/alice/alice.key
	for mode in 640 604; do
		chmod "$mode" "$key"
		run -77 --separate-stderr as alice dm-send -s x -m y bob
		[ -z "$output" ]
		[[ $stderr == *"secret key file is accessible by others: $key: run chmod 600 $key"* ]]
		run -77 --separate-stderr as alice dm-inbox
		[ -z "$output" ]
		[[ $stderr == *"secret key file is accessible by others: $key"* ]]
		run -77 --separate-stderr as alice dm-init
		[[ $stderr == *"secret key file is accessible by others: $key"* ]]
	done
	[ "$(stat -c %a "$key")" = 604 ]
	run -1 --separate-stderr as bob dm-inbox
}

@test "dm-send and dm-inbox refuse a DM_HOME open to the group with 77" {
	init_users alice bob
	home=$BATS_TEST_TMPDIR/home/alice
	chmod 750 "$home"
	run -77 --separate-stderr as alice dm-send -s x -m y bob
	[ -z "$output" ]
	[[ $stderr == *"key directory is accessible by others: $home: run chmod 700 $home"* ]]
	run -77 --separate-stderr as alice dm-inbox
	[ -z "$output" ]
	[[ $stderr == *"key directory is accessible by others: $home"* ]]
	run -1 --separate-stderr as bob dm-inbox
}

@test "dm-init --system creates the spool with its modes" {
	[ "$(id -u)" -eq 0 ] || skip "dm-init --system needs root"
	export DM_SPOOL=$BATS_TEST_TMPDIR/system
	umask 077
	run -0 --separate-stderr dm-init --system
	[[ $stderr == *"system spool ready: $DM_SPOOL"* ]]
	(cd "$DM_SPOOL" && stat -c '%a %U %G %n' . keys boxes users groups \
		format) >got
	printf '%s\n' '755 root root .' '1733 root root keys' \
		'1733 root root boxes' '1733 root root users' \
		'1777 root root groups' '644 root root format' >expected
	diff expected got
	printf 'dm-spool 1 system\n' >expected
	diff expected "$DM_SPOOL/format"
	run -0 --separate-stderr dm-init --system
}

@test "dm-init --system refuses a personal spool with 78" {
	[ "$(id -u)" -eq 0 ] || skip "dm-init --system needs root"
	init_users alice
	run -78 --separate-stderr dm-init --system
	[[ $stderr == *"spool exists and is not a system spool: $DM_SPOOL"* ]]
	[ "$(cat "$DM_SPOOL/format")" = 'dm-spool 1 personal' ]
}

@test "dm-init --system refuses a user other than root with 77" {
	not_root=()
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv not installed"
		not_root=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	export DM_SPOOL=$BATS_TEST_TMPDIR/system
	run -77 --separate-stderr "${not_root[@]}" dm-init --system
	[[ $stderr == *"cannot create system spool $DM_SPOOL: only root may"* ]]
	[ ! -e "$DM_SPOOL" ]
}

@test "dm-init on a system spool refuses DM_USER other than the login" {
	[ "$(id -u)" -eq 0 ] || skip "dm-init --system needs root"
	export DM_SPOOL=$BATS_TEST_TMPDIR/system
	dm-init --system 2>/dev/null
	run -77 --separate-stderr as alice dm-init
	[[ $stderr == *"DM_USER not allowed on a system spool: alice"* ]]
	[ ! -e "$DM_SPOOL/keys/alice.pub" ]
}

@test "dm-init on a system spool makes a 1733 drop box" {
	[ "$(id -u)" -eq 0 ] || skip "dm-init --system needs root"
	export DM_SPOOL=$BATS_TEST_TMPDIR/system
	dm-init --system 2>/dev/null
	umask 077
	run -0 --separate-stderr env DM_HOME="$BATS_TEST_TMPDIR/home/root" dm-init
	[[ $stderr == *"created a key for root"* ]]
	(cd "$DM_SPOOL" && stat -c '%a %U %n' boxes/root users/root \
		keys/root.pub) >got
	printf '%s\n' '1733 root boxes/root' '700 root users/root' \
		'644 root keys/root.pub' >expected
	diff expected got
}

@test "dm-init rejects bad options with 64" {
	while IFS='|' read -r args message; do
		read -ra argv <<<"$args"
		run -64 --separate-stderr as alice dm-init "${argv[@]}"
		echo "dm-init $args: $stderr"
		[[ $stderr == *"$message"* ]]
		[ -z "$output" ]
	done <<'CASES'
--bogus|unrecognized option
extra|usage: dm-init
--force --system|usage: dm-init
--force --trust bob|usage: dm-init
--trust|requires an argument
--trust Bob|invalid user name: Bob
--trust ../x|invalid user name: ../x
CASES
	[ ! -e "$DM_SPOOL" ]
}

@test "dm-init --trust of a user without a key fails with 67" {
	init_users alice
	run -67 --separate-stderr as alice dm-init --trust nosuch
	[ -z "$output" ]
	[[ $stderr == *"unknown user: nosuch"* ]]
}

@test "dm-init rejects an invalid DM_USER with 78" {
	for name in Alice bad/name -x 'a b' abcdefghijklmnopqrstuvwxyz0123456; do
		run -78 --separate-stderr as "$name" dm-init
		echo "DM_USER=$name: $stderr"
		[[ $stderr == *"invalid user name: $name"* ]]
		[ -z "$output" ]
	done
	[ ! -e "$DM_SPOOL/keys" ] || [ -z "$(ls -A "$DM_SPOOL/keys")" ]
}

@test "dm-init works with HOME unset" {
	run -0 --separate-stderr env -u HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
		DM_USER=alice DM_HOME="$BATS_TEST_TMPDIR/home/alice" dm-init
	[[ $output =~ ^[0-9a-f]{4}(\ [0-9a-f]{4}){7}$ ]]
	[ -f "$BATS_TEST_TMPDIR/home/alice/alice.key" ]
	[ -f "$DM_SPOOL/keys/alice.pub" ]
}

@test "dm-init writes nothing under HOME" {
	mkdir ro
	chmod 555 ro
	run -0 --separate-stderr env HOME="$BATS_TEST_TMPDIR/ro" \
		DM_USER=alice DM_HOME="$BATS_TEST_TMPDIR/home/alice" dm-init
	[[ $output =~ ^[0-9a-f]{4}(\ [0-9a-f]{4}){7}$ ]]
	[ -z "$(ls -A ro)" ]
}

@test "dm-init --fingerprint shows a key and its pin state without changing it" {
	init_users alice bob
	bob_fpr=$(as bob dm-init 2>/dev/null)
	run -0 --separate-stderr as alice dm-init --fingerprint bob
	[ "$output" = "bob $bob_fpr (not pinned yet)" ]
	[ ! -e "$BATS_TEST_TMPDIR/home/alice/known_keys" ] ||
	    ! grep -q '^bob ' "$BATS_TEST_TMPDIR/home/alice/known_keys"

	send_msg alice -m "pins bob" bob >/dev/null
	run -0 as alice dm-init --fingerprint bob
	[ "$output" = "bob $bob_fpr (pinned)" ]

	new_fpr=$(as bob dm-init --force 2>/dev/null)
	run -0 as alice dm-init --fingerprint bob
	[ "$output" = "bob $new_fpr (signed rotation of pinned $bob_fpr)" ]
	run -0 grep '^bob ' "$BATS_TEST_TMPDIR/home/alice/known_keys"
	pinned_before=$output

	run -0 as alice dm-init --fingerprint bob
	run -0 grep '^bob ' "$BATS_TEST_TMPDIR/home/alice/known_keys"
	[ "$output" = "$pinned_before" ]
}

@test "dm-init --fingerprint of an unknown user exits 67" {
	init_users alice
	run -67 --separate-stderr as alice dm-init --fingerprint nosuch
	[[ $stderr == "dm-init: unknown user: nosuch: "* ]]
	run -64 --separate-stderr as alice dm-init --fingerprint 'Bad/Name'
	[ "$stderr" = "dm-init: invalid user name: Bad/Name" ]
}
