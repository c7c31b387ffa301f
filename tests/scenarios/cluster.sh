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
#   DURATION  repeat the rounds of CONNS clients for this long, s (soak)
#   FAULT     oskill: the OS1 guest dies mid-response (sysrq b: no shutdown,
#             as a crash; sysrq o once hung in virtio_net shutdown), when the
#             DS connects to its port 7000); bystanders on OS2 must be
#             unaffected, the clients OS1 was serving must be reset, not
#             left hanging. rmmod: rmmod on the DS guest with a half-pipe
#             waiting for the client's ACK (client link delayed 2 s) and
#             sst-ds gone; OS1 must garbage-collect its socket.
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
	if [ "${FAULT:-}" = oskill ] && [ "$ROLE" = os1 ]; then
		echo 1 >/proc/sys/kernel/sysrq
		n_bg "$ROLE" sh -c 'busybox nc -l -p 7000 </dev/null >/dev/null; echo b >/proc/sysrq-trigger'
	fi
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

# ---- faults (DS guest) -------------------------------------------------------
cluster_fault() {
	local i k rc
	n_bg ds sst-ds -listen "$TOPO_VIP:80" -root "$www" -policy path \
		-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" 2>/tmp/ds.log
	DS_PID=$!
	wait_for_port ds 80
	heard() { [ "$(n ds sstctl -j peers | grep -o '"last_heard_ms":[0-9]' | wc -l)" = 2 ]; }
	wait_until 120 heard || fail "the OSes were never heard: $(n ds sstctl peers)"
	diag() {
		n ds sstctl show halfpipes || true
		n ds sstctl show stats | grep -vE ' 0$' || true
		tail -20 /tmp/ds.log || true
	}
	case $1 in
	oskill)
		for i in 1 2 3 4; do
			n_bg client sh -c "curl -sS --fail --max-time 120 http://$TOPO_VIP/os2/1m -o /tmp/b$i.1 \
				http://$TOPO_VIP/os2/64k -o /tmp/b$i.2 http://$TOPO_VIP/os2/1m -o /tmp/b$i.3 \
				http://$TOPO_VIP/os2/1m -o /tmp/b$i.4 2>/tmp/b$i.err; echo \$? >/tmp/b$i.rc"
		done
		n client sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
		for i in 1 2; do
			n_bg client sh -c "curl -sS --max-time 100 -o /dev/null http://$TOPO_VIP/os1/10m 2>/tmp/v$i.err; echo \$? >/tmp/v$i.rc"
		done
		to_os1() { [ "$(n ds sstctl show halfpipes | grep -c "$TOPO_OS1_IP")" -ge 2 ]; }
		wait_until 30 to_os1 || { diag; fail "oskill: no two half-pipes on os1"; }
		n ds busybox nc "$TOPO_OS1_IP" 7000 </dev/null >/dev/null 2>&1 || true
		log "oskill: os1 told to power off mid-response"
		for i in 1 2; do
			wait_until 60 test -e /tmp/v$i.rc || { diag; fail "oskill: client $i of os1 still hangs 60 s after os1 died"; }
			rc=$(cat /tmp/v$i.rc)
			[ "$rc" != 0 ] || fail "oskill: client $i got a whole 10 MB from a dead os1"
			[ "$rc" != 28 ] || fail "oskill: client $i timed out (silence) instead of being reset"
			log "oskill: client $i of os1 ended: curl $rc: $(cat /tmp/v$i.err)"
		done
		for i in 1 2 3 4; do
			wait_until 120 test -e /tmp/b$i.rc || { diag; fail "oskill: bystander $i still running"; }
			[ "$(cat /tmp/b$i.rc)" = 0 ] || { diag; fail "oskill: bystander $i: $(cat /tmp/b$i.err)"; }
			for k in 1 2 3 4; do
				f=1m; [ $k = 2 ] && f=64k
				assert_eq "$(sha256sum /tmp/b$i.$k | cut -d' ' -f1)" "$(sha256sum "$www/$f" | cut -d' ' -f1)" "oskill: bystander $i body $k"
			done
		done
		log "oskill: 4 bystanders on os2 unaffected, every body checked"
		gone() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
		wait_until 40 gone || { diag; fail "oskill: half-pipes left on the DS"; }
		log "oskill: nothing left on the DS"
		;;
	rmmod)
		topo_netem "delay 2000ms" down
		n_bg client sh -c "curl -sS --max-time 60 -o /tmp/d.body http://$TOPO_VIP/os1/64k 2>/tmp/d.err; echo \$? >/tmp/d.rc"
		waiting() { n ds sstctl show halfpipes | grep -qE ' (done|reset) '; }
		wait_until 30 waiting || { diag; fail "rmmod: no half-pipe waiting for the client's ACK"; }
		kill -KILL "$DS_PID"
		wait_until 10 sh -c "! kill -0 $DS_PID 2>/dev/null" || fail "rmmod: sst-ds did not die"
		i=0
		until rmmod splitstack 2>/tmp/rmmod.err; do
			i=$((i + 1))
			[ $i -lt 50 ] || fail "rmmod: refused for 10 s: $(cat /tmp/rmmod.err)"
			sleep 0.2
		done
		log "rmmod: the DS's module is gone with a half-pipe waiting for the client's ACK"
		wait_until 70 test -e /tmp/d.rc || fail "rmmod: the client still hangs"
		log "rmmod: the client ended: curl $(cat /tmp/d.rc) $(cat /tmp/d.err)"
		topo_netem none down
		sst_insmod
		log "rmmod: loaded again"
		;;
	*) fail "FAULT must be oskill or rmmod, not '$1'" ;;
	esac
	log "cluster fault $1 (ds): ok"
}

