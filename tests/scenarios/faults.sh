# Faults on one guest (netns per node), each with other connections
# running beside it that must be unaffected, and nothing left behind:
#
#  1. a client that vanishes mid-response (its link goes down: no FIN, no
#     RST): the handoff fails on the progress bound (sst-ds -timeout 4s),
#     the OS is RESET, nothing is left on the OS or the DS;
#  2. sst-ds killed (SIGKILL) mid-handoff: the OS finishes or is garbage
#     collected, the client is not left hanging (it gets its response or
#     its connection ends: curl exits within its bound);
#  3. a client that reuses its port right after a handed-off connection
#     closed: the new connection is served at once (no RST, no clamping of
#     the old connection's numbers onto its handshake);
#  5. the OS application killed mid-response (its socket closed by the
#     kernel): sst-ds sees the response short and ends the connection,
#     the client is not left waiting for the rest;
#  4. rmmod on an OS with live half-pipes is refused (in use) and changes
#     nothing; rmmod on the DS with a half-pipe still waiting for the
#     client's ACK (client link delayed 2 s, sst-ds gone) returns, with no
#     splat, and the OS garbage-collects what it held.
set -eu
. "$SST/lib/topo.sh"

topo_up
sst_insmod
sst_cluster
n ds sstctl config set keepalive 200
for os in os1 os2; do n "$os" sstctl config set keepalive 200; done

www=/tmp/www
sst_www "$www" 6k:6144 1m:1048576 10m:10485760
start_os() {
	n_bg "$1" sst-os -quiet -one-request -listen "$TOPO_VIP:80" -root "$www" 2>>"/tmp/$1.log"
	echo $! >"/tmp/$1.pid"
}
for os in os1 os2; do start_os "$os"; done
# start_ds [PROGRESS_BOUND]: sst-ds, its handoffs failing after that long
# (default 4s) without client progress.
start_ds() {
	n_bg ds sst-ds -listen "$TOPO_VIP:80" -root "$www" -timeout "${1:-4s}" \
		-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" 2>>/tmp/ds.log
	DS_PID=$!
	wait_for_port ds 80
}
start_ds
for node in os1 os2; do wait_for_port "$node" 80; done

diag() {
	echo "--- diagnostics"
	n ds sstctl show halfpipes || true
	n ds sstctl show stats | grep -vE ' 0$' || true
	for os in os1 os2; do
		echo "- $os"
		n "$os" sstctl show stats | grep -vE ' 0$' || true
		n "$os" ss -tanoi '( sport = :80 )' | grep -v LISTEN | head -10 || true
	done
	tail -20 /tmp/ds.log || true
}
os_clean() { # every OS: no socket but the listener
	for os in os1 os2; do
		[ -z "$(n "$os" ss -Htan '( sport = :80 )' | grep -v LISTEN)" ] || return 1
	done
}
ds_clean() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
want=$(sha256sum "$www/os1/1m" | cut -d' ' -f1)
# bystander N: a curl fetching 1 MB twice from each OS; must succeed.
bystander() {
	n_bg client sh -c "curl -sS --fail --max-time 100 http://$TOPO_VIP/os1/1m -o /tmp/b$1.1 \
		http://$TOPO_VIP/os2/1m -o /tmp/b$1.2 http://$TOPO_VIP/os1/1m -o /tmp/b$1.3 \
		http://$TOPO_VIP/os2/1m -o /tmp/b$1.4 2>/tmp/b$1.err; echo \$? >/tmp/b$1.rc"
}
bystander_ok() {
	wait_until 110 test -e "/tmp/b$1.rc" || { diag; fail "bystander $1 still running"; }
	[ "$(cat "/tmp/b$1.rc")" = 0 ] || { diag; fail "bystander $1: curl failed: $(cat "/tmp/b$1.err")"; }
	for k in 1 2 3 4; do
		assert_eq "$(sha256sum "/tmp/b$1.$k" | cut -d' ' -f1)" "$want" "bystander $1 body $k"
	done
	rm -f /tmp/b"$1".*
}

