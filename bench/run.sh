#!/usr/bin/env bash
# Measures dm beside peer tools on the same machine and prints a Markdown
# report with ratios. Peers: mblaze (Maildir delivery with mdeliver,
# listing with mlist and mscan, reading with mshow) and age (public-key
# encryption of one message). Needs hyperfine, mblaze, age, python3 and
# GNU time; install them with: apt-get install hyperfine mblaze age
# python3 time.
#
# Usage: bench/run.sh [MESSAGES]   (default 1000 messages in the mailbox)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
n=${1:-1000}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/dm-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in hyperfine mdeliver mlist mscan mshow age python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || {
		echo "bench: $tool not found: apt-get install hyperfine mblaze age python3 time" >&2
		exit 1
	}
done
[ -x "$bin/dm-send" ] || { echo "bench: run make first" >&2; exit 1; }

export DM_SPOOL=$work/spool NO_COLOR=1 LC_ALL=C.UTF-8
as() { local u=$1; shift; DM_USER=$u DM_HOME=$work/home/$u "$@"; }
as alice "$bin/dm-init" >/dev/null 2>&1
as bob "$bin/dm-init" >/dev/null 2>&1

maildir=$work/Maildir
mkdir -p "$maildir"/{cur,new,tmp}
body=$work/body.txt
head -c 1024 /dev/urandom | base64 > "$body"
eml=$work/message.eml
{ printf 'From: alice\nTo: bob\nSubject: benchmark\n\n'; cat "$body"; } > "$eml"
age-keygen -o "$work/age.key" 2>/dev/null
agepub=$(age-keygen -y "$work/age.key")

results=$work/results.tsv
: > "$results"

# measure NAME RUNS COMMAND [PREPARE]: mean and stddev in ms via hyperfine.
measure() {
	local name=$1 runs=$2 cmd=$3 prepare=${4:-true}
	hyperfine -N -i --style none --warmup 3 --runs "$runs" \
	    --prepare "$prepare" --export-json "$work/h.json" "$cmd" >/dev/null 2>&1 ||
	    hyperfine -i --style none --warmup 3 --runs "$runs" \
	    --prepare "$prepare" --export-json "$work/h.json" "$cmd" >/dev/null
	python3 - "$work/h.json" "$name" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%s\t%.3f\t%.3f" % (sys.argv[2], r["mean"] * 1000, r["stddev"] * 1000))
PY
}

export DM_USER=alice DM_HOME=$work/home/alice
echo "bench: sending one message ($(wc -c < "$body") byte body)" >&2
measure "send: dm-send, 1 recipient" 200 "$bin/dm-send -q -F $body bob"
measure "send: mdeliver into a Maildir" 200 "sh -c 'exec mdeliver $maildir < $eml'"
measure "send: age -r, then mdeliver" 200 \
    "sh -c 'age -r $agepub < $eml | mdeliver $maildir'"

echo "bench: filling both mailboxes to $n messages" >&2
export DM_USER=bob DM_HOME=$work/home/bob
"$bin/dm-inbox" -c >/dev/null || true
have=$("$bin/dm-inbox" -c -A 2>/dev/null || true)
python3 - "$n" "$have" > "$work/batch.jsonl" <<'PY'
import json, sys
want, have = int(sys.argv[1]), int(sys.argv[2] or 0)
for i in range(max(0, want - have)):
    print(json.dumps({"to": ["bob"], "subject": "message %d" % i,
                      "body": "line one of message %d\nline two\n" % i}))
PY
start=$(date +%s.%N)
DM_USER=alice DM_HOME=$work/home/alice "$bin/dm-send" --batch -q < "$work/batch.jsonl"
end=$(date +%s.%N)
batch_ms=$(python3 -c "print('%.3f' % (($end - $start) * 1000 / max(1, $(wc -l < "$work/batch.jsonl"))))")
printf 'batch: dm-send --batch, per message\t%s\t0\n' "$batch_ms" >> "$results"
start=$(date +%s.%N)
"$bin/dm-inbox" -c >/dev/null
end=$(date +%s.%N)
takein_ms=$(python3 -c "print('%.3f' % (($end - $start) * 1000 / max(1, $(wc -l < "$work/batch.jsonl"))))")
printf 'take in: first dm-inbox after the batch, per message\t%s\t0\n' "$takein_ms" >> "$results"

