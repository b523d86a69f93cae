#!/usr/bin/env bats
# Every single-byte change of a stored envelope, of a stored attachment
# and of an envelope waiting in the drop box is detected, and nothing of
# the changed message is shown or extracted.

load test_helper

setup() {
	export DM_SPOOL="$BATS_TEST_TMPDIR/spool"
	export LC_ALL=C.UTF-8
	unset DM_USER DM_HOME NO_COLOR PAGER COLUMNS
	cd "$BATS_TEST_TMPDIR" || return 1
	init_users alice bob
	printf 'attached bytes\n' > note.txt
	id=$(send_msg alice -s "checked" -m "the body" -a note.txt bob)
	as bob dm-inbox -c >/dev/null
	store=$DM_SPOOL/users/bob/store
}

@test "every changed byte of a stored envelope fails dm-read with 65" {
	cp "$store/$id.env" original
	size=$(stat -c %s original)
	checked=0
	for ((offset = 0; offset < size; offset++)); do
		cp original "$store/$id.env"
		flip_byte "$store/$id.env" "$offset"
		status=0
		as bob dm-read -N --body "$id" > out 2> err || status=$?
		if [ "$status" -ne 65 ] || [ -s out ]; then
			echo "offset $offset: exit $status, $(wc -c < out) bytes shown" >&2
			return 1
		fi
		checked=$((checked + 1))
	done
	[ "$checked" -eq "$size" ]
	cp original "$store/$id.env"
	run -0 as bob dm-read --body "$id"
	[ "$output" = "the body" ]
}

@test "every changed byte of a stored attachment fails dm-attach with 65" {
	cp "$store/$id.1" original
	size=$(stat -c %s original)
	for ((offset = 0; offset < size; offset++)); do
		cp original "$store/$id.1"
		flip_byte "$store/$id.1" "$offset"
		status=0
		as bob dm-attach "$id" 1 > out 2> err || status=$?
		if [ "$status" -ne 65 ] || [ -s out ]; then
			echo "offset $offset: exit $status, $(wc -c < out) bytes written" >&2
			return 1
		fi
		status=0
		as bob dm-attach "$id" 1 -o saved.txt 2> err || status=$?
		if [ "$status" -ne 65 ] || [ -e saved.txt ]; then
			echo "offset $offset: -o gave exit $status" >&2
			return 1
		fi
	done
	cp original "$store/$id.1"
	run -0 as bob dm-attach "$id" 1
	[ "$output" = "attached bytes" ]
}

@test "every changed byte of an envelope in the drop box is quarantined" {
	second=$(send_msg alice -s "in transit" -m "second body" bob)
	box=$DM_SPOOL/boxes/bob
	mv "$box/$second.env" original
	size=$(stat -c %s original)
	for ((offset = 0; offset < size; offset++)); do
		cp original "$box/$second.env"
		flip_byte "$box/$second.env" "$offset"
		status=0
		as bob dm-inbox -A --format %i > out 2> err || status=$?
		if [ "$status" -ne 0 ] || grep -q "$second" out ||
		    ! grep -q "quarantined $box/$second.env" err; then
			echo "offset $offset: exit $status: $(cat err)" >&2
			return 1
		fi
	done
	[ "$(find "$DM_SPOOL/users/bob/quarantine" -type f | wc -l)" -eq "$size" ]
	cp original "$box/$second.env"
	run -0 as bob dm-read --body "$second"
	[ "$output" = "second body" ]
}
