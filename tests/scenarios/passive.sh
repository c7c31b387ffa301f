# The passive layer on os1, driven by a DS played in user space (fakeds ds
# in netns ds, no module configured there): an unmodified curl in netns
# client opens a connection to the VIP, which the router sends to the DS;
# the DS reads the request, freezes its socket with TCP_REPAIR and sends
# SETUP to os1, whose module builds the socket and queues it to the
# application (fakeds serve) on VIP:80. The application answers straight
# to the client and closes; the module sends DATA_DONE; the DS sends RESET.
#
# Three connections: 1 closes, 2 shuts down (SHUT_WR) then closes, 3 sets
# SO_LINGER{1,0} (a plain socket would send an RST) then closes and is
# never RESET (the DS stops its KEEPALIVEs) and must be garbage-collected.
# Connection 1 also gets a duplicate SETUP (ignored), a SETUP for its live
# 4-tuple under another id (refused with ABORT) and a malformed one.
#
# The responses (6000-byte bodies) fit in the initial window: there is no
# ACK forwarding yet, the client's ACKs reach the silent DS, so the OS can
# never send more than its first cwnd.
set -eu
. "$SST/lib/topo.sh"

key=$(printf '%064x' 42)
bin=$SST/bin
out=/tmp/pv
rm -rf "$out" && mkdir -p "$out"

topo_up
sst_insmod
n os1 sstctl config set key "$key" keepalive 200
n os1 sstctl peers add "$TOPO_DS_IP"

head -c 6000 /dev/urandom >"$out/body"
n_bg os1 "$bin/fakeds" serve -listen "$TOPO_VIP:80" -file "$out/body" -conns 3 -out "$out" >"$out/serve.log" 2>&1
n_bg ds "$bin/fakeds" ds -listen "$TOPO_VIP:80" -ctrl "$TOPO_DS_IP:4795" -os "$TOPO_OS1_IP:4795" \
	-key "$key" -conns 3 -gc-last -out "$out" >"$out/ds.log" 2>&1
dspid=$!
wait_for_port os1 80
wait_for_port ds 80

# Everything the cluster sends to the client, seen from the client.
n_bg client tcpdump -i eth0 -nn -U -w "$out/client.pcap" "tcp and src host $TOPO_VIP" 2>"$out/tcpdump.log"
tdpid=$!
wait_until 10 grep -q 'listening on' "$out/tcpdump.log" || fail "tcpdump did not start: $(cat "$out/tcpdump.log")"

want=$(sha256sum "$out/body" | cut -d' ' -f1)
for i in 1 2 3; do
	n client curl -sS --fail --max-time 20 -o "$out/got.$i" "http://$TOPO_VIP/file$i" ||
		fail "curl $i failed; ds: $(cat "$out/ds.log"); serve: $(cat "$out/serve.log")"
	assert_eq "$(sha256sum "$out/got.$i" | cut -d' ' -f1)" "$want" "sha256 of response $i"
done
log "curl: 3 responses, sha256 ok"
wait_until 20 test -e "$out/ds.done" || fail "fakeds ds did not finish: $(cat "$out/ds.log")"
cat "$out/serve.log" "$out/ds.log"
for i in 1 2 3; do
	assert_eq "$(cat "$out/done.$i")" "$(cat "$out/served.$i")" "DATA_DONE bytes of connection $i vs bytes the application wrote"
done

# No socket of any handed-off 4-tuple left on os1: RESET for 1 and 2,
# garbage collection (10 x 200 ms of DS silence) for 3.
established() { [ -z "$(n os1 ss -Htn)" ]; }
wait_until 10 established || fail "sockets left on os1: $(n os1 ss -tnie)"
stats=$(n os1 sstctl -j show stats)
echo "os1 stats: $stats"
stat() { printf '%s' "$stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
assert_eq "$(stat setups)" 3 "setups"
assert_eq "$(stat data_dones)" 3 "data_dones"
assert_eq "$(stat resets)" 2 "resets"
assert_eq "$(stat timeouts)" 1 "timeouts (garbage-collected half-pipes)"
assert_eq "$(stat drops)" 2 "drops (refused and malformed SETUPs)"

# The LOCAL_OUT filter: a late client segment for a torn-down half-pipe
# (connection 3, collected) draws an RST from os1 that must not leave it;
# one for a 4-tuple that is not ours (client port 9) must.
outrsts() { n os1 nstat -saz TcpOutRsts | awk '$1 == "TcpOutRsts" { print $2 }'; }
rst0=$(outrsts)
n os1 "$bin/fakeds" inject -src "$TOPO_CLIENT_IP:$(cat "$out/port.3")" -dst "$TOPO_VIP:80"
n os1 "$bin/fakeds" inject -src "$TOPO_CLIENT_IP:9" -dst "$TOPO_VIP:80"
rst1=$(outrsts)
[ $((rst1 - rst0)) -eq 2 ] || fail "os1 TcpOutRsts went from $rst0 to $rst1, want 2 RSTs for the forged ACKs"

# Nothing with FIN or RST reached the client from the cluster, but the RST
# for port 9.
sleep 0.5
kill "$tdpid"
wait_until 5 sh -c "! kill -0 $tdpid 2>/dev/null" || true
segs=$(tcpdump -nn -r "$out/client.pcap" 2>/dev/null | wc -l)
finrst=$(tcpdump -nn -r "$out/client.pcap" 'tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 and not dst port 9' 2>/dev/null)
[ -z "$finrst" ] || fail "FIN or RST from the cluster reached the client: $finrst"
ctl=$(tcpdump -nn -r "$out/client.pcap" 'tcp[tcpflags] & tcp-rst != 0 and dst port 9' 2>/dev/null | wc -l)
assert_eq "$ctl" 1 "RSTs for the 4-tuple that is not a half-pipe (filter must let it pass)"
log "client saw $segs segments from the VIP, no FIN or RST of a half-pipe; the filter dropped the RST for connection 3 and passed the one for port 9"
tcpdump -nn -r "$out/client.pcap" 2>/dev/null | head -20

kill "$dspid"
topo_down
sst_rmmod
log "passive layer: ok"
