# shellcheck shell=sh disable=SC3043
# (local is not POSIX, but dash, busybox ash and bash all have it.)
# topo.sh: network topology and helpers for splitstack guest scenarios.
#
# Source it from a scenario run by the qemu harness (sst-vm -file lib=tests/lib):
#
#	set -eu
#	. /sst/lib/topo.sh
#	topo_up
#	sst_insmod
#	...
#
# Topology (one network namespace each; LVS-DR style service address):
#
#	client 10.0.0.2 --eth0==eth0-- router 10.0.0.1 / 10.0.1.1 --eth1==router-- lan (br0)
#	                    (netem on router eth0)                                  |-ds-- ds  10.0.1.2
#	                                                                            |-os1- os1 10.0.1.3
#	                                                                            |-os2- os2 10.0.1.4
#
# The client connects to the VIP 10.0.2.1; the router routes it to the DS.
# The DS, OS1 and OS2 all hold the VIP on lo (/32) and neither answer nor
# announce it in ARP (arp_ignore=1, arp_announce=2). Their default route is
# the router, so an OS answers the client directly, not through the DS.
# Offloads (TSO, GSO, GRO) are off on every veth; IPv6 is off unless
# TOPO_IPV6=1.
#
# POSIX sh (dash, busybox ash) or bash. Needs iproute2, ethtool, tc and
# busybox (use `busybox ping`: iputils-ping may not be installed); the guest
# runs as root. Helpers poll with a deadline, never sleep blindly.

TOPO_NS="client router lan ds os1 os2"
TOPO_VIP=10.0.2.1
TOPO_CLIENT_IP=10.0.0.2
TOPO_ROUTER_IP=10.0.0.1     # router, client side
TOPO_ROUTER_LAN_IP=10.0.1.1 # router, LAN side
TOPO_DS_IP=10.0.1.2
TOPO_OS1_IP=10.0.1.3
TOPO_OS2_IP=10.0.1.4
SST=${SST:-/sst}

# Logging, assertions and polling live in assert.sh.
. "${SST}/lib/assert.sh"

# ---- namespaces ------------------------------------------------------------


# n NS CMD...: run CMD in network namespace NS.
n() {
	local ns="$1"
	shift
	ip netns exec "$ns" "$@"
}

# n_bg NS CMD...: run CMD in NS in the background ($! is its pid). Under
# bash it is disowned, so that topo_down kills it without a "Killed" report.
n_bg() {
	local ns="$1"
	shift
	ip netns exec "$ns" "$@" &
	# shellcheck disable=SC3044
	if [ -n "${BASH_VERSION:-}" ]; then disown $!; fi
}

_port_listening() { # NS PORT
	[ -n "$(n "$1" ss -Hltn "sport = :$2")" ]
}

# wait_for_port NS PORT [TIMEOUT_S=10]: wait until something listens on TCP
# PORT in NS.
wait_for_port() {
	wait_until "${3:-10}" _port_listening "$1" "$2" ||
		fail "wait_for_port: nothing listening on tcp port $2 in netns $1 after ${3:-10}s"
}

# _ip NS: run the ip(8) commands on stdin, one per line, in netns NS (one
# process for all: every exec costs ~0.1 s in an emulated guest).
_ip() {
	ip -n "$1" -batch - || fail "ip -batch in netns $1 failed"
}

# _sysctl NS KEY=VALUE...
_sysctl() {
	local ns="$1"
	shift
	n "$ns" sysctl -qw "$@" >/dev/null || fail "sysctl $* in netns $ns"
}

# _offloads_off NS DEV...: turn TSO, GSO and GRO off.
_offloads_off() {
	local ns="$1"
	shift
	# shellcheck disable=SC2016
	n "$ns" sh -c 'for d; do ethtool -K "$d" tso off gso off gro off || exit; done' _ "$@" ||
		fail "ethtool -K in netns $ns"
}

# _edge_up: the client and the router, once their links exist (netns
# client: eth0; router: eth0 to the client, eth1 to the LAN).
_edge_up() {
	_ip client <<-EOF
		link set lo up
		link set eth0 up
		addr add $TOPO_CLIENT_IP/24 dev eth0
		route add default via $TOPO_ROUTER_IP
	EOF
	_offloads_off client eth0
	_ip router <<-EOF
		link set lo up
		link set eth0 up
		link set eth1 up
		addr add $TOPO_ROUTER_IP/24 dev eth0
		addr add $TOPO_ROUTER_LAN_IP/24 dev eth1
		route add $TOPO_VIP/32 via $TOPO_DS_IP
	EOF
	_offloads_off router eth0 eth1
	_sysctl router net.ipv4.ip_forward=1
}

# _lan_up PORT...: the LAN, a bridge in netns lan with these ports.
_lan_up() {
	local p
	{
		echo "link set lo up"
		echo "link add br0 type bridge forward_delay 0"
		echo "link set br0 up"
		for p; do echo "link set $p master br0 up"; done
	} | _ip lan
	_offloads_off lan "$@"
}

