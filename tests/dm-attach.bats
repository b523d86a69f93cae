#!/usr/bin/env bats
# dm-attach: listing, extraction, saving under safe names, type detection.

load test_helper

# make_files: writes notes.txt and data.gz, the attachments most tests
# send. gzip -n leaves out the time stamp, so the bytes never change.
make_files() {
	printf 'first line\nsecond line\n' >notes.txt
	printf 'compressed text\n' | gzip -n >data.gz
}

# send_files: alice sends bob notes.txt and data.gz. Prints the id.
send_files() {
	make_files
	send_msg alice -s files -m 'two files' -a notes.txt -a data.gz bob
}

@test "dm-attach lists attachments as tab-separated lines" {
	init_users alice bob
	id=$(send_files)
	printf '1\ttext/plain\t23\tnotes.txt\n2\tapplication/gzip\t%s\tdata.gz\n' \
	    "$(stat -c %s data.gz)" >expected

	run -0 --separate-stderr as bob dm-attach "$id"
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[ -z "$stderr" ]
}

@test "dm-attach lists aligned columns on a terminal" {
	init_users alice bob
	id=$(send_files)

	run -0 as bob in_terminal dm-attach "$id"
	mapfile -t lines < <(printf '%s' "$output" | tr -d '\r')
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^\ +1\ +text/plain\ +23\ notes\.txt$ ]]
	[[ ${lines[1]} =~ ^\ +2\ +application/gzip\ +[0-9]+\ data\.gz$ ]]
	first=${lines[0]%%notes.txt}
	second=${lines[1]%%data.gz}
	[ "${#first}" -eq "${#second}" ]
}

@test "dm-attach exits 1 for a message without attachments" {
	init_users alice bob
	id=$(send_msg alice -s plain -m 'no files' bob)

	run -1 --separate-stderr as bob dm-attach "$id"
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: message $id has no attachments" ]

	run -1 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: message 1 has no attachments" ]
	[ ! -e out ] || [ -z "$(ls -A out)" ]
}

@test "dm-attach writes an attachment by number to stdout" {
	init_users alice bob
	id=$(send_files)

	as bob dm-attach "$id" 2 >got.gz 2>err
	cmp data.gz got.gz
	[ ! -s err ]
	as bob dm-attach "$id" 1 >got.txt
	cmp notes.txt got.txt
}

@test "dm-attach writes an attachment by name to stdout" {
	init_users alice bob
	id=$(send_files)

	as bob dm-attach "$id" data.gz >got.gz
	cmp data.gz got.gz
	as bob dm-attach "$id" notes.txt >got.txt
	cmp notes.txt got.txt
}

@test "dm-attach -o writes the attachment to FILE" {
	init_users alice bob
	id=$(send_files)

	run -0 --separate-stderr as bob dm-attach "$id" 2 -o saved.gz
	[ -z "$output" ]
	[ -z "$stderr" ]
	cmp data.gz saved.gz

	run -0 --separate-stderr as bob dm-attach "$id" notes.txt --output saved.txt
	cmp notes.txt saved.txt
}

@test "dm-attach -o rejects an existing file without --force" {
	init_users alice bob
	id=$(send_files)
	mkdir out
	printf 'keep me\n' >out/saved.gz

	run -73 --separate-stderr as bob dm-attach "$id" 2 -o out/saved.gz
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: file exists: out/saved.gz: use --force to overwrite" ]
	[ "$(cat out/saved.gz)" = "keep me" ]
	[ "$(ls -A out)" = saved.gz ]
}

@test "dm-attach -o --force overwrites an existing file" {
	init_users alice bob
	id=$(send_files)
	printf 'old\n' >saved.gz

	run -0 --separate-stderr as bob dm-attach --force "$id" 2 -o saved.gz
	[ -z "$stderr" ]
	cmp data.gz saved.gz

	printf 'old\n' >saved.txt
	run -0 --separate-stderr as bob dm-attach -f "$id" 1 -o saved.txt
	cmp notes.txt saved.txt
}

@test "dm-attach --all -d saves and prints every path" {
	init_users alice bob
	id=$(send_files)

	run -0 --separate-stderr as bob dm-attach "$id" --all -d out
	printf 'out/notes.txt\nout/data.gz\n' >expected
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[ -z "$stderr" ]
	cmp notes.txt out/notes.txt
	cmp data.gz out/data.gz
	[ "$(ls -A out | wc -l)" -eq 2 ]
}

