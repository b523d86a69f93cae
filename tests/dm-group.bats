#!/usr/bin/env bats
# dm-group: spool groups, their owners, sending to @NAME and the Unix
# group fallback.

load test_helper

UNIX_USERS=()
UNIX_GROUP=

teardown() {
	local u
	for u in "${UNIX_USERS[@]}"; do
		userdel "$u" >/dev/null 2>&1 || true
	done
	if [ -n "$UNIX_GROUP" ]; then
		groupdel "$UNIX_GROUP" >/dev/null 2>&1 || true
	fi
}

# admin CMD...: runs a user or group administration command, trying
# again while another process holds the lock on the account files.
admin() {
	local i
	for ((i = 0; i < 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "failed: $*" >&2
	return 1
}

# make_unix_group: creates a throwaway Unix group with three throwaway
# users: MEMBER1 and NOKEY added to it with gpasswd, MEMBER2 having it as
# primary group. Skips the test unless running as root.
make_unix_group() {
	[ "$(id -u)" -eq 0 ] ||
		skip "creating Unix users and groups needs root"
	local suffix
	suffix=$(tr -dc 'a-z' </dev/urandom | head -c 8)
	UNIX_GROUP=dmg$suffix
	MEMBER1=dmu${suffix}a
	MEMBER2=dmu${suffix}b
	NOKEY=dmu${suffix}c
	admin groupadd "$UNIX_GROUP"
	UNIX_USERS=("$MEMBER1" "$MEMBER2" "$NOKEY")
	admin useradd -M -N -s /usr/sbin/nologin "$MEMBER1"
	admin useradd -M -g "$UNIX_GROUP" -s /usr/sbin/nologin "$MEMBER2"
	admin useradd -M -N -s /usr/sbin/nologin "$NOKEY"
	admin gpasswd -a "$MEMBER1" "$UNIX_GROUP"
	admin gpasswd -a "$NOKEY" "$UNIX_GROUP"
}

@test "dm-group lists nothing and exits 1 without groups" {
	init_users alice
	run -1 --separate-stderr as alice dm-group
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -1 --separate-stderr as alice dm-group list
	[ -z "$output" ]
}

@test "dm-group lists the groups sorted by name" {
	init_users alice bob carol
	as alice dm-group create team bob carol
	as bob dm-group create admins alice
	run -0 --separate-stderr as carol dm-group
	printf 'admins\nteam\n' >expected
	diff expected <(printf '%s\n' "$output")
	run -0 --separate-stderr as carol dm-group list
	diff expected <(printf '%s\n' "$output")
}

@test "dm-group create makes a group that show prints" {
	init_users alice bob carol
	run -0 --separate-stderr as alice dm-group create team bob carol
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr as alice dm-group show team
	printf 'bob\ncarol\n' >expected
	diff expected <(printf '%s\n' "$output")
	run -0 --separate-stderr as bob dm-group show @team
	diff expected <(printf '%s\n' "$output")
}

@test "dm-group add adds each member once" {
	init_users alice bob carol dave
	as alice dm-group create team bob
	run -0 --separate-stderr as alice dm-group add @team carol bob dave
	run -0 --separate-stderr as alice dm-group show team
	printf 'bob\ncarol\ndave\n' >expected
	diff expected <(printf '%s\n' "$output")
}

@test "dm-group remove removes members" {
	init_users alice bob carol dave
	as alice dm-group create team bob carol dave
	run -0 --separate-stderr as alice dm-group remove team bob dave
	run -0 --separate-stderr as alice dm-group show team
	[ "$output" = carol ]
}

@test "dm-group delete removes the group" {
	init_users alice bob
	as alice dm-group create team bob
	run -0 --separate-stderr as alice dm-group delete team
	[ -z "$stderr" ]
	run -1 --separate-stderr as alice dm-group
	[ -z "$output" ]
	run -67 --separate-stderr as alice dm-group show team
	[[ $stderr == *"unknown group: @team"* ]]
}

@test "dm-group create of an existing group fails with 73" {
	init_users alice bob carol
	as alice dm-group create team bob
	run -73 --separate-stderr as alice dm-group create team carol
	[[ $stderr == *"dm-group: group exists: @team"* ]]
	run -73 --separate-stderr as carol dm-group create team carol
	run -0 --separate-stderr as alice dm-group show team
	[ "$output" = bob ]
}

@test "dm-group add by another user fails with 77" {
	init_users alice bob carol
	as alice dm-group create team bob
	run -77 --separate-stderr as bob dm-group add team carol
	[[ $stderr == *"permission denied: @team: only its owner alice may change it"* ]]
	run -0 --separate-stderr as alice dm-group show team
	[ "$output" = bob ]
}

@test "dm-group remove by another user fails with 77" {
	init_users alice bob
	as alice dm-group create team bob
	run -77 --separate-stderr as bob dm-group remove team bob
	[[ $stderr == *"permission denied: @team: only its owner alice may change it"* ]]
	run -0 --separate-stderr as alice dm-group show team
	[ "$output" = bob ]
}

@test "dm-group delete by another user fails with 77" {
	init_users alice bob
	as alice dm-group create team bob
	run -77 --separate-stderr as bob dm-group delete team
	[[ $stderr == *"permission denied: @team: only its owner alice may change it"* ]]
	run -0 --separate-stderr as alice dm-group
	[ "$output" = team ]
}

@test "dm-group rejects invalid group and user names with 65" {
	init_users alice bob
	as alice dm-group create team bob
	while IFS='|' read -r args message; do
		read -ra argv <<<"$args"
		run -65 --separate-stderr as alice dm-group "${argv[@]}"
		echo "dm-group $args: $stderr"
		[[ $stderr == *"$message"* ]]
		[ -z "$output" ]
	done <<'EOF'
create Team bob|invalid group name: Team
create a/b bob|invalid group name: a/b
create -x bob|invalid group name: -x
create abcdefghijklmnopqrstuvwxyz0123456 bob|invalid group name: abcdefghijklmnopqrstuvwxyz0123456
show ../keys|invalid group name: ../keys
delete a/b|invalid group name: a/b
create crew bad/user|invalid user name: bad/user
add team Bob|invalid user name: Bob
remove team x:y|invalid user name: x:y
EOF
	run -0 --separate-stderr as alice dm-group
	[ "$output" = team ]
}

@test "dm-group on an unknown group fails with 67" {
	init_users alice bob
	while IFS='|' read -r args message; do
		read -ra argv <<<"$args"
		run -67 --separate-stderr as alice dm-group "${argv[@]}"
		echo "dm-group $args: $stderr"
		[[ $stderr == *"$message"* ]]
		[ -z "$output" ]
	done <<'EOF'
show nosuch|unknown group: @nosuch
add nosuch bob|unknown group: @nosuch: create it with dm-group create
remove nosuch bob|unknown group: @nosuch: create it with dm-group create
delete nosuch|unknown group: @nosuch: create it with dm-group create
EOF
}

@test "dm-group rejects bad usage with 64" {
	init_users alice
	while IFS='|' read -r args message; do
		read -ra argv <<<"$args"
		run -64 --separate-stderr as alice dm-group "${argv[@]}"
		echo "dm-group $args: $stderr"
		[[ $stderr == *"$message"* ]]
		# A bad value is one line; bad syntax adds the synopsis.
		case $message in
		"unrecognized option"|"requires an argument"|"usage: "*)
			[[ $stderr == *"usage: dm-group"* ]] ;;
		*)
			[ "${#stderr_lines[@]}" -eq 1 ] ;;
		esac
		[ -z "$output" ]
	done <<'EOF'
--bogus|unrecognized option
frob team|unknown command: frob
list team|usage: dm-group
show|usage: dm-group
show a b|usage: dm-group
create team|usage: dm-group
add team|usage: dm-group
remove team|usage: dm-group
delete|usage: dm-group
EOF
}

