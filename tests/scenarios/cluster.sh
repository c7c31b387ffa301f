# A cluster of guests: the DS (with the client and the router) and each OS
# in its own guest and kernel, joined by virtio-net links (see
# topo_cluster_up in lib/topo.sh and tests/cluster_test.go). Every guest
# runs this script; SST_ROLE says which node it is.
#
#   SST_ROLE  ds | os1 | os2
#   SST_KEY   the cluster's key (hex), the same in every guest
#   CONNS     concurrent keep-alive client connections (default 20)
#   PATHS     what each connection fetches, in order (default: 0 1 6k 64k 1m 10m)
#   NETEM     netem spec on the client link (e.g. "delay 87ms loss 2%")
#   LANEM     netem spec on the DS's links to the OSes (loss, reordering of
#             control messages and credits; applied on the DS guest)
#   MAXTIME   a client's bound for its whole connection, s (default 240)
#
# DS: sst-ds (policy rr, the DS serves nothing itself) in front of sst-os on
# both OSes; CONNS curl clients, each fetching PATHS on one connection;
# every body's sha256 is checked; no client may hang or fail; then nothing
# pending on the DS and its counters agree. OS (after the DS is done): no
# socket left on the service port, SETUPs = DATA_DONEs + ABORTs.
set -eu
. "$SST/lib/topo.sh"

ROLE=${SST_ROLE:?SST_ROLE}
CONNS=${CONNS:-20}
PATHS=${PATHS:-0 1 6k 64k 1m 10m}
MAXTIME=${MAXTIME:-240}
www=/tmp/www

topo_cluster_up "$ROLE"
sst_insmod
cp -a "$SST/www" "$www" || fail "copy the content"

