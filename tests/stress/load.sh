#!/usr/bin/env bash
# Load: SENDERS processes each send MESSAGES messages to bob at the same
# time, while bob lists his mailbox in a loop and runs a watcher with a
# hook. Every message must arrive exactly once, every dm-send must exit
# 0, no stderr may mention a lock, and the hook must see each id once.
#
# Usage: tests/stress/load.sh [SENDERS [MESSAGES]]   (default 100 x 100)
set -euo pipefail

senders=${1:-100}
messages=${2:-100}
total=$((senders * messages))
top=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$top/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/dm-load.XXXXXX")
watcher=""
reader=""
cleanup() {
	[ -n "$reader" ] && kill "$reader" 2>/dev/null
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export DM_SPOOL=$work/spool
as() { local u=$1; shift; DM_USER=$u DM_HOME=$work/home/$u "$@"; }
fail() { echo "load: FAILED: $*" >&2; exit 1; }

as alice dm-init >/dev/null 2>&1
as bob dm-init >/dev/null 2>&1

as bob exec dm-watch --exec "printf '%s\n' \"\$DM_ID\" >> $work/hook.log" \
    > "$work/watch.out" 2> "$work/watch.err" &
watcher=$!
# The watcher is ready once it has an inotify watch on bob's box.
for _ in $(seq 100); do
	ls -l "/proc/$watcher/fd" 2>/dev/null | grep -q inotify && break
	sleep 0.05
done

: > "$work/reader.err"
(
	while [ ! -e "$work/stop" ]; do
		as bob dm-inbox -c -A > /dev/null 2>> "$work/reader.err" ||
		    [ $? -eq 1 ] || echo "reader: dm-inbox exit $?" >> "$work/reader.err"
	done
) &
reader=$!

start=$(date +%s.%N)
for s in $(seq "$senders"); do
	(
		for m in $(seq "$messages"); do
			if ! as alice dm-send -s "load $s.$m" -m "body $s.$m" bob \
			    >> "$work/ids.$s" 2>> "$work/send.err.$s"; then
				echo "sender $s message $m: exit $?" >> "$work/send.err.$s"
			fi
		done
	) &
done
wait $(jobs -p | grep -v -e "^$watcher\$" -e "^$reader\$") 2>/dev/null || true
end=$(date +%s.%N)
touch "$work/stop"
wait "$reader" 2>/dev/null || true
reader=""

cat "$work"/send.err.* > "$work/send.err" 2>/dev/null || true
[ -s "$work/send.err" ] && { head "$work/send.err" >&2; fail "dm-send reported errors"; }
cat "$work"/ids.* > "$work/ids"
sent=$(sort -u "$work/ids" | wc -l)
[ "$(wc -l < "$work/ids")" -eq "$total" ] || fail "$(wc -l < "$work/ids") ids printed, expected $total"
[ "$sent" -eq "$total" ] || fail "only $sent distinct ids printed"

as bob dm-inbox -A --format %i > "$work/inbox"
got=$(sort -u "$work/inbox" | wc -l)
[ "$(wc -l < "$work/inbox")" -eq "$total" ] || fail "bob has $(wc -l < "$work/inbox") messages, expected $total"
[ "$got" -eq "$total" ] || fail "bob has duplicates"
cmp -s <(sort "$work/ids") <(sort "$work/inbox") || fail "sent and received ids differ"

# The watcher reports everything once the last take-in is done.
for _ in $(seq 600); do
	[ "$(wc -l < "$work/hook.log" 2>/dev/null || echo 0)" -ge "$total" ] && break
	sleep 0.1
done
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null || true
watcher=""
hooked=$(sort -u "$work/hook.log" | wc -l)
[ "$(wc -l < "$work/hook.log")" -eq "$total" ] || fail "hook ran $(wc -l < "$work/hook.log") times, expected $total"
[ "$hooked" -eq "$total" ] || fail "hook saw duplicates"
cmp -s <(sort "$work/ids") <(sort "$work/hook.log") || fail "hook ids differ from sent ids"

if grep -qi -e locked -e busy "$work/reader.err" "$work/watch.err" "$work/send.err"; then
	fail "a lock or busy error was reported: $(grep -hi -e locked -e busy "$work"/*.err | head -1)"
fi
[ -s "$work/reader.err" ] && fail "reader: $(head -1 "$work/reader.err")"
[ -s "$work/watch.err" ] && fail "watcher: $(head -1 "$work/watch.err")"

python3 - "$work/spool/users/bob/mailbox.db" <<'PY' || fail "integrity check"
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0]
sys.exit(0 if r == "ok" else 1)
PY

printf 'load: %d senders x %d messages: %d sent, %d received, %d hook runs, 0 errors, %.1f s\n' \
    "$senders" "$messages" "$sent" "$got" "$hooked" \
    "$(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)")"
