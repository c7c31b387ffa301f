# The installed module, loaded as users load it: by name, with modprobe,
# from the tree `make install` staged ($SST/inst: splitstack.ko under
# lib/modules/<kernel>/updates, the programs under usr/local/bin), and
# from DKMS: with DKMS_IN_GUEST, dkms install and remove run here with the
# module dkms built on the host; otherwise from the tree `dkms install`
# made on the host ($SST/dkms). Staged trees are read by depmod -b and
# modprobe -d as /lib/modules would be.
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

if [ -n "${DKMS_IN_GUEST:-}" ]; then
	# DKMS as a user runs it, here, with what `dkms add` and `dkms build`
	# made on the host against this kernel's headers ($SST/dktree and
	# $SST/dksrc: compiling under TCG takes minutes): dkms install into
	# /lib/modules (a writable overlay: the guest's root is the host's,
	# read only), modprobe by name, dkms remove, and the module is gone.
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd	# dkms uses <(...)
	mkdir -p /tmp/ov/u /tmp/ov/w
	mount -t overlay overlay -o lowerdir=/lib/modules,upperdir=/tmp/ov/u,workdir=/tmp/ov/w /lib/modules ||
		fail "overlay on /lib/modules"
	ln -sfn "$SST/dksrc/splitstack-$SST_VERSION" "$SST/dktree/splitstack/$SST_VERSION/source"
	dk="-m splitstack -v $SST_VERSION --dkmstree $SST/dktree --sourcetree $SST/dksrc"
	# shellcheck disable=SC2086
	dkms install $dk -k "$v" --no-depmod >/tmp/dkms.log 2>&1 || { cat /tmp/dkms.log; fail "dkms install"; }
	depmod -a "$v" || fail "depmod after dkms install"	# once: minutes over 9p
	# shellcheck disable=SC2086
	dkms status $dk | grep -q "$v.*installed" || fail "dkms status: $(dkms status $dk)"
	modprobe splitstack || fail "modprobe splitstack after dkms install"
	[ "$(cat /sys/module/splitstack/version)" = "$SST_VERSION" ] || fail "dkms: wrong version loaded"
	"$SST/inst/usr/local/bin/sstctl" peers add 10.0.1.3 || fail "dkms: sstctl peers add"
	log "dkms install in the guest: modprobe splitstack ($(modinfo -F filename splitstack))"
	modprobe -r splitstack || fail "dkms: modprobe -r"
	# shellcheck disable=SC2086
	dkms remove $dk --all --no-depmod >/tmp/dkms.log 2>&1 || { cat /tmp/dkms.log; fail "dkms remove"; }
	! ls "/lib/modules/$v/updates/dkms/"splitstack.ko* 2>/dev/null || { cat /tmp/dkms.log; fail "dkms remove left the module"; }
	! modprobe splitstack 2>/dev/null || fail "modprobe splitstack still works after dkms remove"
	log "dkms remove: the module is gone, modprobe splitstack fails"
else
	[ -f "$SST/dkms/lib/modules/$v/updates/dkms/splitstack.ko.xz" ] ||
		[ -f "$SST/dkms/lib/modules/$v/updates/dkms/splitstack.ko" ] || fail "dkms install: no module for $v"
	load_from "$SST/dkms" "dkms install" "$SST/inst/usr/local/bin/sstctl"
fi
log "install: ok"
