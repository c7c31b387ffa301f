# The control plane between nodes: a fake peer (ctrlcheck, pkg/wire)
# attacks the module in netns ds; then two real nodes (ds and os1) with
# the same key see each other alive, and with different keys do not;
# last, a namespace whose seq wraps (test knob initial_seq) goes on in a
# new epoch.
set -eu
. "$SST/lib/assert.sh"

key=$(printf '%064x' 7)
other=$(printf '%064x' 8)
modprobe veth
ip netns add ds
ip netns add os1
ip link add eth0 netns ds type veth peer name eth0 netns os1
ip -n ds addr add 10.0.1.2/24 dev eth0
ip -n os1 addr add 10.0.1.3/24 dev eth0
ip -n os1 addr add 10.0.1.9/24 dev eth0
ip -n os1 addr add 10.0.1.10/24 dev eth0
ip -n ds link set eth0 up
ip -n os1 link set eth0 up
ip -n ds link set lo up
ip -n os1 link set lo up

insmod "$SST/splitstack.ko"
ds() { ip netns exec ds sstctl "$@"; }
os1() { ip netns exec os1 sstctl "$@"; }

# A key set before any peer: no socket yet. The first peer opens it.
ds config set key "$key" keepalive 200
ds peers add 10.0.1.3
assert_eq "$(ds -j peers)" '[{"addr":"10.0.1.3","port":4795,"last_heard_ms":null}]' "ds peers before traffic"
ds peers | grep -q '^10.0.1.3 port 4795  # never heard$' || fail "text: $(ds peers)"

# A port that is taken: the request fails, nothing changes.
ip netns exec ds /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 4801))
time.sleep(120)' &
ncpid=$!
i=0
until ip netns exec ds ss -Hlun 'sport = :4801' | grep -q .; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "python did not bind 4801"; sleep 0.1
done
expect_fail "in use" ds config set port 4801 keepalive 300
ds -j config | grep -q '"port":4795,"keepalive_ms":200' || fail "config changed by a refused request: $(ds -j config)"
kill "$ncpid"; wait "$ncpid" 2>/dev/null || true
ds config set port 4802
ip netns exec ds ss -Hlun | grep -q ':4802 ' || fail "not rebound to 4802: $(ip netns exec ds ss -Hlun)"
ip netns exec ds ss -Hlun | grep -q ':4795 ' && fail "old socket still bound: $(ip netns exec ds ss -Hlun)"
ds config set port 4795
log "rebinding: ok"

# A second peer, also played by ctrlcheck: messages relabelled with its
# address must not verify.
ds peers add 10.0.1.10
ip netns exec os1 "$SST/bin/ctrlcheck" -netns /run/netns/ds -module 10.0.1.2:4795 \
	-local 10.0.1.3:4795 -alt 10.0.1.9 -peer2 10.0.1.10 -key "$key"
ds peers del 10.0.1.10

# Two real nodes, same key: both hear each other.
os1 config set key "$key" keepalive 200
os1 peers add 10.0.1.2
heard() { # NS: the only peer was heard less than a second ago
	ip netns exec "$1" sstctl -j peers | grep -Eq '"last_heard_ms":([0-9]|[1-9][0-9]|[1-9][0-9][0-9])}'
}
i=0
until heard ds && heard os1; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "nodes do not hear each other: ds $(ds -j peers) os1 $(os1 -j peers)"
	sleep 0.2
done
log "same key: ds $(ds peers), os1 $(os1 peers)"
ds -j show stats
os1 -j show stats

# Different keys: no longer heard, auth failures grow on both sides.
af() { ip netns exec "$1" sstctl -j show stats | sed 's/.*"auth_failures":\([0-9]*\).*/\1/'; }
os1 config set key "$other"
a_ds=$(af ds); a_os1=$(af os1)
sleep 1.5
[ "$(af ds)" -gt "$a_ds" ] || fail "ds auth_failures did not grow: $a_ds -> $(af ds)"
[ "$(af os1)" -gt "$a_os1" ] || fail "os1 auth_failures did not grow: $a_os1 -> $(af os1)"
heard ds && fail "ds still hears os1 with another key: $(ds -j peers)"
heard os1 && fail "os1 still hears ds with another key: $(os1 -j peers)"
log "different keys: ds $(ds peers), os1 $(os1 peers)"

ip netns del os1
ip netns del ds

# seq wrap: a namespace that opens its control socket with the test knob
# initial_seq set starts 100 messages before 2^32 (KEEPALIVEs every 100ms).
knob=/sys/module/splitstack/parameters/initial_seq
ip netns add w1
ip netns add w2
ip link add eth0 netns w1 type veth peer name eth0 netns w2
ip -n w1 addr add 10.0.2.2/24 dev eth0
ip -n w2 addr add 10.0.2.3/24 dev eth0
for n in w1 w2; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
ip netns exec w1 sstctl config set key "$key" keepalive 100
echo 4294967195 > $knob
ip netns exec w1 sstctl peers add 10.0.2.3
echo 0 > $knob
ip netns exec w2 "$SST/bin/ctrlcheck" -wrap -netns /run/netns/w1 -module 10.0.2.2:4795 \
	-local 10.0.2.3:4795 -key "$key"
ip netns del w1
ip netns del w2
rmmod splitstack
log "control plane: ok"