# _modprobe MODULE...: load them, unless this kernel has no module tree
# here: then everything the tests use is built in (make test-debug).
_modprobe() {
	[ -e "/lib/modules/$(uname -r)/modules.dep" ] || return 0
	modprobe -qa "$@"
}

# topo_up: build the topology (tearing down any previous one first).
topo_up() {
	local host ip
	topo_down
	_modprobe veth sch_netem bridge || fail "modprobe veth sch_netem bridge"
	if [ "${TOPO_IPV6:-0}" != 1 ]; then
		# New namespaces inherit this from the initial one.
		sysctl -qw net.core.devconf_inherit_init_net=1 \
			net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null ||
			fail "sysctl: disable IPv6"
	fi

	# Namespaces and the veth pairs between them.
	ip -batch - <<-EOF || fail "topo_up: creating namespaces and links"
		netns add client
		netns add router
		netns add lan
		netns add ds
		netns add os1
		netns add os2
		link add eth0 netns client type veth peer name eth0 netns router
		link add router netns lan type veth peer name eth1 netns router
		link add ds netns lan type veth peer name eth0 netns ds
		link add os1 netns lan type veth peer name eth0 netns os1
		link add os2 netns lan type veth peer name eth0 netns os2
	EOF

	_edge_up
	_lan_up router ds os1 os2
	_host_up ds "$TOPO_DS_IP"
	_host_up os1 "$TOPO_OS1_IP"
	_host_up os2 "$TOPO_OS2_IP"

	# Wait until the bridge forwards: the router reaches every LAN host.
	for ip in "$TOPO_DS_IP" "$TOPO_OS1_IP" "$TOPO_OS2_IP"; do
		wait_until 10 n router busybox ping -c1 -W1 -q "$ip" >/dev/null ||
			fail "topo_up: router cannot reach $ip"
	done
	log "topology up"
}

# topo_down: kill every process in the topology's namespaces and delete them.
topo_down() {
	local ns pids
	for ns in $TOPO_NS; do
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" || fail "ip netns del $ns"
	done
}

# topo_netem SPEC [down|up|both]: impair the client link with netem
# (e.g. "delay 175ms loss 4%"). down (default) shapes the router's
# client-facing side (router -> client), up the client's side (client ->
# router). SPEC "none" removes the impairment.
topo_netem() {
	local spec="$1" dir="${2:-down}" where ns
	case $dir in
	down) where="router" ;;
	up) where="client" ;;
	both) where="router client" ;;
	*) fail "topo_netem: direction must be down, up or both, not '$dir'" ;;
	esac
	for ns in $where; do
		if [ "$spec" = none ]; then
			n "$ns" tc qdisc del dev eth0 root 2>/dev/null || true
		else
			# shellcheck disable=SC2086
			n "$ns" tc qdisc replace dev eth0 root netem $spec ||
				fail "topo_netem: tc netem '$spec' in $ns"
		fi
	done
}

# ---- the module --------------------------------------------------------------

# sst_insmod [PARAM=VALUE...]: load /sst/splitstack.ko (or $SST_MODULE)
# with a plain insmod, as the README says, unless it is loaded already.
sst_insmod() {
	local ko="${SST_MODULE:-$SST/splitstack.ko}"
	if grep -q '^splitstack ' /proc/modules; then
		return 0
	fi
	[ -f "$ko" ] || fail "sst_insmod: no module at $ko"
	insmod "$ko" "$@" || fail "sst_insmod: insmod $ko $* failed"
	log "loaded $(basename "$ko")"
}

# sst_rmmod: unload the module if it is loaded.
# sst_cluster [KEY_HEX]: Split-Stack between the nodes: one auth key on the
# DS and both OSes (a random one if none is given), the DS trusting both
# OSes and each OS trusting the DS.
sst_cluster() {
	local key="${1:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}" os
	n ds sstctl config set key "$key" || fail "sst_cluster: key on ds"
	n ds sstctl peers add "$TOPO_OS1_IP" || fail "sst_cluster: peer os1 on ds"
	n ds sstctl peers add "$TOPO_OS2_IP" || fail "sst_cluster: peer os2 on ds"
	for os in os1 os2; do
		n "$os" sstctl config set key "$key" || fail "sst_cluster: key on $os"
		n "$os" sstctl peers add "$TOPO_DS_IP" || fail "sst_cluster: peer ds on $os"
	done
}

