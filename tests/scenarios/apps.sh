# The Go applications end to end: sst-ds with a dispatch policy and a mode
# in front of sst-os on OS1 and OS2, real curl and httperf clients.
#
#   POLICY    rr | hash | lard | path (default path)
#   MODE      handoff | hetero | forward (default handoff): how sst-ds has
#             another node serve a request (see sst-ds -help)
#   FALLBACK  1: sst-os on os1 is killed before any traffic; every request
#             must still succeed, and the access log must show fallbacks
#
# Checks: 15 requests of 0 B to 1 MB on one curl connection, every body's
# sha256; 20 httperf sessions of 6 calls without an error; from sst-ds's
# access log, which nodes served what (several nodes; the path mapping for
# path; one node per path for hash and lard); then nothing pending on the
# DS, the module's counters agree with the access log and sst-ds's own
# counters, and no socket left on the OSes.
set -eu
. "$SST/lib/topo.sh"

POLICY=${POLICY:-path}
MODE=${MODE:-handoff}
FALLBACK=${FALLBACK:-0}
case $POLICY in rr | hash | lard | path) ;; *) fail "POLICY must be rr, hash, lard or path, not '$POLICY'" ;; esac
case $MODE in handoff | hetero | forward) ;; *) fail "MODE must be handoff, hetero or forward, not '$MODE'" ;; esac
log "apps: policy $POLICY, mode $MODE, fallback $FALLBACK"

topo_up
sst_insmod
sst_cluster

# The same content on every node (the paper's replicated cluster); the
# first path element is a node's name, which only the path policy reads.
www=/tmp/www
sst_www "$www" 0:0 1:1 6k:6144 64k:65536 1m:1048576

# OSes: the handoff listener on the VIP (one request per handed-off
# connection) and, for forward mode, a plain keep-alive listener on the
# node's own address.
for os in os1 os2; do
	n_bg "$os" sst-os -quiet -one-request -listen "$TOPO_VIP:80" -root "$www" 2>"/tmp/$os.log"
	echo $! >"/tmp/$os.pids"
done
backends=""
if [ "$MODE" = forward ]; then
	for os in os1 os2; do
		ip=$TOPO_OS1_IP
		[ "$os" = os2 ] && ip=$TOPO_OS2_IP
		n_bg "$os" sst-os -quiet -listen "$ip:8080" -root "$www" 2>"/tmp/$os-backend.log"
		echo $! >>"/tmp/$os.pids"
		backends="$backends -backend $os=$ip:8080"
	done
fi
# shellcheck disable=SC2086
n_bg ds sst-ds -listen "$TOPO_VIP:80" -root "$www" -policy "$POLICY" -mode "$MODE" \
	-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" $backends \
	-metrics 127.0.0.1:9090 -access-log /tmp/access.log 2>/tmp/ds.log
for node in ds os1 os2; do wait_for_port "$node" 80; done
wait_for_port ds 9090
if [ "$MODE" = forward ]; then for os in os1 os2; do wait_for_port "$os" 8080; done; fi

if [ "$FALLBACK" = 1 ]; then
	# shellcheck disable=SC2046
	kill $(cat /tmp/os1.pids)
	gone_os1() { [ -z "$(n os1 ss -Hltn '( sport = :80 or sport = :8080 )')" ]; }
	wait_until 10 gone_os1 || fail "sst-os on os1 still listening after kill"
	log "sst-os on os1 killed: its requests must fall back"
fi

# diag: what a failure needs to be understood.
diag() {
	echo "--- diagnostics"
	n ds sstctl show halfpipes || true
	n ds sstctl show stats || true
	for os in os1 os2; do
		echo "- $os"
		n "$os" sstctl show stats | grep -vE ' 0$' || true
		n "$os" ss -tanoi '( sport = :80 )' | grep -v LISTEN | head -20 || true
		tail -5 "/tmp/$os.log" || true
	done
	echo "- sst-ds"
	tail -20 /tmp/ds.log || true
	tail -20 /tmp/access.log || true
}