stat_of() { # NS NAME
	n "$1" sstctl -j show stats | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

if [ "$ROLE" != ds ]; then
	n_bg "$ROLE" sst-os -quiet -one-request -listen "$TOPO_VIP:80" -root "$www" 2>/tmp/os.log
	wait_for_port "$ROLE" 80
	cluster_keys "$ROLE"
	log "$ROLE: serving; waiting for the DS"
	# What a stuck half-pipe looks like, for the record.
	(while [ ! -e "$SST/.sst/done" ]; do
		sleep 15
		echo "--- $(cut -d' ' -f1 /proc/uptime)"
		n "$ROLE" ss -tnoi state established '( sport = :80 )'
	done) >/tmp/ss.log 2>&1 &
	cluster_wait_done
	left() { [ -z "$(n "$ROLE" ss -Htan '( sport = :80 )' | grep -v LISTEN)" ]; }
	ok=1
	wait_until 30 left || {
		echo "sockets left on $ROLE:"
		n "$ROLE" ss -tanoi '( sport = :80 )' | grep -v LISTEN | head -40
		ok=0
	}
	echo "--- sstctl show stats ($ROLE)"
	n "$ROLE" sstctl show stats
	setups=$(stat_of "$ROLE" setups) dones=$(stat_of "$ROLE" data_dones) aborts=$(stat_of "$ROLE" aborts)
	log "$ROLE: $setups SETUPs, $dones DATA_DONEs, $aborts ABORTs"
	tail -5 /tmp/os.log
	echo "--- established sockets on $ROLE every 15 s (last 60 lines)"
	tail -60 /tmp/ss.log
	[ "$ok" = 1 ] || fail "sockets left on $ROLE"
	assert_eq "$setups" "$((dones + aborts))" "SETUPs on $ROLE = DATA_DONEs + ABORTs"
	log "cluster ($ROLE): ok"
	exit 0
fi

# ---- the DS guest -------------------------------------------------------------
[ -n "${NETEM:-}" ] && topo_netem "$NETEM" down
if [ -n "${LANEM:-}" ]; then
	# shellcheck disable=SC2086
	for d in uplink1 uplink2; do n lan tc qdisc replace dev $d root netem $LANEM || fail "netem on lan $d"; done
fi
cluster_keys ds
n_bg ds sst-ds -listen "$TOPO_VIP:80" -root "$www" -policy rr -local=false \
	-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" \
	-metrics 127.0.0.1:9090 -access-log /tmp/access.log 2>/tmp/ds.log
wait_for_port ds 80
heard() { [ "$(n ds sstctl -j peers | grep -o '"last_heard_ms":[0-9]' | wc -l)" = 2 ]; }
wait_until 120 heard || fail "the OSes were never heard: $(n ds sstctl peers)"
log "ds: both OSes heard; $CONNS connections x ($PATHS)"

diag() {
	echo "--- diagnostics"
	n ds sstctl show halfpipes | head -40 || true
	n ds sstctl show stats || true
	n ds ss -tanoi '( sport = :80 )' | grep -v LISTEN | head -20 || true
	echo "- client sockets"
	n client ss -tnoi | head -40 || true
	echo "- sst-ds"
	tail -20 /tmp/ds.log || true
	grep ' error=' /tmp/access.log | head -20 || true
}

# Each client: one curl, every path on one connection, every body kept.
urls=""
for p in $PATHS; do urls="$urls $p"; done
i=0
while [ $i -lt "$CONNS" ]; do
	i=$((i + 1))
	args="" j=0
	for p in $urls; do
		j=$((j + 1))
		args="$args http://$TOPO_VIP/$p -o /tmp/c$i.$j"
	done
	# shellcheck disable=SC2086
	n_bg client sh -c "curl -sS --fail --max-time $MAXTIME -w '%{http_code} %{size_download} %{num_connects}\n' $args >/tmp/c$i.out 2>/tmp/c$i.err; echo \$? >/tmp/c$i.rc"
done
done_all() {
	local k=0
	while [ $k -lt "$CONNS" ]; do
		k=$((k + 1))
		[ -e "/tmp/c$k.rc" ] || return 1
	done
}
wait_until $((MAXTIME + 30)) done_all || { diag; fail "clients still running after $((MAXTIME + 30))s"; }

bad=0 conns=0
i=0
while [ $i -lt "$CONNS" ]; do
	i=$((i + 1))
	rc=$(cat "/tmp/c$i.rc")
	if [ "$rc" != 0 ]; then
		echo "client $i: curl exit $rc: $(cat "/tmp/c$i.err") ($(wc -l <"/tmp/c$i.out") responses)"
		bad=$((bad + 1))
		continue
	fi
	conns=$((conns + $(awk '{s += $3} END {print s}' "/tmp/c$i.out")))
	j=0
	for p in $urls; do
		j=$((j + 1))
		want=$(sha256sum "$www/$p" | cut -d' ' -f1)
		got=$(sha256sum "/tmp/c$i.$j" | cut -d' ' -f1)
		if [ "$got" != "$want" ]; then
			echo "client $i: wrong body for /$p"
			bad=$((bad + 1))
		fi
	done
	rm -f /tmp/c$i.[0-9]*
done
[ "$bad" = 0 ] || { diag; fail "$bad of $CONNS clients failed or got wrong bytes"; }
assert_eq "$conns" "$CONNS" "connections the clients opened"
log "ds: $CONNS clients, every body checked"

gone() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
wait_until 30 gone || { diag; fail "half-pipes still pending"; }
echo "--- sstctl show stats (ds)"
n ds sstctl show stats
requests=$(($(echo "$urls" | wc -w) * CONNS))
setups=$(stat_of ds setups) dones=$(stat_of ds data_dones) resets=$(stat_of ds resets)
handed=$(grep -cE ' mode=handoff ' /tmp/access.log || true)
assert_eq "$handed" "$requests" "requests handed off"
assert_eq "$setups" "$handed" "SETUPs on the DS"
assert_eq "$dones" "$handed" "DATA_DONEs on the DS"
assert_eq "$resets" "$handed" "RESETs on the DS"
n client nstat -az TcpExtPAWSEstab TcpExtTCPTimeouts TcpRetransSegs TcpExtTCPSACKDiscard 2>/dev/null | tail -n +2 || true
log "cluster (ds): $handed handoffs, nothing pending"
