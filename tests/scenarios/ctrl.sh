# The control plane between nodes: a fake peer (ctrlcheck, pkg/wire)
# attacks the module in netns ds; then two real nodes (ds and os1) with
# the same key see each other alive, and with different keys do not.
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

ip netns exec os1 "$SST/bin/ctrlcheck" -netns /run/netns/ds -module 10.0.1.2:4795 \
	-local 10.0.1.3:4795 -alt 10.0.1.9 -key "$key"

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
rmmod splitstack
log "control plane: ok"
