# The installed module, loaded as users load it: by name, with modprobe,
# from the tree `make install` staged ($SST/inst: splitstack.ko under
# lib/modules/<kernel>/updates, the programs under usr/local/bin) and from
# the one `dkms install` made ($SST/dkms: updates/dkms/splitstack.ko.xz,
# built by DKMS from kmod/ and dkms.conf against this kernel's headers).
# The trees are staged on the host (the guest's root is read-only); depmod
# -b and modprobe -d read them here as /lib/modules would be read.
set -eu
. "$SST/lib/topo.sh"

v=$(uname -r)
! grep -q '^splitstack ' /proc/modules || fail "splitstack loaded before the test"

# load_from ROOT WHAT: depmod and modprobe splitstack from ROOT, check that
# the family answers, unload.
load_from() {
	depmod -b "$1" "$v" 2>/dev/null || fail "$2: depmod -b $1"
	modprobe -d "$1" splitstack || fail "$2: modprobe -d $1 splitstack"
	grep -q '^splitstack ' /proc/modules || fail "$2: not loaded after modprobe"
	[ "$(cat /sys/module/splitstack/version)" = "$SST_VERSION" ] ||
		fail "$2: version $(cat /sys/module/splitstack/version), want $SST_VERSION"
	"$3" peers add 10.0.1.3 || fail "$2: sstctl peers add"
	"$3" -j show stats | grep -q '"setups":0' || fail "$2: sstctl show stats"
	modprobe -d "$1" -r splitstack || fail "$2: modprobe -r"
	! grep -q '^splitstack ' /proc/modules || fail "$2: still loaded after modprobe -r"
	log "$2: modprobe splitstack ($(modinfo -b "$1" -k "$v" -F filename splitstack | sed "s|$1||")), sstctl, modprobe -r"
}

[ -f "$SST/inst/lib/modules/$v/updates/splitstack.ko" ] || fail "make install: no module for $v"
for p in sstctl sst-ds sst-os; do
	[ -x "$SST/inst/usr/local/bin/$p" ] || fail "make install: no $p"
done
[ -f "$SST/inst/usr/local/include/linux/splitstack.h" ] || fail "make install: no uapi header"
load_from "$SST/inst" "make install" "$SST/inst/usr/local/bin/sstctl"

[ -f "$SST/dkms/lib/modules/$v/updates/dkms/splitstack.ko.xz" ] ||
	[ -f "$SST/dkms/lib/modules/$v/updates/dkms/splitstack.ko" ] || fail "dkms install: no module for $v"
load_from "$SST/dkms" "dkms install" "$SST/inst/usr/local/bin/sstctl"
log "install: ok"