# sst_www DIR NAME:SIZE...: the same random files under DIR/os1, DIR/os2
# and DIR/local (the replicated content of the paper's cluster).
sst_www() {
	local dir="$1" f name size
	shift
	mkdir -p "$dir/os1" "$dir/os2" "$dir/local" || fail "sst_www: mkdir $dir"
	for f in "$@"; do
		name=${f%%:*} size=${f#*:}
		head -c "$size" /dev/urandom >"$dir/os1/$name" || fail "sst_www: $name"
		cp "$dir/os1/$name" "$dir/os2/$name"
		cp "$dir/os1/$name" "$dir/local/$name"
	done
}

sst_rmmod() {
	if grep -q '^splitstack ' /proc/modules; then
		rmmod splitstack || fail "rmmod splitstack"
	fi
}

# ---- a cluster of guests (one kernel per node) ------------------------------
#
# The same addresses as topo_up, but OS1 and OS2 are other guests, joined
# to the DS's guest by virtio-net links (qemu.Link, tests/cluster_test.go):
#
#	DS guest:  client -- router -- lan (br0) --uplink1 (link 0)-- OS1 guest: os1 (eth0)
#	                                   |  \--ds                          10.0.1.3
#	                                   \--uplink2 (link 1)------ OS2 guest: os2 (eth0)
#	                                                                  10.0.1.4
#
# Every guest runs the same scenario with SST_ROLE=ds|os1|os2; a node's
# netns has the node's name in every guest, so `n os1 ...` works in the
# OS1 guest. The DS guest's scenario drives the test; the OS guests wait
# for it with cluster_wait_done, then check their own node.

# _nics_up N: load virtio_net and wait for eth0..eth(N-1).
_nics_up() {
	local i=0
	modprobe -q virtio_net 2>/dev/null || true # built in on some kernels
	while [ $i -lt "$1" ]; do
		wait_until 10 test -e "/sys/class/net/eth$i" || fail "no eth$i in the guest (virtio-net)"
		i=$((i + 1))
	done
}

# _host_up NS IP: the LVS-DR address plan of a DS or OS node in NS.
_host_up() {
	_ip "$1" <<-EOF
		link set lo up
		link set eth0 up
		addr add $TOPO_VIP/32 dev lo
		addr add $2/24 dev eth0
		route add default via $TOPO_ROUTER_LAN_IP
	EOF
	_offloads_off "$1" eth0
	_sysctl "$1" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
		net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
}

# topo_cluster_up ROLE: this guest's part of the cluster topology.
topo_cluster_up() {
	local role="$1" ip
	_modprobe veth sch_netem bridge || fail "modprobe veth sch_netem bridge"
	sysctl -qw net.core.devconf_inherit_init_net=1 \
		net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null ||
		fail "sysctl: disable IPv6"
	case $role in
	ds)
		_nics_up 2
		TOPO_NS="client router lan ds"
		ip -batch - <<-EOF || fail "topo_cluster_up: namespaces and links"
			netns add client
			netns add router
			netns add lan
			netns add ds
			link set eth0 name uplink1
			link set uplink1 netns lan
			link set eth1 name uplink2
			link set uplink2 netns lan
			link add eth0 netns client type veth peer name eth0 netns router
			link add router netns lan type veth peer name eth1 netns router
			link add ds netns lan type veth peer name eth0 netns ds
		EOF
		_edge_up
		_lan_up router ds uplink1 uplink2
		_host_up ds "$TOPO_DS_IP"
		# The OS guests may still be booting: wait for both.
		for ip in "$TOPO_OS1_IP" "$TOPO_OS2_IP"; do
			wait_until 120 n router busybox ping -c1 -W1 -q "$ip" >/dev/null ||
				fail "topo_cluster_up: router cannot reach $ip (OS guest down?)"
		done
		;;
	os1 | os2)
		_nics_up 1
		TOPO_NS="$role"
		ip netns add "$role" || fail "netns add $role"
		ip link set eth0 netns "$role" || fail "eth0 to netns $role"
		ip=$TOPO_OS1_IP
		[ "$role" = os2 ] && ip=$TOPO_OS2_IP
		_host_up "$role" "$ip"
		;;
	*) fail "topo_cluster_up: role must be ds, os1 or os2, not '$role'" ;;
	esac
	log "cluster topology up ($role)"
}

# cluster_wait_done [TIMEOUT_S=1800]: on an OS guest, wait until the DS
# guest's scenario has ended (the harness creates /sst/.sst/done).
cluster_wait_done() {
	wait_until "${1:-1800}" test -e "$SST/.sst/done" || fail "the DS guest never finished"
}

# cluster_keys ROLE: the key ($SST_KEY, the same in every guest) and the
# peers of this node.
cluster_keys() {
	local ns="$1"
	[ -n "${SST_KEY:-}" ] || fail "cluster_keys: no SST_KEY"
	n "$ns" sstctl config set key "$SST_KEY" || fail "key on $ns"
	if [ "$ns" = ds ]; then
		n ds sstctl peers add "$TOPO_OS1_IP" || fail "peer os1 on ds"
		n ds sstctl peers add "$TOPO_OS2_IP" || fail "peer os2 on ds"
	else
		n "$ns" sstctl peers add "$TOPO_DS_IP" || fail "peer ds on $ns"
	fi
}