# ---- curl: one connection, every size, every body checked ----------------
urls="" checks="" i=0
for p in os1/0 os2/1 local/6k os1/64k os2/1m local/0 os1/1 os2/6k local/64k os1/1m os2/0 local/1 os1/6k os2/64k local/1m; do
	i=$((i + 1))
	urls="$urls http://$TOPO_VIP/$p -o /tmp/got.$i"
	checks="$checks $p:$i"
done
# shellcheck disable=SC2086
n client curl -sS --fail --max-time 120 -w '%{url_effective} %{http_code} %{size_download} %{num_connects}\n' $urls >/tmp/curl.out ||
	{ cat /tmp/curl.out; diag; fail "curl failed"; }
cat /tmp/curl.out
for c in $checks; do
	want=$(sha256sum "$www/${c%%:*}" | cut -d' ' -f1)
	got=$(sha256sum "/tmp/got.${c#*:}" | cut -d' ' -f1)
	assert_eq "$got" "$want" "sha256 of ${c%%:*}"
done
conns=$(awk '{s += $4} END {print s}' /tmp/curl.out)
assert_eq "$conns" 1 "connections curl opened for $i requests"
log "curl: $i responses on one connection, every body checked"

# ---- httperf: 20 sessions x 6 calls -----------------------------------------
printf '/os1/6k\n/os2/64k\n/local/6k\n/os1/1\n/os2/6k\n/local/64k\n' >/tmp/sess
n client httperf --hog --server "$TOPO_VIP" --port 80 --timeout 30 \
	--wsesslog 20,0,/tmp/sess --rate 10 >/tmp/httperf.out 2>&1 ||
	{ cat /tmp/httperf.out; diag; fail "httperf failed"; }
grep -E '^(Total|Reply status|Errors: total|Session rate)' /tmp/httperf.out
replies=$(sed -n 's/^Total: .*replies \([0-9]*\).*/\1/p' /tmp/httperf.out)
errors=$(sed -n 's/^Errors: total \([0-9]*\).*/\1/p' /tmp/httperf.out)
ok2xx=$(sed -n 's/^Reply status: 1xx=[0-9]* 2xx=\([0-9]*\).*/\1/p' /tmp/httperf.out)
[ "$errors" = 0 ] || { diag; fail "httperf: $errors errors"; }
assert_eq "$replies" 120 "httperf replies"
assert_eq "$ok2xx" 120 "httperf 2xx replies"
log "httperf: 20 sessions x 6 calls, 120 replies, no error"

# ---- the access log ----------------------------------------------------------
# TIME CLIENT #N METHOD PATH node=NODE mode=MODE status=S bytes=B handoff=D dur=D fallback=F
wait_until 5 sh -c "[ \$(wc -l </tmp/access.log) -ge 135 ]" || fail "access log has $(wc -l </tmp/access.log) lines, want 135"
assert_eq "$(wc -l </tmp/access.log)" 135 "access-log lines"
grep -q ' error=' /tmp/access.log && { grep ' error=' /tmp/access.log; fail "failed requests in the access log"; }
awk '{sub("node=", "", $6); print $5, $6}' /tmp/access.log | sort | uniq -c >/tmp/paths
echo "--- requests per path and node"
cat /tmp/paths
echo "--- requests per node and mode"
awk '{print $6, $7}' /tmp/access.log | sort | uniq -c
nodes=$(awk '{print $6}' /tmp/access.log | sort -u | wc -l)
[ "$nodes" -gt 1 ] || fail "one node served every request"
if [ "$FALLBACK" = 1 ]; then
	grep -q 'fallback=os1:' /tmp/access.log || { diag; fail "no fallback from os1 in the access log"; }
	if grep -q ' node=os1 ' /tmp/access.log; then
		grep ' node=os1 ' /tmp/access.log | head
		fail "os1 served requests after its sst-os was killed"
	fi
	echo "--- requests that fell back (first 5)"
	grep 'fallback=os1:' /tmp/access.log | head -5
	log "fallback: $(grep -c 'fallback=os1:' /tmp/access.log) requests fell back from os1: $(grep -o 'fallback=os1:[a-z-]*' /tmp/access.log | sort | uniq -c | tr '\n' ' ')"
