#!/bin/sh
# The main job of dm on a temporary spool, with real input from this
# machine: a cron-like sender mails system reports and files from
# /usr/share to bob and to a group, bob's watcher hook fires, bob lists,
# reads and saves the attachments, and alice sends a personalised batch.
# Prints what each user would see. Leaves nothing behind.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/dm-demo.XXXXXX")
watcher=""

cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

export DM_SPOOL="$work/spool"
export NO_COLOR=1

# as USER CMD...: runs a dm program as identity USER. In the background,
# "as USER exec CMD" makes $! the program itself, so it can be stopped.
as() {
	user=$1
	shift
	DM_USER=$user DM_HOME="$work/home/$user" "$@"
}

section() {
	printf '\n== %s ==\n' "$*"
}

# The first readable file of a kind under /usr/share, or nothing.
pick() {
	find /usr/share -xdev -type f -readable "$@" -size +0 -size -2M \
	    2>/dev/null | sort | head -n 1
}

section "Set up: keys and mailboxes for cron, alice, bob and carol"
for user in cron alice bob carol dave; do
	printf '%-6s ' "$user"
	as "$user" "$bin/dm-init" 2>/dev/null
done
as cron "$bin/dm-group" create ops bob carol
printf 'group @ops: %s\n' "$(as cron "$bin/dm-group" show ops | tr '\n' ' ')"

section "bob starts dm-watch with a notification hook"
hooklog=$work/notifications.log
as bob exec "$bin/dm-watch" --exec \
    'printf "notify: #%s from %s: %s (%s attachment(s), %s bytes of body)\n" "$DM_NUMBER" "$DM_FROM" "$DM_SUBJECT" "$DM_ATTACHMENTS" "$(wc -c)" >> '"$hooklog" \
    >/dev/null 2>"$work/watch.err" &
watcher=$!
sleep 0.3
echo "watcher running as pid $watcher"

section "cron sends system reports (no terminal, no HOME, minimal PATH)"
license=$(pick -path '*/common-licenses/*')
image=$(pick -name '*.png')
archive=$(pick -name '*.gz')
report=$work/report.txt
{
	echo "Host report from $(uname -n) at $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$ uname -srm"
	uname -srm
	echo
	echo "$ df -h /"
	df -h / 2>&1
	echo
	echo "$ uptime"
	uptime 2>&1 || true
	echo
	echo "$ free -m"
	free -m 2>&1 || echo "free: not available"
} > "$report"

set -- -s "Daily report for $(uname -n)" -p high -t report -t cron
for f in $license $image $archive; do
	set -- "$@" -a "$f"
done
env -i PATH=/usr/bin:/bin DM_SPOOL="$DM_SPOOL" DM_HOME="$work/home/cron" \
    DM_USER=cron setsid "$bin/dm-send" "$@" bob @ops < "$report" \
    > "$work/sent.id"
echo "dm-send exit status: 0, message id: $(cat "$work/sent.id")"
echo "attached: ${license:-none} ${image:-} ${archive:-}"

ps ax -o pid,stat,comm 2>/dev/null | awk 'NR == 1 || /dm-/' > "$work/ps.txt" || true
env -i PATH=/usr/bin:/bin DM_SPOOL="$DM_SPOOL" DM_HOME="$work/home/cron" \
    DM_USER=cron setsid "$bin/dm-send" -s "Processes named dm-*" \
    -F "$work/ps.txt" @ops < /dev/null > /dev/null
echo "sent the process list to @ops"

# Give the watcher a moment to run its hook for both messages.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -f "$hooklog" ] && [ "$(wc -l < "$hooklog")" -ge 2 ] && break
	sleep 0.2
done

section "bob's watcher hook fired"
cat "$hooklog" 2>/dev/null || echo "(no notification yet)"

section "bob lists his inbox: dm-inbox"
as bob "$bin/dm-inbox"

section "bob reads the report: dm-read"
as bob "$bin/dm-read" 1

section "bob lists and saves the attachments: dm-attach"
as bob "$bin/dm-attach" 1
as bob "$bin/dm-attach" 1 --all -d "$work/saved" > /dev/null
for f in "$work"/saved/*; do
	[ -e "$f" ] || continue
	printf '%s  %s\n' "$(sha256sum < "$f" | cut -c1-16)" "${f#"$work"/}"
done
for f in $license $image $archive; do
	printf '%s  %s (original)\n' "$(sha256sum < "$f" | cut -c1-16)" "$f"
done

section "carol got the group copy: dm-inbox"
as carol "$bin/dm-inbox"

section "alice sends a personalised batch: dm-send --batch"
for user in bob carol dave; do
	files=$(find /usr/share/doc -maxdepth 1 -type d 2>/dev/null | wc -l)
	printf '{"to":["%s"],"subject":"Your weekly digest, %s","body":"Hello %s,\\n\\nthis machine documents %s packages in /usr/share/doc.\\n","tags":["digest"],"id":"digest-%s"}\n' \
	    "$user" "$user" "$user" "$files" "$user"
done > "$work/batch.jsonl"
as alice "$bin/dm-send" --batch < "$work/batch.jsonl"
echo "re-running the same batch sends nothing twice:"
as alice "$bin/dm-send" --batch < "$work/batch.jsonl"
as dave "$bin/dm-inbox" --format '%n %f %s'
as dave "$bin/dm-read" --body 1

section "alice's sent view and bob's conversations"
as alice "$bin/dm-inbox" --sent
as bob "$bin/dm-inbox" --threads

kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null || true
watcher=""
section "done: the temporary spool is removed"
