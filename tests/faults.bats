#!/usr/bin/env bats
# Short runs of the load and crash scripts in tests/stress/; make stress
# runs them at full size.

load test_helper

@test "load: 10 senders x 10 messages arrive once each, no lock errors" {
	run -0 --separate-stderr "$DM_TOP/tests/stress/load.sh" 10 10
	[[ $output == *"100 sent, 100 received, 100 hook runs, 0 errors"* ]]
}

@test "50 senders at once while bob watches and lists lose nothing" {
	run -0 --separate-stderr "$DM_TOP/tests/stress/load.sh" 50 1
	[[ $output == *"50 sent, 50 received, 50 hook runs, 0 errors"* ]]
}

@test "crash: 60 kill -9 trials lose and duplicate nothing" {
	run -0 --separate-stderr python3 "$DM_TOP/tests/stress/crash.py" --trials 60
	[[ $output == *"60 trials"*"all verified"* ]]
}
