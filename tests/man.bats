#!/usr/bin/env bats
# The manual pages: mandoc finds no warnings, and every option a program's
# --help lists is documented in its page.

load test_helper

PROGRAMS="dm-init dm-send dm-inbox dm-read dm-attach dm-watch dm-mark dm-group"

@test "mandoc -Tlint finds no warnings in any page" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	for page in "$DM_TOP"/man/*.[157]; do
		run -0 --separate-stderr mandoc -Tlint -W warning "$page"
		[ -z "$output" ] || { echo "$page: $output" >&2; return 1; }
	done
}

@test "every program has a page and the suite has dm.5 and dm.7" {
	for prog in dm $PROGRAMS; do
		[ -f "$DM_TOP/man/$prog.1" ]
	done
	[ -f "$DM_TOP/man/dm.5" ]
	[ -f "$DM_TOP/man/dm.7" ]
}

@test "every long option in --help is documented in the page" {
	for prog in $PROGRAMS; do
		run -0 "$prog" --help
		options=$(grep -o -- '--[a-z][a-z-]*' <<< "$output" | sort -u)
		for opt in $options; do
			grep -q -- "^\.It .*Fl ${opt#-}\b" "$DM_TOP/man/$prog.1" ||
			    grep -q -- "Fl ${opt#-}\b" "$DM_TOP/man/$prog.1" || {
				echo "$prog: $opt is not in man/$prog.1" >&2
				return 1
			}
		done
	done
}

@test "every page lists the exit status table" {
	for prog in dm $PROGRAMS; do
		grep -q '^\.Sh EXIT STATUS' "$DM_TOP/man/$prog.1"
	done
}