elif [ "$POLICY" = path ]; then
	# /NAME/... is served by NAME; in hetero mode an empty body is
	# nothing to hand off: the DS serves it.
	awk -v mode="$MODE" '{
		split($5, e, "/"); want = e[2]
		if (mode == "hetero" && e[3] == "0") want = "local"
		if ($6 != "node=" want) { print "wrong node: " $0; bad = 1 }
	} END { exit bad }' /tmp/access.log || fail "the path policy's mapping does not hold"
	log "path: every /NAME/... request was served by NAME"
elif [ "$POLICY" = hash ] || [ "$POLICY" = lard ]; then
	split=$(awk '{print $2}' /tmp/paths | uniq -d)
	[ -z "$split" ] || fail "$POLICY sent these paths to more than one node: $split"
	log "$POLICY: every path went to one node, $nodes nodes in use"
fi
[ "$FALLBACK" = 1 ] || ! grep -q 'fallback=[a-z0-9]*:[a-z]' /tmp/access.log ||
	{ grep 'fallback=[a-z0-9]*:[a-z]' /tmp/access.log | head; fail "fallbacks without a failed node"; }

# ---- nothing left behind, counters consistent ------------------------------
gone() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
wait_until 20 gone || { diag; fail "half-pipes still pending: $(n ds sstctl show halfpipes)"; }
for os in os1 os2; do
	wait_until 10 sh -c "[ -z \"\$(ip netns exec $os ss -Htan '( sport = :80 )' | grep -v LISTEN)\" ]" ||
		{ diag; fail "sockets left on $os: $(n "$os" ss -Htan '( sport = :80 )')"; }
done
echo "--- sstctl show stats (ds)"
n ds sstctl show stats
echo "--- sst-ds counters"
n ds curl -sS --fail http://127.0.0.1:9090/ | tee /tmp/metrics.json
ds_stat() { n ds sstctl -j show stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
metric() { sed -n "s/^  \"$1\": \([0-9]*\).*/\1/p" /tmp/metrics.json; }
handed=$(grep -cE ' mode=(handoff|hetero) ' /tmp/access.log || true)
setups=$(ds_stat setups) dones=$(ds_stat data_dones) resets=$(ds_stat resets)
assert_eq "$(metric requests)" 135 "sst-ds requests counter"
assert_eq "$(metric handoffs)" "$handed" "sst-ds handoffs counter"
assert_eq "$dones" "$handed" "DATA_DONEs on the DS"
case $MODE in
forward)
	assert_eq "$setups" 0 "handoffs (setups) in forward mode"
	assert_eq "$(metric forwards)" "$(grep -c ' mode=forward ' /tmp/access.log)" "sst-ds forwards counter"
	;;
*)
	[ "$handed" -gt 0 ] || fail "no request was handed off"
	if [ "$FALLBACK" = 1 ]; then
		# A refused SETUP is a setup without DATA_DONE.
		assert_eq "$setups" "$((handed + $(metric handoff_failures)))" "setups: handoffs and refused ones"
	else
		assert_eq "$setups" "$handed" "handoffs (setups) on the DS"
		assert_eq "$resets" "$handed" "RESETs on the DS"
		assert_eq "$(metric handoff_failures)" 0 "sst-ds handoff failures"
	fi
	;;
esac
echo "--- sst-ds diagnostics"
cat /tmp/ds.log
log "counters: $handed handoffs ($setups setups, $dones DATA_DONEs, $resets RESETs), $(metric fallbacks) fallbacks, nothing pending"

topo_down
sst_rmmod
log "apps ($POLICY, $MODE, fallback $FALLBACK): ok"