# ---- 1. the client vanishes mid-response -------------------------------------
# A second client address whose link can go down on its own.
ip -batch - <<-EOF || fail "second client"
	netns add client2
	link add eth0 netns client2 type veth peer name eth2 netns router
EOF
TOPO_NS="$TOPO_NS client2"
_ip client2 <<-EOF
	link set lo up
	link set eth0 up
	addr add 10.0.3.2/24 dev eth0
	route add default via 10.0.3.1
EOF
_ip router <<-EOF
	link set eth2 up
	addr add 10.0.3.1/24 dev eth2
EOF
_offloads_off client2 eth0
_offloads_off router eth2
n client2 sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
bystander 1
n_bg client2 curl -sS --max-time 60 -o /dev/null "http://$TOPO_VIP/os1/10m"
vanisher=$!
sending() { n ds sstctl show halfpipes | grep -q '10.0.3.2'; }
wait_until 20 sending || { diag; fail "the vanishing client's request was never handed off"; }
n router ip link set eth2 down
log "1: client2 vanished mid-response (link down)"
kill "$vanisher" 2>/dev/null || true
wait_until 30 ds_clean || { diag; fail "1: half-pipes left on the DS after the client vanished"; }
wait_until 30 os_clean || { diag; fail "1: sockets left on the OSes after the client vanished"; }
grep -q 'no progress' /tmp/ds.log || { diag; fail "1: sst-ds did not report the progress bound"; }
bystander_ok 1
log "1: progress bound: the OS was RESET, nothing left, the bystander unaffected"

# ---- 2. sst-ds killed mid-handoff ------------------------------------------
bystander 2
n_bg client sh -c "curl -sS --max-time 40 -o /tmp/k.body http://$TOPO_VIP/os2/10m 2>/tmp/k.err; echo \$? >/tmp/k.rc"
sending_any() { [ "$(n ds sstctl -j show halfpipes)" != "[]" ]; }
wait_until 20 sending_any || { diag; fail "2: no handoff in progress"; }
kill -KILL "$DS_PID"
log "2: sst-ds killed mid-handoff"
wait_until 45 test -e /tmp/k.rc || { diag; fail "2: the client hangs after sst-ds was killed"; }
log "2: the client's curl ended with status $(cat /tmp/k.rc) ($(wc -c </tmp/k.body 2>/dev/null || echo 0) bytes)"
start_ds
wait_until 30 os_clean || { diag; fail "2: sockets left on the OSes after sst-ds died"; }
wait_until 30 ds_clean || { diag; fail "2: half-pipes left on the DS after sst-ds died"; }
# The bystander lost its connection with sst-ds: only its liveness counts.
wait_until 110 test -e /tmp/b2.rc || { diag; fail "bystander 2 still running"; }
rm -f /tmp/b2.*
log "2: nothing left behind"

