#!/usr/bin/env bash
# Installs what Split-Stack needs to build and test on Debian 12, by
# package name. Idempotent: it installs only what is missing.
set -euo pipefail

pkgs=(
	# build
	make gcc libc6-dev libelf-dev bc kmod
	# the two Debian kernels the module targets, and their headers
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# QEMU harness
	qemu-system-x86 busybox-static cpio xz-utils zstd
	# scenarios and real clients
	iproute2 ethtool tcpdump curl httperf python3
	# kernel hygiene: checkpatch.pl comes from the source tarball
	linux-source-6.1 sparse
	# make dkms-install, and its test
	dkms openssl
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	[ "$(id -u)" = 0 ] || { echo "deps: need root for apt-get" >&2; exit 1; }
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null; then
	echo "deps: Go is not on PATH (expected /usr/local/go/bin/go)" >&2
	exit 1
fi
echo "deps: ok"
