#!/bin/sh
# Checks topo.sh in a guest (POSIX sh on purpose, like the scenarios):
#	sst-vm -kernel 6.1 -file lib=tests/lib -script tests/lib/topo_selftest.sh
set -eu
# shellcheck source=topo.sh
. "${SST:-/sst}/lib/topo.sh"

topo_up

log "ping: client -> VIP, answered by the DS"
assert_ok n client busybox ping -c1 -W2 -q "$TOPO_VIP" >/dev/null
# The router sent it to the DS: its neighbour entry for the VIP's next hop
# is the DS's MAC (the OSes ignore ARP for the VIP).
ds_mac=$(n ds cat /sys/class/net/eth0/address)
router_nh=$(n router ip neigh show "$TOPO_DS_IP" dev eth1 | awk '{print $3}')
assert_eq "$router_nh" "$ds_mac" "router's next hop for the VIP"

log "tcp: client -> VIP:80, served by busybox httpd in the DS"
mkdir -p /tmp/www-ds
echo "hello from ds" >/tmp/www-ds/index.html
n_bg ds busybox httpd -f -p "$TOPO_VIP:80" -h /tmp/www-ds
wait_for_port ds 80
got=$(n client curl -sS --max-time 5 "http://$TOPO_VIP/index.html")
assert_eq "$got" "hello from ds" "http body"

log "os1 -> client directly, with the VIP as source"
n client tcpdump -i eth0 -n -l -c1 "icmp and src $TOPO_VIP and dst $TOPO_CLIENT_IP" \
	>/tmp/tcpdump.out 2>/tmp/tcpdump.err &
tcpdump_pid=$!
wait_until 10 grep -q "listening on" /tmp/tcpdump.err || fail "tcpdump did not start"
# The echo reply goes to the VIP, i.e. to the DS: os1's ping itself fails.
n os1 busybox ping -c1 -W1 -I "$TOPO_VIP" "$TOPO_CLIENT_IP" >/dev/null 2>&1 || true
wait_until 10 grep -q "ICMP echo request" /tmp/tcpdump.out ||
	fail "client did not see os1's packet: $(cat /tmp/tcpdump.out /tmp/tcpdump.err)"
wait "$tcpdump_pid" || true
# The DS does not forward, so os1's packet cannot have crossed it.
assert_eq "$(n ds cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward on the DS"
assert_ok n os1 busybox ping -c1 -W2 -q "$TOPO_CLIENT_IP" >/dev/null

rtt_ms() { # NS ADDR: one ping's round trip in whole ms
	n "$1" busybox ping -c1 -W3 "$2" | sed -n 's/.*time=\([0-9]*\).*/\1/p'
}
log "netem: 100ms on the router's client side"
topo_netem "delay 100ms"
rtt=$(rtt_ms client "$TOPO_ROUTER_IP")
[ "${rtt:-0}" -ge 100 ] || fail "rtt ${rtt:-?}ms with netem delay 100ms"
topo_netem none
rtt=$(rtt_ms client "$TOPO_ROUTER_IP")
[ "${rtt:-1000}" -lt 100 ] || fail "rtt ${rtt:-?}ms after removing netem"

log "offloads off on every veth"
for nsdev in client:eth0 router:eth0 router:eth1 ds:eth0 os1:eth0 os2:eth0 \
	lan:router lan:ds lan:os1 lan:os2; do
	off=$(n "${nsdev%:*}" ethtool -k "${nsdev#*:}" |
		grep -cE '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload): off')
	assert_eq "$off" 3 "offloads off on $nsdev"
done

topo_down
assert_eq "$(ip netns list | wc -l)" 0 "namespaces left after topo_down"
log "topology selftest passed"