@test "dm-send to @group reaches members but not the sender" {
	init_users alice bob carol dave
	as alice dm-group create team alice bob carol
	id=$(send_msg alice -s 'team news' -m 'hello team' @team)
	for u in bob carol; do
		run -0 --separate-stderr as "$u" dm-inbox --format '%i %f %T %s'
		[ "$output" = "$id alice @team team news" ]
	done
	run -1 --separate-stderr as alice dm-inbox
	[ -z "$output" ]
	run -1 --separate-stderr as dave dm-inbox
	[ -z "$output" ]
	run -0 --separate-stderr as alice dm-inbox --sent --format '%i %s'
	[ "$output" = "$id team news" ]
}

@test "dm-send to @group after remove skips the removed member" {
	init_users alice bob carol
	as alice dm-group create team bob carol
	as alice dm-group remove team carol
	send_msg alice -s 'after remove' -m x @team >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format %s
	[ "$output" = 'after remove' ]
	run -1 --separate-stderr as carol dm-inbox
}

@test "dm-send to @NAME falls back to the Unix group" {
	make_unix_group
	init_users alice "$MEMBER1" "$MEMBER2"
	run -0 --separate-stderr as alice dm-group show "@$UNIX_GROUP"
	printf '%s\n' "$MEMBER1" "$NOKEY" "$MEMBER2" | sort >expected
	diff expected <(printf '%s\n' "$output" | sort)
	run -1 --separate-stderr as alice dm-group
	[ -z "$output" ]

	admin gpasswd -d "$NOKEY" "$UNIX_GROUP"
	run -0 --separate-stderr as "$MEMBER1" dm-send -s 'unix group' -m x \
		"@$UNIX_GROUP"
	[ -z "$stderr" ]
	id=$output
	run -0 --separate-stderr as "$MEMBER2" dm-inbox --format '%i %f %s'
	[ "$output" = "$id $MEMBER1 unix group" ]
	run -1 --separate-stderr as "$MEMBER1" dm-inbox
	run -0 --separate-stderr as "$MEMBER1" dm-inbox --sent --format %i
	[ "$output" = "$id" ]
	run -1 --separate-stderr as alice dm-inbox
}

