# The demo cluster: client - router - DS / OS1 / OS2, Split-Stack loaded and
# configured on every server, sst-ds on the DS handing requests off by path
# to sst-os on the OSes, real curl and httperf traffic to the service
# address. Lines starting with "demo:" are progress, shown as they happen.
set -eu
. "$SST/lib/topo.sh"

say() { echo "demo: $*" | tee /dev/console; }

say "building the topology: client 10.0.0.2 - router - ds 10.0.1.2, os1 10.0.1.3, os2 10.0.1.4; service address (VIP) 10.0.2.1:80"
topo_up
topo_netem "delay 20ms"
sst_insmod

say "configuring Split-Stack: a shared key, the DS trusts both OSes, each OS trusts the DS"
sst_cluster
echo "--- sstctl peers (ds)"; n ds sstctl peers

say "starting sst-os on os1 and os2 and sst-ds on the DS (/os1/... -> os1, /os2/... -> os2, the rest served by the DS)"
www=/tmp/www
for d in os1 os2 local; do
	mkdir -p "$www/$d"
	head -c 6144 /dev/urandom >"$www/$d/6k.bin"
	head -c 65536 /dev/urandom >"$www/$d/64k.bin"
	head -c 1048576 /dev/urandom >"$www/$d/1m.bin"
done
for os in os1 os2; do
	n_bg "$os" sst-os -quiet -one-request -listen "$TOPO_VIP:80" -root "$www"
done
n_bg ds sst-ds -listen "$TOPO_VIP:80" -root "$www" \
	-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" 2>/tmp/ds.log
for node in ds os1 os2; do wait_for_port "$node" 80; done

say "curl: 6 requests on ONE keep-alive connection, alternating os1, os2 and the DS; bodies checked"
urls="" outs="" i=0
for p in os1/6k.bin os2/64k.bin local/6k.bin os1/1m.bin os2/6k.bin local/64k.bin; do
	i=$((i + 1))
	urls="$urls http://$TOPO_VIP/$p -o /tmp/got.$i"
	outs="$outs $p:/tmp/got.$i"
done
# shellcheck disable=SC2086
n client curl -sS --fail -w '%{url_effective} %{http_code} %{size_download} B, new connections: %{num_connects}\n' $urls
bytes=0
for pair in $outs; do
	want=$(sha256sum "$www/${pair%%:*}" | cut -d' ' -f1)
	got=$(sha256sum "${pair#*:}" | cut -d' ' -f1)
	assert_eq "$got" "$want" "sha256 of ${pair%%:*}"
	bytes=$((bytes + $(stat -c %s "${pair#*:}")))
done
echo "--- which node served each request (sst-ds log)"
grep -E ' #[0-9]+ ' /tmp/ds.log
say "curl: 6 responses, $bytes bytes on one connection, every sha256 matches"

say "httperf: 40 sessions x 6 requests (os1, os2, DS), 16 KB client window; half-pipes captured meanwhile"
printf '/os1/64k.bin\n/os2/64k.bin\n/local/6k.bin\n/os1/6k.bin\n/os2/1m.bin\n/local/6k.bin\n' >/tmp/sess
n client httperf --hog --server "$TOPO_VIP" --port 80 --timeout 30 \
	--wsesslog 40,0,/tmp/sess --rate 20 >/tmp/httperf.out 2>&1 &
hp=$!
seen=""
for _ in $(seq 1 60); do
	out=$(n ds sstctl show halfpipes)
	if [ "$(echo "$out" | wc -l)" -gt 1 ]; then seen=$out; break; fi
	sleep 0.1
done
wait "$hp" || fail "httperf failed: $(cat /tmp/httperf.out)"
echo "--- sstctl show halfpipes (ds), while httperf ran"
echo "${seen:-(no half-pipe pending at the moments sampled)}"
grep -E '^(Total|Reply status|Errors: total)' /tmp/httperf.out
replies=$(sed -n 's/^Total: .*replies \([0-9]*\).*/\1/p' /tmp/httperf.out)
errors=$(sed -n 's/^Errors: total \([0-9]*\).*/\1/p' /tmp/httperf.out)
assert_eq "$replies" 240 "httperf replies"
assert_eq "$errors" 0 "httperf errors"

gone() { [ "$(n ds sstctl -j show halfpipes)" = "[]" ]; }
wait_until 20 gone || fail "half-pipes left: $(n ds sstctl show halfpipes)"
say "Split-Stack state on the DS"
echo "--- sstctl show halfpipes (ds), after the clients are done"; n ds sstctl show halfpipes
echo "--- sstctl show stats (ds)"; n ds sstctl show stats
setups=$(n ds sstctl -j show stats | sed -n 's/.*"setups":\([0-9]*\).*/\1/p')
say "summary: curl 6/6 bodies verified ($bytes bytes), httperf $replies/240 replies, $errors errors, $setups handoffs, none pending"
topo_down
sst_rmmod
