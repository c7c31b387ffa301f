# The demo cluster: client - router - DS / OS1 / OS2, Split-Stack loaded and
# configured on every server, real curl and httperf traffic to the service
# address. Lines starting with "demo:" are progress, shown as they happen.
set -eu
. "$SST/lib/topo.sh"

say() { echo "demo: $*" | tee /dev/console; }

say "building the topology: client 10.0.0.2 - router(netem) - ds 10.0.1.2, os1 10.0.1.3, os2 10.0.1.4; VIP 10.0.2.1"
topo_up
sst_insmod
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

say "configuring Split-Stack peers and a shared key on ds, os1, os2"
n ds sstctl config set key "$key"
n ds sstctl peers add "$TOPO_OS1_IP"
n ds sstctl peers add "$TOPO_OS2_IP"
for os in os1 os2; do
	n "$os" sstctl config set key "$key"
	n "$os" sstctl peers add "$TOPO_DS_IP"
done
echo "--- sstctl peers (ds)"; n ds sstctl peers
echo "--- sstctl -j peers (os1)"; n os1 sstctl -j peers; echo

say "starting web servers on the VIP (port 80) in ds, os1 and os2"
mkdir -p /tmp/www
head -c 6144 /dev/urandom >/tmp/www/6k.bin
head -c 65536 /dev/urandom >/tmp/www/64k.bin
head -c 1048576 /dev/urandom >/tmp/www/1m.bin
for node in ds os1 os2; do
	n_bg "$node" sst-os -quiet -listen "$TOPO_VIP:80" -root /tmp/www
done
for node in ds os1 os2; do wait_for_port "$node" 80; done

say "curl: 6 requests on one keep-alive connection from the client, bodies checked"
urls="" outs=""
i=0
for f in 6k.bin 64k.bin 1m.bin 6k.bin 64k.bin 1m.bin; do
	i=$((i + 1))
	urls="$urls http://$TOPO_VIP/$f -o /tmp/got.$i"
	outs="$outs $f:/tmp/got.$i"
done
# shellcheck disable=SC2086
n client curl -sS --fail -w '%{url_effective} %{http_code} %{size_download} B, %{num_connects} new connection(s)\n' $urls
bytes=0
for pair in $outs; do
	want=$(sha256sum "/tmp/www/${pair%%:*}" | cut -d' ' -f1)
	got=$(sha256sum "${pair#*:}" | cut -d' ' -f1)
	assert_eq "$got" "$want" "sha256 of ${pair%%:*}"
	bytes=$((bytes + $(stat -c %s "${pair#*:}")))
done
say "curl: 6 responses, $bytes bytes, every sha256 matches"

say "httperf: 20 connections x 4 requests, 16 KB client receive window"
n client httperf --hog --server "$TOPO_VIP" --port 80 --uri /6k.bin \
	--num-conns 20 --num-calls 4 --rate 20 --timeout 10 >/tmp/httperf.out 2>&1 ||
	fail "httperf failed: $(cat /tmp/httperf.out)"
grep -E '^(Total|Reply status|Errors: total)' /tmp/httperf.out
replies=$(sed -n 's/^Total: .*replies \([0-9]*\).*/\1/p' /tmp/httperf.out)
errors=$(sed -n 's/^Errors: total \([0-9]*\).*/\1/p' /tmp/httperf.out)
assert_eq "$replies" 80 "httperf replies"
assert_eq "$errors" 0 "httperf errors"

say "Split-Stack state on the DS"
echo "--- sstctl show halfpipes (ds)"; n ds sstctl show halfpipes
echo "--- sstctl show stats (ds)"; n ds sstctl show stats
echo "--- sstctl config (ds)"; n ds sstctl config

say "summary: curl 6/6 bodies verified ($bytes bytes), httperf $replies/80 replies, $errors errors"
say "note: the handoff data path (SETUP, DATA_DONE, ACK split) is not built yet; the DS served every request"
topo_down
sst_rmmod
