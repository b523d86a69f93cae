# Shared set-up for the bats tests: a fresh spool per test, one DM_HOME
# per identity, and the programs from this tree's bin/ first in PATH.

bats_require_minimum_version 1.5.0

DM_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
export PATH="$DM_TOP/bin:$PATH"

# With DM_VALGRIND set to a directory, every program runs under valgrind
# through a wrapper placed first in PATH; each process writes its report
# to that directory and exits 99 on a memory error or leak.
if [ -n "${DM_VALGRIND:-}" ]; then
	mkdir -p "$DM_VALGRIND/wrap"
	# Tests that run a program as another user need to write reports too.
	chmod 1777 "$DM_VALGRIND"
	chmod 755 "$DM_VALGRIND/wrap"
	for prog in "$DM_TOP"/bin/*; do
		wrapper=$DM_VALGRIND/wrap/${prog##*/}
		[ -x "$wrapper" ] && continue
		cat > "$wrapper.$$" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
    --log-file="$DM_VALGRIND/${prog##*/}.%p.log" "$prog" "\$@"
WRAP
		chmod +x "$wrapper.$$"
		mv "$wrapper.$$" "$wrapper"
	done
	export PATH="$DM_VALGRIND/wrap:$PATH"
fi

# The shared corpus of real files lives beside the repository; DM_SHARED
# points elsewhere when it was copied.
DM_SHARED=${DM_SHARED:-$(cd "$DM_TOP/.." && pwd)/shared}
CORPUS=$DM_SHARED/corpus

setup() {
	export DM_SPOOL="$BATS_TEST_TMPDIR/spool"
	export LC_ALL=C.UTF-8
	unset DM_USER DM_HOME NO_COLOR PAGER COLUMNS
	cd "$BATS_TEST_TMPDIR" || return 1
}

# as USER CMD...: runs CMD as identity USER with its own DM_HOME.
as() {
	local user=$1
	shift
	DM_USER=$user DM_HOME="$BATS_TEST_TMPDIR/home/$user" "$@"
}

# init_users USER...: creates keys and mailboxes, output discarded.
init_users() {
	local u
	for u in "$@"; do
		as "$u" dm-init >/dev/null 2>&1 || return 1
	done
}

# send_msg FROM ARGS...: sends and prints the message id.
send_msg() {
	local from=$1
	shift
	as "$from" dm-send "$@"
}

# require_corpus: skips the test when the shared corpus is absent.
require_corpus() {
	[ -d "$CORPUS" ] || skip "shared corpus not found at $CORPUS (set DM_SHARED)"
}

# manifest_type FILE: the type file(1) recorded for a corpus file.
manifest_type() {
	awk -F'\t' -v f="$1" '$1 == f { print $3 }' "$CORPUS/MANIFEST.tsv"
}

# flip_byte FILE OFFSET: inverts the lowest bit of one byte in place.
flip_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
path, offset = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    f.seek(offset)
    b = f.read(1)
    f.seek(offset)
    f.write(bytes([b[0] ^ 1]))
PY
}

# in_terminal CMD...: runs CMD with a pseudo-terminal as standard output,
# as a person at a terminal would, and prints what the terminal received.
in_terminal() {
	local cmd
	printf -v cmd '%q ' "$@"
	script -qec "$cmd" /dev/null
}

# assert_no_raw_controls FILE: fails when FILE contains ESC, BEL or C1 bytes.
assert_no_raw_controls() {
	if LC_ALL=C grep -qP '[\x07\x1b\x80-\x9f]' "$1"; then
		echo "raw control bytes reached the terminal:" >&2
		od -c "$1" | head -20 >&2
		return 1
	fi
}