# ---- the DS guest -------------------------------------------------------------
[ -n "${NETEM:-}" ] && topo_netem "$NETEM" down
if [ -n "${LANEM:-}" ]; then
	# shellcheck disable=SC2086
	for d in uplink1 uplink2; do n lan tc qdisc replace dev $d root netem $LANEM || fail "netem on lan $d"; done
fi
cluster_keys ds
if [ -n "${FAULT:-}" ]; then
	cluster_fault "$FAULT"
	exit 0
fi
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
	grep -E ' error=|fallback=[a-z0-9]+:' /tmp/access.log | head -20 || true
}

# Each client: one curl, every path on one connection, every body kept.
urls=""
for p in $PATHS; do urls="$urls $p"; done
# round: CONNS clients at once, each body checked.
round() {
	local i j k rc bad conns args p want got port
	rm -f /tmp/c[0-9]*
	i=0
	while [ $i -lt "$CONNS" ]; do
		i=$((i + 1))
		args="" j=0
		for p in $urls; do
			j=$((j + 1))
			args="$args http://$TOPO_VIP/$p -o /tmp/c$i.$j"
		done
		# shellcheck disable=SC2086
		n_bg client sh -c "curl -sS --fail --fail-early --max-time $MAXTIME -w '%{http_code} %{size_download} %{num_connects} %{local_port}\n' $args >/tmp/c$i.out 2>/tmp/c$i.err; echo \$? >/tmp/c$i.rc"
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
		awk 'NR == 1 {print $4}' "/tmp/c$i.out" >"/tmp/c$i.port"
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
				echo "client $i: wrong body for /$p: $(wc -c <"/tmp/c$i.$j") bytes, first difference: $(cmp "$www/$p" "/tmp/c$i.$j" 2>&1 | head -1), $(cmp -l "$www/$p" "/tmp/c$i.$j" 2>/dev/null | wc -l) bytes differ"
				port=$(cat "/tmp/c$i.port")
				grep -E ":$port #" /tmp/access.log /tmp/ds.log || true
				bad=$((bad + 1))
			fi
		done
		rm -f /tmp/c$i.[0-9]*
	done
	[ "$bad" = 0 ] || { diag; fail "$bad of $CONNS clients failed or got wrong bytes"; }
	assert_eq "$conns" "$CONNS" "connections the clients opened"
	log "ds: $CONNS clients, every body checked"
}

# DURATION (s, make soak): rounds until it has passed, the counts of
# what could leak printed after each; otherwise one round.
DURATION=${DURATION:-0}
rounds=0
_uptime_cs
soak_end=$((_cs / 100 + DURATION))
while :; do
	round
	rounds=$((rounds + 1))
	_uptime_cs
	if [ "$DURATION" -gt 0 ]; then
		log "soak: round $rounds: half-pipes $(n ds sstctl -j show halfpipes | grep -o '"id"' | wc -l), DS sockets $(n ds ss -Htan | wc -l), $(grep -E '^(TCP|sst_request_sock) ' /proc/slabinfo | awk '{printf "%s %s ", $1, $2}')"
	fi
	[ $((_cs / 100)) -lt "$soak_end" ] || break
done

gone() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
wait_until 30 gone || { diag; fail "half-pipes still pending"; }
echo "--- sstctl show stats (ds)"
n ds sstctl show stats
requests=$(($(echo "$urls" | wc -w) * CONNS * rounds))
setups=$(stat_of ds setups) dones=$(stat_of ds data_dones) resets=$(stat_of ds resets)
handed=$(grep -cE ' mode=handoff ' /tmp/access.log || true)
assert_eq "$handed" "$requests" "requests handed off"
assert_eq "$setups" "$handed" "SETUPs on the DS"
assert_eq "$dones" "$handed" "DATA_DONEs on the DS"
assert_eq "$resets" "$handed" "RESETs on the DS"
n client nstat -az TcpExtPAWSEstab TcpExtTCPTimeouts TcpRetransSegs TcpExtTCPSACKDiscard 2>/dev/null | tail -n +2 || true
log "cluster (ds): $rounds round(s), $handed handoffs, nothing pending"
