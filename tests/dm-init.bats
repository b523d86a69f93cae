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
