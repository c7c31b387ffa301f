# sstctl round trips in two namespaces at once: independent state, JSON
# and text output, clear errors, nothing changed by a refused request.
set -eu
. "$SST/lib/topo.sh"

sst_insmod
# The sequence a user types first, flags after the command as with ip(8).
sstctl peers add 10.0.1.2
assert_eq "$(sstctl peers -j)" '[{"addr":"10.0.1.2","port":4795,"last_heard_ms":null}]' "init_net peers -j"
sstctl show halfpipes | grep -qi client || fail "no halfpipe table header"
sstctl peers del 10.0.1.2

ip netns add ns1
ip netns add ns2
n1() { ip netns exec ns1 sstctl "$@"; }
n2() { ip netns exec ns2 sstctl "$@"; }

n1 peers add 10.0.1.2
n1 peers add 10.0.1.3 port 5000
n2 peers add 10.0.1.4
assert_eq "$(n1 -j peers)" '[{"addr":"10.0.1.2","port":4795,"last_heard_ms":null},{"addr":"10.0.1.3","port":5000,"last_heard_ms":null}]' "ns1 peers"
assert_eq "$(n2 -j peers)" '[{"addr":"10.0.1.4","port":4795,"last_heard_ms":null}]' "ns2 peers"
assert_eq "$(sstctl -j peers)" '[]' "init_net peers"
log "peers in ns1:"; n1 peers

# Text output can be pasted back as input.
n1 peers > /tmp/ns1.peers
ip netns add ns3
while read -r line; do
	# shellcheck disable=SC2086
	ip netns exec ns3 sstctl peers add $line
done < /tmp/ns1.peers
assert_eq "$(ip netns exec ns3 sstctl -j peers)" "$(n1 -j peers)" "pasted peers"

# Half-pipes: none until the data path exists; the table still prints.
assert_eq "$(n1 -j show halfpipes)" '[]' "halfpipes json"
n1 show halfpipes | grep -qi client || fail "halfpipe table has no header: $(n1 show halfpipes)"
n1 show stats
n1 -j show stats | grep -q '"setups":0' || fail "stats json: $(n1 -j show stats)"

# Configuration is per namespace.
n1 config set mode drain keepalive 2500 port 4800 key "$(printf '%064x' 7)"
n1 -j config
n1 -j config | grep -q '"mode":"drain"' || fail "ns1 mode not drain: $(n1 -j config)"
n1 -j config | grep -q '"key_set":true' || fail "ns1 key not set: $(n1 -j config)"
n2 -j config | grep -q '"mode":"split"' || fail "ns2 mode changed: $(n2 -j config)"
n2 -j config | grep -q '"key_set":false' || fail "ns2 key set: $(n2 -j config)"
n1 -j config | grep -q "$(printf '%064x' 7)" && fail "the key is printed"

# Refusals: clear message, non-zero exit, nothing changed.
before=$(n1 -j peers)
expect_fail "no such peer" n1 peers del 10.0.1.99
expect_fail "already" n1 peers add 10.0.1.2
expect_fail "10.0.1.x" n1 peers add 10.0.1.x
expect_fail "IPv4" n1 peers add fe80::1
expect_fail "port" n1 peers add 10.0.1.7 port 0
expect_fail "port" n1 peers add 10.0.1.7 port 70000
expect_fail "keepalive" n1 config set keepalive 50
expect_fail "mode" n1 config set mode sideways
expect_fail "key" n1 config set key abcd
expect_fail "usage" n1 peers frobnicate
assert_eq "$(n1 -j peers)" "$before" "peers after refusals"

# Without CAP_NET_ADMIN: counters and configuration can be read; state
# dumps (peers, half-pipes: addresses and sequence numbers) and changes are
# refused and say why.
unpriv() { ip netns exec ns1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all sstctl "$@"; }
unpriv -j show stats | grep -q '"setups":' || fail "unprivileged stats read refused"
unpriv -j config | grep -q '"mode":"drain"' || fail "unprivileged config read refused"
expect_fail "CAP_NET_ADMIN" unpriv peers
expect_fail "CAP_NET_ADMIN" unpriv show halfpipes
# (Bounded: a join that is not refused would wait for events forever.)
expect_fail "CAP_NET_ADMIN" ip netns exec ns1 timeout 10 setpriv --reuid=65534 --regid=65534 \
	--clear-groups --inh-caps=-all sstctl monitor
expect_fail "CAP_NET_ADMIN" unpriv peers add 10.0.1.8
expect_fail "CAP_NET_ADMIN" unpriv peers del 10.0.1.2
expect_fail "CAP_NET_ADMIN" unpriv config set mode split
assert_eq "$(n1 -j peers)" "$before" "peers after unprivileged attempts"
n1 -j config | grep -q '"mode":"drain"' || fail "unprivileged user changed the mode"

n1 peers del 10.0.1.2
assert_eq "$(n1 -j peers)" '[{"addr":"10.0.1.3","port":5000,"last_heard_ms":null}]' "after del"
ip netns del ns1
ip netns del ns2
ip netns del ns3
rmmod splitstack
log "sstctl round trips: ok"
