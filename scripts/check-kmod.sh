#!/usr/bin/env bash
# Kernel hygiene for kmod/: checkpatch --strict (from Debian's linux-source-6.1
# tarball, the headers package lacks it) and sparse (C=2) for each kernel
# version given; W=1 -Werror is part of every normal build already.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${XDG_CACHE_HOME:-$HOME/.cache}/splitstack/checkpatch
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "check: linux-source-6.1 is not installed (make deps)" >&2; exit 1; }
if [ ! -x "$cache/scripts/checkpatch.pl" ] || [ "$tarball" -nt "$cache/scripts/checkpatch.pl" ]; then
	mkdir -p "$cache"
	tar -xf "$tarball" -C "$cache" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$cache/scripts/checkpatch.pl"
fi

echo "== checkpatch --strict"
files=$(git ls-files 'kmod/*.c' 'kmod/*.h')
if ! perl "$cache/scripts/checkpatch.pl" --strict --no-tree --quiet --terse -f $files; then
	echo "checkpatch: findings above" >&2
	exit 1
fi
echo "checkpatch: clean"

for v in "$@"; do
	echo "== sparse ($v)"
	b=build/sparse-$v
	rm -rf "$b" && mkdir -p "$b" && cp -a kmod/. "$b/"
	out=$(make -s -C "/lib/modules/$v/build" M="$PWD/$b" W=1 C=2 modules 2>&1 | grep -v -e '^  ' || true)
	if echo "$out" | grep -E 'warning|error'; then
		echo "sparse: $v: warnings above" >&2
		exit 1
	fi
	echo "sparse $v: clean"
done
