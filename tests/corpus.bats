#!/usr/bin/env bats
# Real files from the shared corpus sent as attachments: exact bytes and
# the types file(1) gives them.

load test_helper

# expected_type NAME: the type dm must store for corpus attachment NAME.
# It is file(1)'s type, except that text/plain is refined by a text
# extension: libmagic calls debian.csv text/plain, dm calls it text/csv.
expected_type() {
	case $1 in
	debian.csv) echo text/csv ;;
	*) manifest_type "attachments/$1" ;;
	esac
}

# manifest_field FILE COLUMN: one column of MANIFEST.tsv for a corpus file.
manifest_field() {
	awk -F'\t' -v f="$1" -v c="$2" '$1 == f { print $c }' "$CORPUS/MANIFEST.tsv"
}

# send_corpus: alice sends bob every corpus attachment in one message, in
# directory order. Prints the id.
send_corpus() {
	local args=() f
	for f in "$CORPUS"/attachments/*; do
		args+=(-a "$f")
	done
	send_msg alice -s corpus -m 'every corpus file' "${args[@]}" bob
}

@test "corpus manifest names every attachment file" {
	require_corpus
	for f in "$CORPUS"/attachments/*; do
		name=attachments/${f##*/}
		[ -n "$(manifest_type "$name")" ] || {
			echo "missing from MANIFEST.tsv: $name" >&2
			return 1
		}
	done
}

@test "corpus attachments list with the type and size of file(1)" {
	require_corpus
	init_users alice bob
	id=$(send_corpus)
	n=0
	for f in "$CORPUS"/attachments/*; do
		n=$((n + 1))
		name=${f##*/}
		printf '%d\t%s\t%s\t%s\n' "$n" "$(expected_type "$name")" \
		    "$(manifest_field "attachments/$name" 2)" "$name"
	done >expected

	run -0 --separate-stderr as bob dm-attach "$id"
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[ -z "$stderr" ]
}

@test "corpus attachments extract to a pipe with their sha256" {
	require_corpus
	init_users alice bob
	id=$(send_corpus)
	n=0
	for f in "$CORPUS"/attachments/*; do
		n=$((n + 1))
		name=${f##*/}
		want=$(manifest_field "attachments/$name" 4)
		got=$(as bob dm-attach "$id" "$n" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$want" ] || {
			echo "$name: sha256 $got, MANIFEST.tsv has $want" >&2
			return 1
		}
	done
	[ "$n" -eq "$(ls "$CORPUS/attachments" | wc -l)" ]
}

@test "corpus attachments extract by name with -o with their sha256" {
	require_corpus
	init_users alice bob
	id=$(send_corpus)
	mkdir out
	for f in "$CORPUS"/attachments/*; do
		name=${f##*/}
		as bob dm-attach "$id" "$name" -o "out/$name"
		want=$(manifest_field "attachments/$name" 4)
		got=$(sha256sum <"out/$name" | cut -d' ' -f1)
		[ "$got" = "$want" ] || {
			echo "$name: sha256 $got, MANIFEST.tsv has $want" >&2
			return 1
		}
	done
}

@test "corpus attachments saved with --all keep names and sha256" {
	require_corpus
	init_users alice bob
	id=$(send_corpus)

	run -0 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$stderr" ]
	(cd "$CORPUS/attachments" && ls) >expected
	ls out >actual
	diff -u expected actual
	for f in "$CORPUS"/attachments/*; do
		name=${f##*/}
		want=$(manifest_field "attachments/$name" 4)
		got=$(sha256sum <"out/$name" | cut -d' ' -f1)
		[ "$got" = "$want" ] || {
			echo "$name: sha256 $got, MANIFEST.tsv has $want" >&2
			return 1
		}
	done
}

@test "corpus attachments keep their type when read from a pipe" {
	require_corpus
	init_users alice bob
	for f in "$CORPUS"/attachments/*; do
		name=${f##*/}
		id=$(send_msg alice -s "$name" -m 'from stdin' -n "$name" -a - bob <"$f")
		run -0 --separate-stderr as bob dm-attach "$id"
		want=$(printf '1\t%s\t%s\t%s' "$(expected_type "$name")" \
		    "$(manifest_field "attachments/$name" 2)" "$name")
		[ "$output" = "$want" ] || {
			echo "$name: listed '$output', expected '$want'" >&2
			return 1
		}
	done
}

@test "dm-attach --type agrees with file(1) on every corpus file" {
	require_corpus
	for f in "$CORPUS"/attachments/*; do
		expected_type "${f##*/}"
	done >expected

	run -0 --separate-stderr dm-attach --type "$CORPUS"/attachments/*
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[ -z "$stderr" ]
}