@test "dm-attach --all saves into the current directory by default" {
	init_users alice bob
	id=$(send_files)
	mkdir save
	cd save

	run -0 --separate-stderr as bob dm-attach "$id" --all
	[ "$output" = "$(printf './notes.txt\n./data.gz')" ]
	cmp ../notes.txt notes.txt
	cmp ../data.gz data.gz
}

@test "dm-attach --all writes nothing when one target exists" {
	init_users alice bob
	id=$(send_files)
	mkdir out
	printf 'keep me\n' >out/data.gz

	run -73 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: file exists: out/data.gz: nothing saved; use --force to overwrite" ]
	[ ! -e out/notes.txt ]
	[ "$(cat out/data.gz)" = "keep me" ]
	[ "$(ls -A out)" = data.gz ]
}

@test "dm-attach --all stops at a dangling symlink" {
	init_users alice bob
	id=$(send_files)
	mkdir out
	ln -s "$BATS_TEST_TMPDIR/nowhere" out/data.gz

	run -73 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$output" ]
	[[ $stderr == *"file exists: out/data.gz: nothing saved"* ]]
	[ ! -e out/notes.txt ]
	[ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
	[ -L out/data.gz ]
}

@test "dm-attach --all --force overwrites existing files" {
	init_users alice bob
	id=$(send_files)
	mkdir out
	printf 'old\n' >out/data.gz
	printf 'old\n' >out/notes.txt

	run -0 --separate-stderr as bob dm-attach "$id" --all --force -d out
	[ "$output" = "$(printf 'out/notes.txt\nout/data.gz')" ]
	[ -z "$stderr" ]
	cmp notes.txt out/notes.txt
	cmp data.gz out/data.gz
	[ "$(ls -A out | wc -l)" -eq 2 ]
}

@test "dm-attach writes a text attachment to a terminal escaped" {
	init_users alice bob
	printf 'title\033]0;owned\007 clear\033[2J\x9b done\r\nend\n' >esc.txt
	id=$(send_msg alice -s escapes -m 'see file' -a esc.txt bob)

	run -0 as bob in_terminal dm-attach "$id" 1
	printf '%s' "$output" >terminal.out
	assert_no_raw_controls terminal.out
	[[ $output == *'title\e]0;owned\x07 clear\e[2J\x9b done'* ]]
	[[ $output == *end* ]]
}

@test "dm-attach writes a text attachment to a pipe byte for byte" {
	init_users alice bob
	printf 'title\033]0;owned\007 clear\033[2J\x9b done\r\nend\n' >esc.txt
	id=$(send_msg alice -s escapes -m 'see file' -a esc.txt bob)

	as bob dm-attach "$id" 1 >got.txt
	cmp esc.txt got.txt
}

@test "dm-attach rejects binary data to a terminal" {
	init_users alice bob
	id=$(send_files)

	run -64 as bob in_terminal dm-attach "$id" 2
	[[ $output == *"dm-attach: not writing application/gzip data to a terminal: use -o FILE or a pipe"* ]]
	[[ $output != *$'\x1f\x8b'* ]]
}

@test "dm-attach exits 66 for an unknown message" {
	init_users alice bob
	send_files >/dev/null

	run -66 --separate-stderr as bob dm-attach 99
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: unknown message: 99" ]

	run -66 --separate-stderr as bob dm-attach 0123456789abcdefghjkmnpqrs
	[ "$stderr" = "dm-attach: unknown message: 0123456789abcdefghjkmnpqrs" ]
}

@test "dm-attach exits 64 for a malformed message id" {
	init_users alice bob

	run -64 --separate-stderr as bob dm-attach 'bad!'
	[ -z "$output" ]
	[[ $stderr == "dm-attach: invalid message id: bad!"* ]]
}

@test "dm-attach exits 66 for an unknown attachment number" {
	init_users alice bob
	id=$(send_files)

	run -66 --separate-stderr as bob dm-attach "$id" 3
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: no attachment 3 in message 1" ]

	run -66 --separate-stderr as bob dm-attach "$id" 0
	[ "$stderr" = "dm-attach: no attachment 0 in message 1" ]
}

@test "dm-attach exits 66 for an unknown attachment name" {
	init_users alice bob
	id=$(send_files)

	run -66 --separate-stderr as bob dm-attach "$id" missing.pdf -o out.pdf
	[ -z "$output" ]
	[ "$stderr" = "dm-attach: no attachment missing.pdf in message 1" ]
	[ ! -e out.pdf ]
}

@test "dm-attach exits 64 for usage errors" {
	init_users alice bob
	id=$(send_files)

	for args in "" "$id 1 2" "$id 1 --all" "$id -d out" "$id -o out" \
	    "$id --all -o out" "--type" "--type -o out notes.txt" \
	    "--type --all notes.txt" "--no-such-option $id"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr as bob dm-attach $args
		[ -z "$output" ]
		[[ $stderr == *"usage: dm-attach ID"* ]]
	done
	[ ! -e out ]
}

@test "dm-attach exits 65 when a stored attachment fails verification" {
	init_users alice bob
	id=$(send_files)
	as bob dm-attach "$id" >/dev/null
	flip_byte "$DM_SPOOL/users/bob/store/$id.2" 30

	run -65 --separate-stderr as bob dm-attach "$id" 2 -o saved.gz
	[ -z "$output" ]
	[[ $stderr == "dm-attach: verification failed: $DM_SPOOL/users/bob/store/$id.2: "* ]]
	[ ! -e saved.gz ]
}

@test "dm-attach --type prints one detected type a line" {
	make_files
	printf 'a,b\n1,2\n' >two.csv
	printf '<!DOCTYPE html>\n<html><body>hi</body></html>\n' >page.html
	: >empty.txt
	printf 'application/gzip\ntext/plain\ntext/csv\ntext/html\ntext/plain\n' >expected

	run -0 --separate-stderr dm-attach --type data.gz notes.txt two.csv page.html empty.txt
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[ -z "$stderr" ]
}

@test "dm-attach --type exits 66 for a missing file and goes on" {
	make_files

	run -66 --separate-stderr dm-attach --type notes.txt missing.bin data.gz
	[ "$output" = "$(printf 'text/plain\napplication/gzip')" ]
	[ "$stderr" = "dm-attach: cannot open missing.bin: No such file or directory" ]
}

# Attachment names and extraction

@test "dm-attach --all keeps names with slashes apart" {
	init_users alice bob
	printf one >one
	printf two >two
	id=$(send_msg alice -s invoices -m 'two invoices' -n inv/7/x.pdf -a one \
	    -n inv/8/x.pdf -a two bob)

	run -0 --separate-stderr as bob dm-attach "$id" --all -d out
	[ "$output" = "$(printf 'out/x.pdf\nout/x (2).pdf')" ]
	[ "$(find out -mindepth 1 | wc -l)" -eq 2 ]
	[ "$(find out -mindepth 1 -type f | wc -l)" -eq 2 ]
	[ "$(cat out/x.pdf)" = one ]
	[ "$(cat 'out/x (2).pdf')" = two ]

	# A second save into the same directory must not overwrite silently.
	run -73 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$output" ]
	[[ $stderr == *"file exists: out/x.pdf: nothing saved; use --force to overwrite" ]]
	[ "$(find out -mindepth 1 | wc -l)" -eq 2 ]
	[ "$(cat out/x.pdf)" = one ]
	[ "$(cat 'out/x (2).pdf')" = two ]
}

@test "dm-attach extracts a name with slashes by its full name" {
	init_users alice bob
	printf one >one
	printf two >two
	id=$(send_msg alice -s invoices -m 'two invoices' -n inv/7/x.pdf -a one \
	    -n inv/8/x.pdf -a two bob)

	run -0 --separate-stderr as bob dm-attach "$id" inv/8/x.pdf
	[ "$output" = two ]
	run -0 --separate-stderr as bob dm-attach "$id" inv/7/x.pdf
	[ "$output" = one ]
}

# send_hostile_names: alice sends bob seven files under names that try to
# leave the target directory, hide, or name a device. Prints the id.
send_hostile_names() {
	local i
	for i in 1 2 3 4 5 6 7; do
		printf 'content %s\n' "$i" >"$BATS_TEST_TMPDIR/f$i"
	done
	(
		cd "$BATS_TEST_TMPDIR" &&
		send_msg alice -s names -m 'hostile names' \
		    -n ../../.profile -a f1 -n /tmp/abs -a f2 -n . -a f3 \
		    -n .. -a f4 -n '' -a f5 -n $'a\nb' -a f6 -n con -a f7 bob
	)
}

@test "dm-attach lists hostile names escaped, one line each" {
	init_users alice bob
	id=$(send_hostile_names)
	printf '%s\n' $'1\ttext/plain\t10\t../../.profile' \
	    $'2\ttext/plain\t10\t/tmp/abs' $'3\ttext/plain\t10\t.' \
	    $'4\ttext/plain\t10\t..' $'5\ttext/plain\t10\t' \
	    $'6\ttext/plain\t10\ta\\nb' $'7\ttext/plain\t10\tcon' >expected

	run -0 --separate-stderr as bob dm-attach "$id"
	printf '%s\n' "$output" >actual
	diff -u expected actual
}

@test "dm-attach --all keeps hostile names inside the target directory" {
	init_users alice bob
	id=$(send_hostile_names)
	mkdir -p w/a/b
	cd w/a/b
	tmp_before=$(stat -c '%i %Z' /tmp/abs 2>/dev/null || echo absent)
	tree_before=$(cd "$BATS_TEST_TMPDIR/w" && find . | sort)

	run -0 --separate-stderr as bob dm-attach "$id" --all -d out
	[ -z "$stderr" ]
	printf '%s\n' out/profile out/abs out/attachment-3 out/attachment-4 \
	    out/attachment-5 out/a_b out/_con >"$BATS_TEST_TMPDIR/expected"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/actual"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/actual"

	# Each file is in out/, regular, visible, with the content sent.
	i=1
	for name in profile abs attachment-3 attachment-4 attachment-5 a_b _con; do
		[ -f "out/$name" ]
		[ ! -L "out/$name" ]
		[ "$(cat "out/$name")" = "content $i" ]
		i=$((i + 1))
	done
	[ "$(find out -mindepth 1 | wc -l)" -eq 7 ]
	[ -z "$(find out -mindepth 1 -name '.*')" ]

	# Nothing appeared anywhere else: not in the parents, not in /tmp.
	tree_after=$(cd "$BATS_TEST_TMPDIR/w" && find . | grep -v '^\./a/b/out/' | sort)
	[ "$tree_after" = "$(printf '%s\n./a/b/out' "$tree_before" | sort)" ]
	[ ! -e "$BATS_TEST_TMPDIR/.profile" ]
	[ ! -e "$BATS_TEST_TMPDIR/w/.profile" ]
	[ ! -e "$BATS_TEST_TMPDIR/w/a/.profile" ]
	[ "$(stat -c '%i %Z' /tmp/abs 2>/dev/null || echo absent)" = "$tmp_before" ]
}

@test "dm-attach -o writes exactly FILE and nothing else" {
	init_users alice bob
	id=$(send_hostile_names)
	mkdir out
	tmp_before=$(stat -c '%i %Z' /tmp/abs 2>/dev/null || echo absent)

	for n in 1 2 3 4 5 6 7; do
		run -0 --separate-stderr as bob dm-attach "$id" "$n" -o "out/saved-$n"
		[ -z "$output" ]
		[ -z "$stderr" ]
		[ "$(cat "out/saved-$n")" = "content $n" ]
	done
	[ "$(ls -A out)" = "$(printf 'saved-%s\n' 1 2 3 4 5 6 7)" ]
	[ ! -e "$BATS_TEST_TMPDIR/.profile" ]
	[ "$(stat -c '%i %Z' /tmp/abs 2>/dev/null || echo absent)" = "$tmp_before" ]
}

# Bytes kept exactly

@test "dm-attach extracts a CRLF text attachment byte for byte" {
	init_users alice bob
	printf 'line one\r\nline two\r\n\r\nlast line\r\n' >crlf.txt
	id=$(send_msg alice -s crlf -m 'windows text' -a crlf.txt bob)
	want=$(sha256sum <crlf.txt)

	as bob dm-attach "$id" 1 >piped.txt
	[ "$(sha256sum <piped.txt)" = "$want" ]
	as bob dm-attach "$id" 1 -o saved.txt
	[ "$(sha256sum <saved.txt)" = "$want" ]
	as bob dm-attach "$id" --all -d out >/dev/null
	[ "$(sha256sum <out/crlf.txt)" = "$want" ]
}

@test "dm-attach keeps empty and one-newline files" {
	init_users alice bob
	: >empty.txt
	printf '\n' >newline.txt
	id=$(send_msg alice -s small -m 'tiny files' -a empty.txt -a newline.txt bob)
	printf '1\ttext/plain\t0\tempty.txt\n2\ttext/plain\t1\tnewline.txt\n' >expected

	run -0 --separate-stderr as bob dm-attach "$id"
	printf '%s\n' "$output" >actual
	diff -u expected actual
	[[ $output != *x-empty* ]]

	as bob dm-attach "$id" 1 -o got-empty
	as bob dm-attach "$id" 2 -o got-newline
	[ "$(stat -c %s got-empty)" -eq 0 ]
	[ "$(stat -c %s got-newline)" -eq 1 ]
	cmp newline.txt got-newline

	as bob dm-attach "$id" --all -d out >/dev/null
	[ "$(stat -c %s out/empty.txt)" -eq 0 ]
	[ "$(stat -c %s out/newline.txt)" -eq 1 ]
}

@test "dm-attach types an empty attachment from stdin as text" {
	init_users alice bob
	id=$(send_msg alice -s empty -m 'empty stdin' -a - bob </dev/null)

	run -0 --separate-stderr as bob dm-attach "$id"
	[ "$output" = "$(printf '1\ttext/plain\t0\tstdin')" ]
}

@test "dm-attach lists short and long CSV files as text/csv" {
	init_users alice bob
	printf 'a,b\n1,2\n' >two.csv
	printf 'name,qty,price\napple,1,0.5\npear,2,0.75\nplum,3,1.25\n' >four.csv
	id=$(send_msg alice -s tables -m 'two tables' -a two.csv -a four.csv bob)

	run -0 --separate-stderr as bob dm-attach "$id"
	printf '1\ttext/csv\t%s\ttwo.csv\n2\ttext/csv\t%s\tfour.csv\n' \
	    "$(stat -c %s two.csv)" "$(stat -c %s four.csv)" >expected
	printf '%s\n' "$output" >actual
	diff -u expected actual
}

@test "dm-attach lists the type stored when sent" {
	init_users alice bob
	make_files
	printf 'a,b\n1,2\n' >two.csv
	id=$(send_msg alice -s tables -m 'stored types' -a two.csv -a data.gz bob)
	: >empty.magic

	# The reader's libmagic database would call data.gz something else.
	run -0 env MAGIC="$BATS_TEST_TMPDIR/empty.magic" dm-attach --type data.gz
	[ "$output" = application/octet-stream ]

	run -0 --separate-stderr env MAGIC="$BATS_TEST_TMPDIR/empty.magic" \
	    DM_USER=bob DM_HOME="$BATS_TEST_TMPDIR/home/bob" dm-attach "$id"
	printf '1\ttext/csv\t8\ttwo.csv\n2\tapplication/gzip\t%s\tdata.gz\n' \
	    "$(stat -c %s data.gz)" >expected
	printf '%s\n' "$output" >actual
	diff -u expected actual
}

@test "type refinement normalises aliases and keeps specific types" {
	command -v cc >/dev/null || skip "no C compiler"
	command -v pkg-config >/dev/null || skip "no pkg-config"
	[ -f "$DM_TOP/lib/libdm.a" ] || skip "lib/libdm.a not built (run make all)"
	cat >refine.c <<'EOF'
#include <stdio.h>
#include <string.h>

#include "attach.h"

/* Prints dm_type_refine(TYPE, NAME, CONTENT) for each argument triple. */
int
main(int argc, char **argv)
{
	char out[DM_TYPE_BUFSIZE];
	int i;

	for (i = 1; i + 2 < argc; i += 3) {
		dm_type_refine(argv[i], argv[i + 1], argv[i + 2],
		    strlen(argv[i + 2]), out);
		puts(out);
	}
	return 0;
}
EOF
	# A library built with SANITIZE=1 needs the sanitizer runtimes too.
	san=()
	if grep -q fsanitize "$DM_TOP/lib/.build-flags" 2>/dev/null; then
		san=(-fsanitize=address,undefined)
	fi
	# shellcheck disable=SC2046
	cc -std=c11 "${san[@]}" -I"$DM_TOP/lib" -o refine refine.c \
	    "$DM_TOP/lib/libdm.a" $(pkg-config --libs sqlite3 libsodium libmagic jansson)

	run -0 ./refine \
	    application/csv data.csv 'a,b' \
	    APPLICATION/CSV data 'a,b' \
	    application/x-csv data.txt 'a,b' \
	    text/x-csv data 'a,b' \
	    text/comma-separated-values data 'a,b' \
	    text/x-markdown notes.md '# hi' \
	    text/plain table.csv 'a,b' \
	    text/plain TABLE.CSV 'a,b' \
	    text/plain python.xbm '#define' \
	    image/png image.csv 'PNG' \
	    application/octet-stream short.csv 'a,b' \
	    application/octet-stream short.bin $'\x01\x02' \
	    application/x-empty empty.csv '' \
	    inode/x-empty empty ''
	printf '%s\n' text/csv text/csv text/csv text/csv text/csv \
	    text/markdown text/csv text/csv text/plain image/png text/csv \
	    application/octet-stream text/csv text/plain >expected
	printf '%s\n' "$output" >actual
	diff -u expected actual
}