@test "dm-send to a Unix group names members without keys" {
	make_unix_group
	init_users alice "$MEMBER1" "$MEMBER2"
	run -67 --separate-stderr as alice dm-send -s 'unix group' -m x \
		"@$UNIX_GROUP"
	[[ $stderr == *"unknown user: $NOKEY: no public key"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	id=$output
	[[ $id =~ ^[0-7][0-9a-hjkmnp-tv-z]{25}$ ]]
	for u in "$MEMBER1" "$MEMBER2"; do
		run -0 --separate-stderr as "$u" dm-inbox --format %i
		[ "$output" = "$id" ]
	done
}

@test "dm-group spool group takes precedence over the Unix group" {
	make_unix_group
	init_users alice bob "$MEMBER1" "$MEMBER2"
	as alice dm-group create "$UNIX_GROUP" bob
	run -0 --separate-stderr as alice dm-group show "$UNIX_GROUP"
	[ "$output" = bob ]
	send_msg alice -s spool -m x "@$UNIX_GROUP" >/dev/null
	run -0 --separate-stderr as bob dm-inbox --format %s
	[ "$output" = spool ]
	run -1 --separate-stderr as "$MEMBER1" dm-inbox
}

@test "dm-group create with too many members fails with 65" {
	init_users alice
	members=()
	for i in $(seq 257); do
		members+=("user$i")
	done
	run -65 --separate-stderr as alice dm-group create big "${members[@]}"
	[[ $stderr == *"too many members in @big: at most 256"* ]]
	run -1 --separate-stderr as alice dm-group
	run -0 --separate-stderr as alice dm-group create big "${members[@]:0:256}"
	run -65 --separate-stderr as alice dm-group add big extra
	[[ $stderr == *"too many members in @big: at most 256"* ]]
}

@test "dm-send to an unknown @group fails with 67" {
	init_users alice
	run -67 --separate-stderr as alice dm-send -s x -m y @nosuch
	[ -z "$output" ]
	[[ $stderr == *"unknown group: @nosuch"* ]]
}

@test "dm-send to an invalid @group name fails with 65" {
	init_users alice
	for name in @Team @ @a/b; do
		run -65 --separate-stderr as alice dm-send -s x -m y "$name"
		[ -z "$output" ]
		[[ $stderr == *"invalid group name: $name"* ]]
	done
}

@test "dm-send to a group with no other members fails with 67" {
	init_users alice bob
	as alice dm-group create solo alice
	run -67 --separate-stderr as alice dm-send -s x -m y @solo
	[ -z "$output" ]
	[[ $stderr == *"group has no other members: @solo"* ]]
	run -1 --separate-stderr as alice dm-inbox --sent
}
