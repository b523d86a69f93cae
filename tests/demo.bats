#!/usr/bin/env bats
# The main job (make demo) runs to the end and leaves nothing behind.

load test_helper

@test "the demo runs every step and stops its watcher" {
	export TMPDIR=$BATS_TEST_TMPDIR
	run -0 --separate-stderr sh "$DM_TOP/share/demo.sh"
	[[ $output == *"== bob's watcher hook fired =="*"notify: #1 from cron: Daily report for "* ]]
	[[ $output == *"Verified: signature of cron checked"* ]]
	[[ $output == *"re-running the same batch sends nothing twice:"* ]]
	[[ $output == *"== done: the temporary spool is removed =="* ]]
	run -0 find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'dm-demo.*'
	[ -z "$output" ]
	run ! pgrep -f "$BATS_TEST_TMPDIR/dm-demo"
}

@test "the demo saves attachments identical to the originals" {
	export TMPDIR=$BATS_TEST_TMPDIR
	run -0 --separate-stderr sh "$DM_TOP/share/demo.sh"
	saved=$(grep -A6 '^== bob lists and saves' <<< "$output" | awk '/saved\// { print $1 }' | sort)
	originals=$(grep '(original)$' <<< "$output" | awk '{ print $1 }' | sort)
	[ -n "$saved" ]
	[ "$saved" = "$originals" ]
}
