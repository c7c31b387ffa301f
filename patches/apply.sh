#!/usr/bin/env bash
# Puts Split-Stack into a kernel source tree as net/splitstack:
#   patches/apply.sh /path/to/linux
# copies kmod/ (sources, Kbuild, uapi header) and Kconfig, then applies the
# patches that hook net/splitstack into net/Kconfig and net/Makefile.
# Running it again refreshes the copied files and skips applied patches.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 KERNEL_TREE" >&2; exit 2; }
tree=$(cd "$1" && pwd) || exit 1
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$tree/net/Kconfig" ] && [ -f "$tree/Makefile" ] ||
	{ echo "$tree does not look like a kernel source tree" >&2; exit 1; }

dst=$tree/net/splitstack
mkdir -p "$dst"
(cd "$top/kmod" && git ls-files -z 2>/dev/null || find . -type f -print0) |
	(cd "$top/kmod" && xargs -0 cp --parents -t "$dst")
cp "$top/Kconfig" "$dst/Kconfig"

for p in "$top"/patches/*.patch; do
	if patch -d "$tree" -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then
		echo "already applied: $(basename "$p")"
	else
		patch -d "$tree" -p1 -s -N <"$p"
		echo "applied: $(basename "$p")"
	fi
done
echo "net/splitstack is in $tree: enable CONFIG_SPLITSTACK (make menuconfig, Networking support)"