# ---- 3. a client reusing its port ---------------------------------------------
# python3 (the host's, seen through 9p): two requests from port 40000, the
# first connection closed with an RST (SO_LINGER 0: no TIME_WAIT), the
# second opened right after, while the DS still has the first one's
# connection waiting for its GC.
cat >/tmp/reuse.py <<'PY'
import socket, struct, sys
def get(path):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.0.2", 40000))
    s.settimeout(10)
    s.connect(("10.0.2.1", 80))
    s.sendall(b"GET /" + path.encode() + b" HTTP/1.1\r\nHost: vip\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, body = buf.split(b"\r\n\r\n", 1)
    n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
    while len(body) < n:
        body += s.recv(65536)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return body
for i, p in enumerate(sys.argv[2:]):
    open("%s.%d" % (sys.argv[1], i), "wb").write(get(p))
PY
n client python3 /tmp/reuse.py /tmp/r os1/6k os2/6k os1/6k ||
	{ diag; fail "3: a connection from a reused port failed"; }
for k in 0 1 2; do
	assert_eq "$(sha256sum /tmp/r.$k | cut -d' ' -f1)" "$(sha256sum "$www/os1/6k" | cut -d' ' -f1)" "3: body $k"
done
log "3: port 40000 reused at once, three times, every body checked"

# ---- 5. the OS application killed mid-response ---------------------------------
# Its socket is closed by the kernel as by close(): the module sends
# DATA_DONE for what it sent, sst-ds sees a response shorter than the body
# and ends the connection. The client must not wait for the rest.
# Small buffers: the application is killed with most of the body still
# unwritten (6.12's autotuned buffers took in all 10 MB within a second).
# curl's rate limiting reads in bursts and then sleeps with the window
# closed for many seconds (7 MB at once, then nothing): a live client the
# handoff must not give up on (its zero-window answers count as progress);
# the 4 s bound of part 1 is too short for the OS's probe backoff, so
# sst-ds runs with a bound of 30 s here (a new one: it also forgets that
# part 3's refusal left os1 out).
kill -KILL "$DS_PID"
start_ds 30s
rmem=$(n client sysctl -n net.ipv4.tcp_rmem) wmem=$(n os1 sysctl -n net.ipv4.tcp_wmem)
n client sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
n os1 sysctl -qw net.ipv4.tcp_wmem="4096 16384 262144"
bystander 5
n_bg client sh -c "curl -sS --limit-rate 300k --max-time 60 -o /tmp/o.body http://$TOPO_VIP/os1/10m 2>/tmp/o.err; echo \$? >/tmp/o.rc"
on_os1() { n ds sstctl show halfpipes | grep -q "$TOPO_OS1_IP.*sending"; }
wait_until 20 on_os1 || { diag; fail "5: no handoff to os1 in progress"; }
# What the OS's socket and the client's do, twice a second, for a failure.
(while [ ! -e /tmp/o.rc ]; do
	echo "== $(cut -d' ' -f1 /proc/uptime)"
	n os1 ss -tnoi '( sport = :80 )' | grep -v LISTEN
	n client ss -tnoim '( dport = :80 )' | tail -n +2
	n ds sstctl show halfpipes | tail -n +2
	sleep 0.5
done) >/tmp/mon5 2>&1 &
mon=$!
sleep 1
kill -KILL "$(cat /tmp/os1.pid)"
log "5: sst-os on os1 killed mid-response"
wait_until 45 test -e /tmp/o.rc || { diag; fail "5: the client hangs after the OS application died"; }
wait "$mon" 2>/dev/null || true
rc=$(cat /tmp/o.rc)
[ "$rc" != 0 ] || fail "5: curl got a whole 10 MB from a killed application"
[ "$rc" != 28 ] || { diag; fail "5: the client timed out (silence) instead of seeing its connection end"; }
log "5: the client's curl ended: status $rc ($(wc -c </tmp/o.body) bytes): $(cat /tmp/o.err)"
grep -q 'short-response\|mid-response' /tmp/ds.log || { cat /tmp/mon5; diag; fail "5: sst-ds did not see the short response"; }
start_os os1
wait_for_port os1 80
bystander_ok 5
n client sysctl -qw net.ipv4.tcp_rmem="$rmem"
n os1 sysctl -qw net.ipv4.tcp_wmem="$wmem"
log "5: the bystander unaffected"

# ---- 6. forged client segments --------------------------------------------------
# An attacker spoofing the client, who knows the sequence numbers (it saw
# the request), sends three ACKs that TCP itself would not act on: a bad
# checksum, a sequence number outside the DS's window, an ACK of data
# nobody sent. Their target: a finished half-pipe (DATA_DONE taken) whose
# data is still on its way to the client (its link delayed 3 s, 10% loss):
# an ACK of its end RESETs the OS, which could then retransmit nothing
# (issue 8). Each must be refused and counted, the half-pipe untouched,
# and the body must arrive whole.
ds_stat() { n ds sstctl -j show stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
hp_of() { n ds sstctl -j show halfpipes | tr '}' '\n' | grep '"10.0.0.2:41000"'; }
topo_netem "delay 3000ms loss 10%" down
rm -f /tmp/forge.go /tmp/forge.rc
n_bg client sh -c "python3 $SST/lib/forge.py eth0 10.0.0.2 41000 $TOPO_VIP 80 /tmp/forge.go \
	badsum:0:0 ok:1073741824:0 ok:0:100000 >/tmp/forge.out 2>&1; echo \$? >/tmp/forge.rc"
wait_until 20 grep -q listening /tmp/forge.out || fail "6: the forger does not listen: $(cat /tmp/forge.out)"
refused0=$(ds_stat segs_refused)
n_bg client sh -c "curl -sS --local-port 41000 --max-time 60 -o /tmp/f.body http://$TOPO_VIP/os2/6k 2>/tmp/f.err; echo \$? >/tmp/f.rc"
done_hp() { hp_of | grep -q '"state":"done"'; }
wait_until 20 done_hp || { diag; fail "6: no finished half-pipe waiting for the client"; }
end=$(hp_of | sed -n 's/.*"seq_end":\([0-9]*\).*/\1/p')
echo "$end" >/tmp/forge.go
wait_until 10 test -e /tmp/forge.rc || fail "6: the forger hangs: $(cat /tmp/forge.out)"
assert_eq "$(cat /tmp/forge.rc)" 0 "6: forger status ($(cat /tmp/forge.out))"
sleep 0.3
log "6: three forged ACKs for seq_end $end sent: $(hp_of)"
hp_of | grep -q '"state":"done"' || { diag; fail "6: a forged ACK acted on the half-pipe: $(hp_of)"; }
# While a half-pipe is listed: the DS's replies against the YNL spec.
n ds "$SST/bin/nlcheck" -replies -halfpipes || fail "6: the module's replies are not as its spec says"
assert_eq "$(($(ds_stat segs_refused) - refused0))" 3 "6: forged segments refused"
wait_until 60 test -e /tmp/f.rc || { diag; fail "6: the client hangs"; }
assert_eq "$(cat /tmp/f.rc)" 0 "6: curl status ($(cat /tmp/f.err))"
assert_eq "$(sha256sum /tmp/f.body | cut -d' ' -f1)" "$(sha256sum "$www/os2/6k" | cut -d' ' -f1)" "6: body"
topo_netem none down
log "6: forged ACKs (bad checksum, out of window, beyond what was sent) refused and counted, the body whole"

# ---- 4. rmmod with live half-pipes -----------------------------------------
# (rmmod on a DS guest of its own: the cluster's rmmod case.) os2: os1
# may still be left out by sst-ds after part 3 (a refused SETUP).
topo_netem "delay 2000ms" down
n_bg client sh -c "curl -sS --max-time 60 -o /tmp/d.body http://$TOPO_VIP/os2/6k; echo \$? >/tmp/d.rc"
wait_until 20 sending_any || { diag; fail "4: no handoff in progress"; }
live_os() { [ -n "$(n os2 ss -Htan '( sport = :80 )' | grep -v LISTEN)" ]; }
wait_until 20 live_os || { diag; fail "4: no half-pipe socket on os2"; }
if rmmod splitstack 2>/tmp/rmmod.err; then fail "4: rmmod succeeded with live half-pipes"; fi
log "4: rmmod refused while in use: $(cat /tmp/rmmod.err)"
wait_until 30 test -e /tmp/d.rc || { diag; fail "4: the client hangs"; }
assert_eq "$(cat /tmp/d.rc)" 0 "4: curl status after the refused rmmod"
assert_eq "$(sha256sum /tmp/d.body | cut -d' ' -f1)" "$(sha256sum "$www/os2/6k" | cut -d' ' -f1)" "4: body"
topo_netem none down
kill -KILL "$DS_PID"
wait_until 30 os_clean || { diag; fail "4: sockets left on the OSes"; }
wait_until 30 ds_clean || { diag; fail "4: half-pipes left on the DS"; }
topo_down
i=0
until rmmod splitstack 2>/tmp/rmmod.err; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "4: rmmod never succeeded: $(cat /tmp/rmmod.err)"
	sleep 0.2
done
log "faults: ok"