count=$(ls "$maildir/new" | wc -l)
while [ "$count" -lt "$n" ]; do
	mdeliver "$maildir" < "$eml"
	count=$((count + 1))
done

echo "bench: listing and counting" >&2
measure "list: dm-inbox, $n messages" 30 "$bin/dm-inbox"
measure "list: mlist | mscan, $n messages" 30 "sh -c 'mlist $maildir | mscan >/dev/null'"
measure "count: dm-inbox -c -u" 100 "$bin/dm-inbox -c -u"
measure "count: mlist -N | wc -l" 100 "sh -c 'mlist -N $maildir | wc -l'"
measure "search: dm-inbox -g 'message 99'" 30 "$bin/dm-inbox -g 'message 99'"
measure "search: mlist | mpick subject, $n messages" 10 \
    "sh -c 'mlist $maildir | mpick -t \"subject =~ \\\"message 99\\\"\" >/dev/null'"

echo "bench: reading one message" >&2
num=$(( n / 2 ))
one=$(mlist "$maildir" | sed -n "${num}p")
measure "read: dm-read -N --body" 100 "$bin/dm-read -N --body $num"
measure "read: mshow -r" 100 "mshow -r $one"

echo "bench: memory for large attachments" >&2
for mib in 16 256; do
	head -c $((mib << 20)) /dev/urandom > "$work/big.bin"
	/usr/bin/time -f '%M' -o "$work/rss" env DM_USER=alice \
	    DM_HOME="$work/home/alice" "$bin/dm-send" -q -m x -a "$work/big.bin" bob
	printf 'memory: dm-send -a %d MiB, max RSS KiB\t%s\t0\n' "$mib" \
	    "$(cat "$work/rss")" >> "$results"
	last=$("$bin/dm-inbox" -r -n 1 --format %n)
	/usr/bin/time -f '%M' -o "$work/rss" "$bin/dm-attach" "$last" 1 \
	    -o "$work/out.bin" -f
	printf 'memory: dm-attach of %d MiB, max RSS KiB\t%s\t0\n' "$mib" \
	    "$(cat "$work/rss")" >> "$results"
	cmp -s "$work/big.bin" "$work/out.bin" || { echo "bench: attachment differs" >&2; exit 1; }
done
rm -f "$work/big.bin" "$work/out.bin"

echo "bench: 50 concurrent senders x 20 messages" >&2
before=$("$bin/dm-inbox" -c -A || true)
start=$(date +%s.%N)
for s in $(seq 50); do
	(for i in $(seq 20); do
		DM_USER=alice DM_HOME=$work/home/alice "$bin/dm-send" -q -m "c $s $i" bob || exit 1
	done) &
done
wait
end=$(date +%s.%N)
after=$("$bin/dm-inbox" -c -A)
printf 'concurrency: 1000 sends by 50 processes, wall ms\t%s\t0\n' \
    "$(python3 -c "print('%.0f' % (($end - $start) * 1000))")" >> "$results"
printf 'concurrency: messages delivered of 1000\t%s\t0\n' "$((after - before))" >> "$results"

python3 - "$results" "$n" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
val = {r[0]: float(r[1]) for r in rows}
print("| measurement | mean | stddev |")
print("| --- | ---: | ---: |")
for name, mean, sd in rows:
    unit = "" if name.startswith(("memory", "concurrency")) else " ms"
    print("| %s | %s%s | %s |" % (name.replace("|", "\\|"), mean, unit,
                                 sd if unit else ""))
def ratio(a, b):
    if a in val and b in val and val[b] > 0:
        label = "%s / %s" % (a.split(": ", 1)[1], b.split(": ", 1)[1])
        print("| %s | %.2f |" % (label.replace("|", "\\|"), val[a] / val[b]))
print()
print("| ratio (dm / peer) | value |")
print("| --- | ---: |")
n = sys.argv[2]
ratio("send: dm-send, 1 recipient", "send: mdeliver into a Maildir")
ratio("send: dm-send, 1 recipient", "send: age -r, then mdeliver")
ratio("list: dm-inbox, %s messages" % n, "list: mlist | mscan, %s messages" % n)
ratio("count: dm-inbox -c -u", "count: mlist -N | wc -l")
ratio("search: dm-inbox -g 'message 99'", "search: mlist | mpick subject, %s messages" % n)
ratio("read: dm-read -N --body", "read: mshow -r")
PY
