# The passive layer on os1, driven by a DS played in user space (fakeds ds
# in netns ds, no module configured there): an unmodified curl in netns
# client opens a connection to the VIP, which the router sends to the DS;
# the DS reads the request, freezes its socket with TCP_REPAIR and sends
# SETUP to os1, whose module builds the socket and queues it to the
# application (fakeds serve) on VIP:80. The application answers straight
# to the client and closes; the module sends DATA_DONE; the DS sends RESET.
#
# Four connections: 1 closes; 2 shuts down (SHUT_WR) then closes; 3 is
# queued to a listener that closes before accept() (the kernel disconnects
# the child: no RST may leave; the DS gets an ABORT), then RESET; 4 sets
# SO_LINGER{1,0} (a plain
# socket would send an RST), closes, and is never RESET (the DS stops its
# KEEPALIVEs): the OS must garbage-collect it. Connection 1 also gets a
# duplicate SETUP (ignored), a SETUP for its live 4-tuple under another id
# (refused with ABORT) and a malformed one.
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
want=$(sha256sum "$out/body" | cut -d' ' -f1)
serve() { # FIRST FLAGS...: the OS application, connections numbered from FIRST
	n_bg os1 "$bin/fakeds" serve -listen "$TOPO_VIP:80" -file "$out/body" -out "$out" \
		-first "$@" >>"$out/serve.log" 2>&1
}
fetch() { # N: curl connection N, check the body
	n client curl -sS --fail --max-time 20 -o "$out/got.$1" "http://$TOPO_VIP/file$1" ||
		fail "curl $1 failed; ds: $(cat "$out/ds.log"); serve: $(cat "$out/serve.log")"
	assert_eq "$(sha256sum "$out/got.$1" | cut -d' ' -f1)" "$want" "sha256 of response $1"
}
os1_socks() { n os1 ss -Htn; }
no_os1_socks() { [ -z "$(os1_socks)" ]; }
some_os1_socks() { [ -n "$(os1_socks)" ]; }

serve 1 -conns 2 -linger-last=false
srvpid=$!
n_bg ds "$bin/fakeds" ds -listen "$TOPO_VIP:80" -ctrl "$TOPO_DS_IP:4795" -os "$TOPO_OS1_IP:4795" \
	-key "$key" -conns 4 -forgotten 3 -gc-last -out "$out" >"$out/ds.log" 2>&1
dspid=$!
wait_for_port os1 80
wait_for_port ds 80

# Everything the cluster sends to the client, seen from the client.
n_bg client tcpdump -i eth0 -nn -U -w "$out/client.pcap" "tcp and src host $TOPO_VIP" 2>"$out/tcpdump.log"
tdpid=$!
wait_until 10 grep -q 'listening on' "$out/tcpdump.log" || fail "tcpdump did not start: $(cat "$out/tcpdump.log")"

fetch 1
fetch 2
wait_until 10 sh -c "! kill -0 $srvpid 2>/dev/null" || fail "fakeds serve did not finish"
log "connections 1 (close) and 2 (SHUT_WR) served"

# 3: queued to a listener that never accepts, then the listener closes.
serve 3 -conns 0 -hold
holdpid=$!
wait_for_port os1 80
n_bg client curl -sS --max-time 8 -o /dev/null "http://$TOPO_VIP/file3"
wait_until 10 some_os1_socks ||
	fail "connection 3 never reached os1's accept queue: $(cat "$out/ds.log")"
log "connection 3 queued on os1: $(os1_socks)"
kill "$holdpid"
wait_until 10 no_os1_socks || fail "connection 3 still on os1 after its listener closed: $(os1_socks)"
touch "$out/reset.3"
log "connection 3: listener closed before accept(), child gone"

serve 4 -conns 1
wait_for_port os1 80
fetch 4
log "curl: responses 1, 2, 4 received, sha256 ok"
wait_until 20 test -e "$out/ds.done" || fail "fakeds ds did not finish: $(cat "$out/ds.log")"
cat "$out/serve.log" "$out/ds.log"
for i in 1 2 4; do
	assert_eq "$(cat "$out/done.$i")" "$(cat "$out/served.$i")" "DATA_DONE bytes of connection $i vs bytes the application wrote"
done

# No socket of any handed-off 4-tuple left on os1: RESET for 1, 2 and 3,
# garbage collection (10 x 200 ms of DS silence) for 4.
wait_until 10 no_os1_socks || fail "sockets left on os1: $(n os1 ss -tnie)"
stats=$(n os1 sstctl -j show stats)
echo "os1 stats: $stats"
stat() { printf '%s' "$stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
assert_eq "$(stat setups)" 4 "setups"
assert_eq "$(stat data_dones)" 3 "data_dones"
# Connection 3 died in its accept queue: ABORTed and torn down at once,
# so the DS's RESET for it finds nothing left to count.
assert_eq "$(stat resets)" 2 "resets"
assert_eq "$(stat aborts)" 4 "aborts (a SETUP for a live 4-tuple, connection 3, a loopback and a local client address)"
assert_eq "$(stat timeouts)" 1 "timeouts (garbage-collected half-pipes)"
assert_eq "$(stat drops)" 10 "drops (a refused SETUP, 7 malformed or out of range, a loopback and a local client address)"

# The LOCAL_OUT filter: a late client segment for a torn-down half-pipe
# (connection 4, collected) draws an RST from os1 that must not leave it;
# one for a 4-tuple that is not ours (client port 9) must.
outrsts() { n os1 nstat -saz TcpOutRsts | awk '$1 == "TcpOutRsts" { print $2 }'; }
rst0=$(outrsts)
n os1 "$bin/fakeds" inject -src "$TOPO_CLIENT_IP:$(cat "$out/port.4")" -dst "$TOPO_VIP:80"
n os1 "$bin/fakeds" inject -src "$TOPO_CLIENT_IP:9" -dst "$TOPO_VIP:80"
rst1=$(outrsts)
[ $((rst1 - rst0)) -eq 2 ] || fail "os1 TcpOutRsts went from $rst0 to $rst1, want 2 RSTs for the forged ACKs"

# Nothing with FIN or RST reached the client from the cluster, but the RST
# for port 9. That one was sent last: once the client has captured it,
# it has captured everything before it (tcpdump, killed, would drop what
# it has not read yet).
pcap() { tcpdump -nn -r "$out/client.pcap" "$@" 2>/dev/null; }
ctl_seen() { [ "$(pcap 'tcp[tcpflags] & tcp-rst != 0 and dst port 9' | wc -l)" -ge 1 ]; }
wait_until 10 ctl_seen || fail "the RST for port 9 (not a half-pipe) never reached the client"
kill "$tdpid"
segs=$(pcap | wc -l)
finrst=$(pcap 'tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 and not dst port 9')
[ -z "$finrst" ] || fail "FIN or RST from the cluster reached the client: $finrst"
assert_eq "$(pcap 'tcp[tcpflags] & tcp-rst != 0 and dst port 9' | wc -l)" 1 "RSTs for the 4-tuple that is not a half-pipe"
log "client saw $segs segments from the VIP, no FIN or RST of a half-pipe; the filter dropped the RST for connection 4 and passed the one for port 9"
pcap | head -20

kill "$dspid"
topo_down
sst_rmmod
log "passive layer: ok"
