#!/usr/bin/env bats
# dm-watch: each new message reported once, hooks, filters, cursors,
# signals and idleness.
#
# Watchers run in the background under timeout(1), so a watcher that
# hangs ends the test instead of the run; teardown stops every watcher a
# test started.

load test_helper

WATCH_JOBS=()

teardown() {
	local job
	for job in "${WATCH_JOBS[@]}"; do
		kill -TERM "$job" 2>/dev/null || true
		wait "$job" 2>/dev/null || true
	done
}

# wait_for CMD...: runs CMD every 50 ms until it succeeds, for at most
# 10 seconds.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "gave up waiting for: $*" >&2
	return 1
}

# watch_pid JOB: the pid of the dm-watch that the timeout process JOB
# started (its only child, whatever its name under a wrapper such as
# valgrind), empty while there is none.
watch_pid() {
	pgrep -P "$1" | head -n 1
}

# watching JOB: succeeds when the watcher of JOB has its inotify watch on
# the drop box, or when it already exited (its status tells the rest).
watching() {
	local pid
	kill -0 "$1" 2>/dev/null || return 0
	pid=$(watch_pid "$1")
	[ -n "$pid" ] || return 1
	grep -qs '^inotify wd:' /proc/"$pid"/fdinfo/*
}

# start_watch NAME USER ARGS...: starts dm-watch ARGS as USER in the
# background with its output in NAME.out and NAME.err, and returns once
# it watches the drop box. Sets WATCH_JOB to the timeout process.
start_watch() {
	local name=$1 user=$2
	shift 2
	DM_USER=$user DM_HOME="$BATS_TEST_TMPDIR/home/$user" \
		timeout 30 dm-watch "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" \
		3>&- &
	WATCH_JOB=$!
	WATCH_JOBS+=("$WATCH_JOB")
	wait_for watching "$WATCH_JOB"
}

# finish_watch: waits for the last started watcher to end by itself and
# sets WATCH_STATUS (124 when timeout had to stop it).
finish_watch() {
	WATCH_STATUS=0
	wait "$WATCH_JOB" || WATCH_STATUS=$?
}

# stop_watch SIGNAL: sends SIGNAL to the last started watcher and waits
# for it; sets WATCH_STATUS.
stop_watch() {
	local pid
	pid=$(watch_pid "$WATCH_JOB")
	[ -n "$pid" ] && kill -"$1" "$pid"
	finish_watch
}

# lines_at_least FILE N: succeeds when FILE has N lines or more.
lines_at_least() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# early_in_second: succeeds in the first 300 ms of a wall-clock second.
early_in_second() {
	local ns
	ns=$(date +%N)
	((10#$ns < 300000000))
}

# cpu_ticks PID: user plus system time of PID, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' /proc/"$1"/stat
}

@test "dm-watch reports each new message once as a TSV line" {
	init_users alice bob
	start_watch w bob
	send_msg alice -s first -m one bob >/dev/null
	wait_for lines_at_least w.out 1
	send_msg alice -s second -m two bob >/dev/null
	wait_for lines_at_least w.out 2
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	as bob dm-inbox >expected
	diff expected w.out
	[ "$(wc -l <w.out)" -eq 2 ]
}

@test "dm-watch --json prints the objects of dm-inbox --json" {
	init_users alice bob
	start_watch w bob --json
	send_msg alice -s first -p urgent -t ops -m one bob >/dev/null
	wait_for lines_at_least w.out 1
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	as bob dm-inbox --json >expected
	diff expected w.out
}

@test "dm-watch --format prints lines as dm-inbox --format" {
	init_users alice bob
	start_watch w bob --format '%n|%i|%f|%T|%p|%s'
	send_msg alice -s 'with format' -p low -m one bob >/dev/null
	wait_for lines_at_least w.out 1
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	as bob dm-inbox --format '%n|%i|%f|%T|%p|%s' >expected
	diff expected w.out
}

@test "dm-watch does not report messages that were already there" {
	init_users alice bob
	send_msg alice -s old -m old bob >/dev/null
	as bob dm-inbox >/dev/null
	start_watch w bob -n 1
	send_msg alice -s new -m new bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	printf '2\n' >expected
	cut -f1 w.out >got
	diff expected got
}

@test "dm-watch does not report the user's own sent copy" {
	init_users alice bob
	start_watch w bob -n 1
	send_msg bob -s 'to alice' -m x alice >/dev/null
	send_msg alice -s 'to bob' -m y bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f4,5 w.out >got
	printf 'alice\tto bob\n' >expected
	diff expected got
}

@test "dm-watch reports a message sent to yourself once" {
	init_users bob
	start_watch w bob --timeout 3
	send_msg bob -s 'note to self' -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f4,5 w.out >got
	printf 'bob\tnote to self\n' >expected
	diff expected got
}

@test "dm-watch -n exits 0 after N messages" {
	init_users alice bob
	start_watch w bob -n 2
	send_msg alice -s one -m 1 bob >/dev/null
	send_msg alice -s two -m 2 bob >/dev/null
	send_msg alice -s three -m 3 bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f5 w.out >got
	printf 'one\ntwo\n' >expected
	diff expected got
}

@test "dm-watch --timeout exits 1 when nothing arrived" {
	init_users bob
	run -1 --separate-stderr as bob timeout 30 dm-watch --timeout 1
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "dm-watch --timeout exits 0 after a report" {
	init_users alice bob
	start_watch w bob --timeout 3
	send_msg alice -s one -m 1 bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f5 w.out >got
	printf 'one\n' >expected
	diff expected got
}

@test "dm-watch --exec gives the hook the body and the metadata" {
	init_users alice bob carol
	cat >hook.sh <<'EOF'
cat >"$HOOK_DIR/body.$DM_NUMBER"
for v in DM_NUMBER DM_ID DM_FROM DM_TO DM_SUBJECT DM_PRIORITY DM_DATE \
    DM_ATTACHMENTS; do
	printf '%s=%s\n' "$v" "$(printenv "$v")"
done >"$HOOK_DIR/env.$DM_NUMBER"
EOF
	printf 'report' >a.txt
	printf 'x,y\n1,2\n' >b.csv
	printf 'line one\n\tline two, no newline' >body
	export HOOK_DIR=$BATS_TEST_TMPDIR
	start_watch w bob -n 1 --exec "sh $BATS_TEST_TMPDIR/hook.sh"
	id=$(send_msg alice -s 'Quarterly report' -p high -a a.txt -a b.csv \
		-F body bob carol)
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	cat >expected <<EOF
DM_NUMBER=1
DM_ID=$id
DM_FROM=alice
DM_TO=bob,carol
DM_SUBJECT=Quarterly report
DM_PRIORITY=high
DM_DATE=$(as bob dm-inbox --format %d)
DM_ATTACHMENTS=2
EOF
	diff expected env.1
	cmp body body.1
}

@test "dm-watch --exec passes a large body that the hook does not read" {
	init_users alice bob
	head -c 1048576 /dev/zero | tr '\0' 'a' >big
	start_watch w bob -n 2 --exec 'exit 0'
	send_msg alice -s big -F big bob >/dev/null
	send_msg alice -s small -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	cut -f5 w.out >got
	printf 'big\nsmall\n' >expected
	diff expected got
}

@test "dm-watch reports a failing hook and goes on" {
	init_users alice bob
	start_watch w bob -n 2 --exec 'cat >/dev/null; exit 3'
	send_msg alice -s one -m 1 bob >/dev/null
	send_msg alice -s two -m 2 bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cat >expected <<'EOF'
dm-watch: hook failed for message 1: exit status 3
dm-watch: hook failed for message 2: exit status 3
EOF
	diff expected w.err
	cut -f5 w.out >got
	printf 'one\ntwo\n' >expected
	diff expected got
}

@test "dm-watch hooks get message data only through the environment" {
	init_users alice bob
	printf 'data' >plain
	start_watch w bob -n 1 --exec 'printf "%s\n" "$DM_SUBJECT" >subject'
	send_msg alice -s --help -n --output=x -a plain -m body bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	printf -- '--help\n' >expected
	diff expected subject
	[ ! -e x ]
	[ ! -e ./--output=x ]
}

@test "dm-watch -f reports only messages from that user" {
	init_users alice bob carol
	start_watch w bob -n 1 -f carol
	send_msg alice -s 'from alice' -m a bob >/dev/null
	send_msg carol -s 'from carol' -m c bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f1,4,5 w.out >got
	printf '2\tcarol\tfrom carol\n' >expected
	diff expected got
}

@test "dm-watch -p reports messages of that priority or higher" {
	init_users alice bob
	start_watch w bob -n 2 -p high
	for p in low normal high urgent; do
		send_msg alice -s "$p" -p "$p" -m x bob >/dev/null
	done
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f1,5 w.out >got
	printf '3\thigh\n4\turgent\n' >expected
	diff expected got
}

@test "dm-watch --unread reports unread messages first" {
	init_users alice bob
	for s in one two three; do
		send_msg alice -s "$s" -m x bob >/dev/null
	done
	as bob dm-read 2 >/dev/null
	start_watch w bob --unread -n 3
	send_msg alice -s four -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f1,5 w.out >got
	printf '1\tone\n3\tthree\n4\tfour\n' >expected
	diff expected got
}

@test "dm-watch --mark-read marks reported messages read" {
	init_users alice bob
	start_watch w bob -n 1 --mark-read
	send_msg alice -s one -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f1,2 w.out >got
	printf '1\tN\n' >expected
	diff expected got
	run -1 --separate-stderr as bob dm-inbox -u
	[ -z "$output" ]
}

@test "dm-watch without --mark-read leaves messages unread" {
	init_users alice bob
	start_watch w bob -n 1
	send_msg alice -s one -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	run -0 --separate-stderr as bob dm-inbox -u --format %n
	[ "$output" = 1 ]
}

@test "dm-watch --cursor reports what arrived while no watcher ran" {
	init_users alice bob
	start_watch w1 bob --cursor main -n 1
	send_msg alice -s one -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]

	send_msg alice -s two -m x bob >/dev/null
	as bob dm-inbox >/dev/null
	send_msg alice -s three -m x bob >/dev/null

	start_watch w2 bob --cursor main --timeout 1
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	start_watch w3 bob --cursor main --timeout 1
	finish_watch
	[ "$WATCH_STATUS" -eq 1 ]

	cut -f1,5 w1.out >got
	printf '1\tone\n' >expected
	diff expected got
	cut -f1,5 w2.out >got
	printf '2\ttwo\n3\tthree\n' >expected
	diff expected got
	[ ! -s w3.out ]
}

@test "dm-watch cursors of different names are independent" {
	init_users alice bob
	start_watch w1 bob --cursor first -n 1
	send_msg alice -s one -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	start_watch w2 bob --cursor second -n 1
	send_msg alice -s two -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]

	start_watch w3 bob --cursor first --timeout 1
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f1,5 w3.out >got
	printf '2\ttwo\n' >expected
	diff expected got
}

@test "dm-watch --cursor retries a failed hook on the next start" {
	init_users alice bob
	# The hook fails while the file "broken" exists.
	touch broken
	hook='printf "%s\n" "$DM_NUMBER" >>calls; cat >/dev/null; [ ! -e broken ]'
	start_watch w1 bob --cursor jobs -n 2 --exec "$hook"
	send_msg alice -s one -m x bob >/dev/null
	wait_for lines_at_least calls 1
	rm broken
	send_msg alice -s two -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	printf 'dm-watch: hook failed for message 1: exit status 1\n' >expected
	diff expected w1.err

	start_watch w2 bob --cursor jobs --timeout 1 --exec "$hook"
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w2.err ]
	start_watch w3 bob --cursor jobs --timeout 1 --exec "$hook"
	finish_watch
	[ "$WATCH_STATUS" -eq 1 ]

	printf '1\n2\n1\n' >expected
	diff expected calls
	cut -f1 w2.out >got
	printf '1\n' >expected
	diff expected got
}

@test "dm-watch ends with status 0 on SIGINT" {
	init_users bob
	start_watch w bob
	stop_watch INT
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.out ]
	[ ! -s w.err ]
}

@test "dm-watch ends with status 0 on SIGTERM" {
	init_users bob
	start_watch w bob
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.out ]
	[ ! -s w.err ]
}

@test "dm-watch uses no CPU while idle" {
	init_users alice bob
	start_watch w bob
	send_msg alice -s one -m x bob >/dev/null
	wait_for lines_at_least w.out 1
	pid=$(watch_pid "$WATCH_JOB")
	before=$(cpu_ticks "$pid")
	sleep 2
	after=$(cpu_ticks "$pid")
	echo "CPU ticks while idle: $((after - before))"
	[ $((after - before)) -le 2 ]
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
}

@test "dm-watch rejects bad options with 64" {
	init_users bob
	while IFS='|' read -r args message; do
		read -ra argv <<<"$args"
		run -64 --separate-stderr as bob dm-watch "${argv[@]}"
		echo "dm-watch $args: $stderr"
		[[ $stderr == *"$message"* ]]
		# A bad value is one line; bad syntax adds the synopsis.
		case $message in
		"unrecognized option"|"requires an argument"|"usage: "*)
			[[ $stderr == *"usage: dm-watch"* ]] ;;
		*)
			[ "${#stderr_lines[@]}" -eq 1 ] ;;
		esac
		[ -z "$output" ]
	done <<'EOF'
--bogus|unrecognized option
-n 0|invalid limit: 0
-n many|invalid limit: many
--timeout -1|invalid timeout: -1
--timeout 1.5|invalid timeout: 1.5
-p extreme|invalid priority: extreme
-f bad/name|invalid user name: bad/name
--cursor Bad/Name|invalid cursor name: Bad/Name
--format %Q|%Q
--json --format %n|--json and --format
extra|usage: dm-watch
--exec|requires an argument
EOF
}

@test "dm-watch --exec runs once per message across a read-flag change" {
	init_users alice bob
	printf 'attached' >file.txt
	export IDS=$BATS_TEST_TMPDIR/ids
	start_watch w bob --exec 'cat >/dev/null; printf "%s\n" "$DM_ID" >>"$IDS"'

	# Starting early in a wall-clock second makes the next two sends
	# most likely share it.
	wait_for early_in_second
	id1=$(send_msg alice -s one -m x bob)
	id2=$(send_msg alice -s two -m x bob)
	wait_for lines_at_least "$IDS" 2
	as bob dm-mark read 1
	id3=$(send_msg alice -s three -a file.txt -m x bob)
	wait_for grep -q "$id3" "$IDS"

	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	printf '%s\n' "$id1" "$id2" "$id3" | sort >expected
	sort "$IDS" >got
	diff expected got
	[ "$(wc -l <"$IDS")" -eq 3 ]
}

@test "dm-watch reports each of many concurrent messages once" {
	init_users alice bob
	export IDS=$BATS_TEST_TMPDIR/ids
	start_watch w bob --exec 'cat >/dev/null; printf "%s\n" "$DM_ID" >>"$IDS"'
	pids=()
	for i in $(seq 30); do
		send_msg alice -s "burst $i" -m x bob >"sent.$i" 2>"send.$i.err" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	wait_for lines_at_least "$IDS" 30
	stop_watch TERM
	[ "$WATCH_STATUS" -eq 0 ]
	[ ! -s w.err ]
	cat sent.* | sort >expected
	sort "$IDS" >got
	diff expected got
	[ "$(wc -l <w.out)" -eq 30 ]
}

@test "dm-watch quarantines a forged envelope and goes on" {
	init_users alice bob
	box=$DM_SPOOL/boxes/bob
	forged=0123456789abcdefghjkmnpqrs.env
	start_watch w bob -n 1
	printf 'not an envelope' >"$box/.tmp.forged"
	mv "$box/.tmp.forged" "$box/$forged"
	send_msg alice -s real -m x bob >/dev/null
	finish_watch
	[ "$WATCH_STATUS" -eq 0 ]
	cut -f4,5 w.out >got
	printf 'alice\treal\n' >expected
	diff expected got
	grep -F "dm-watch: warning: quarantined $box/$forged: verification failed:" w.err
	[ "$(wc -l <w.err)" -eq 1 ]
	[ -f "$DM_SPOOL/users/bob/quarantine/$forged" ]
}

@test "dm-watch escapes control characters on a terminal" {
	init_users alice bob
	# A message still in the drop box when the watcher starts is new to it.
	printf '%s\n' '{"to":"bob","subject":"\u001b]0;owned\u0007 \u001b[2J \u009b end","body":"x"}' |
		as alice dm-send --batch >/dev/null
	in_terminal env DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" \
		timeout 30 dm-watch -n 1 >screen
	assert_no_raw_controls screen
	grep -F '\e]0;owned\x07 \e[2J \u009b end' screen
}
