#!/usr/bin/env bats
# Real-world bodies (several encodings, CRLF, tool output) come back
# byte for byte.

load test_helper

# manifest_sha FILE: the sha256 recorded for a corpus file.
manifest_sha() {
	awk -F'\t' -v f="$1" '$1 == f { print $4 }' "$CORPUS/MANIFEST.tsv"
}

# corpus_bodies: the corpus body files, one path relative to the corpus
# a line.
corpus_bodies() {
	(cd "$CORPUS" && ls bodies/*)
}

@test "corpus bodies match the manifest" {
	require_corpus
	[ -n "$(corpus_bodies)" ]
	for f in $(corpus_bodies); do
		want=$(manifest_sha "$f")
		[ -n "$want" ] || { echo "not in MANIFEST.tsv: $f" >&2; false; }
		[ "$(sha256sum <"$CORPUS/$f" | cut -d' ' -f1)" = "$want" ]
	done
}

@test "corpus bodies round-trip through -F and --body" {
	require_corpus
	init_users alice bob
	for f in $(corpus_bodies); do
		id=$(send_msg alice -s "$f" -F "$CORPUS/$f" bob)
		got=$(as bob dm-read --body "$id" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$(manifest_sha "$f")" ] ||
			{ echo "body changed: $f" >&2; false; }
	done
}

@test "corpus bodies round-trip through stdin" {
	require_corpus
	init_users alice bob
	for f in $(corpus_bodies); do
		id=$(as alice dm-send -s "$f" bob <"$CORPUS/$f")
		got=$(as bob dm-read -b "$id" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$(manifest_sha "$f")" ] ||
			{ echo "body changed: $f" >&2; false; }
	done
}

@test "corpus bodies round-trip through --json" {
	require_corpus
	init_users alice bob
	for f in $(corpus_bodies); do
		send_msg alice -s "$f" -F "$CORPUS/$f" bob >/dev/null
	done
	as bob dm-read --json $(as bob dm-inbox --format '%n') >all.json
	python3 - all.json "$CORPUS" <<'PY'
import base64, csv, hashlib, json, sys
corpus = sys.argv[2]
want = {}
with open(corpus + "/MANIFEST.tsv") as f:
    for row in csv.reader(f, delimiter="\t"):
        if row and not row[0].startswith("#"):
            want[row[0]] = row[3]
rows = [json.loads(line) for line in open(sys.argv[1], "rb")]
assert rows, "no messages"
for m in rows:
    if "body" in m:
        data = m["body"].encode("utf-8")
    else:
        data = base64.b64decode(m["body_base64"])
    got = hashlib.sha256(data).hexdigest()
    assert got == want[m["subject"]], m["subject"]
PY
}

@test "corpus bodies choose body or body_base64" {
	require_corpus
	init_users alice bob
	for f in bodies/japanese-utf8.txt bodies/japanese-shiftjis.txt \
		bodies/chinese-gb18030.txt bodies/crlf-windows.txt; do
		send_msg alice -s "$f" -F "$CORPUS/$f" bob >/dev/null
	done
	as bob dm-read --json 1 2 3 4 >all.json
	python3 - all.json <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1], "rb"):
    m = json.loads(line)
    rows[m["subject"]] = "body" if "body" in m else "body_base64"
assert rows == {
    "bodies/japanese-utf8.txt": "body",
    "bodies/japanese-shiftjis.txt": "body_base64",
    "bodies/chinese-gb18030.txt": "body_base64",
    "bodies/crlf-windows.txt": "body",
}, rows
PY
}

@test "corpus bodies are bodies, never attachments" {
	require_corpus
	init_users alice bob
	for f in $(corpus_bodies); do
		send_msg alice -s "$f" -F "$CORPUS/$f" bob >/dev/null
	done
	run -0 --separate-stderr as bob dm-inbox --format '%a %F'
	[ "$(printf '%s\n' "$output" | sort -u)" = "0 N" ]
}
