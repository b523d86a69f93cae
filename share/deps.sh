#!/bin/sh
# Installs the Debian packages named as arguments when any is missing:
# with apt-get when run as root, else prints the command to run.
set -u

missing=""
for pkg in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "dm: missing packages:$missing" >&2
	echo "dm: this system has no apt-get: install the equivalents of" \
	    "those Debian packages, then run make again" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "dm: missing packages:$missing" >&2
	echo "dm: run: sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "dm: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq $missing >&2 || exit 1
