# Benchmark (prints figures, asserts nothing about speed), in one run:
# - mean lifetime of a 6-request keep-alive connection over the WAN (netem
#   on the client link), served by the DS alone, with handoffs in split and
#   drain mode, and by back-end forwarding (sst-ds -mode forward, the
#   paper's baseline); REPS connections per case, 6 KB bodies (Fig. 5);
# - requests/s and session lifetime of httperf on the LAN, handoffs (split)
#   vs back-end forwarding vs the DS alone.
set -eu
. "$SST/lib/topo.sh"

reps=${REPS:-8}
topo_up
topo_netem "${NETEM:-delay 175ms loss 4%}" down
n client sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
sst_insmod
sst_cluster
www=/tmp/www
for d in os1 os2 local; do
	mkdir -p "$www/$d"
	head -c 6144 /dev/zero >"$www/$d/6k"
done
n_bg os1 sst-os -quiet -one-request -listen "$TOPO_VIP:80" -backend "$TOPO_OS1_IP:8080" -root "$www"
n_bg os2 sst-os -quiet -one-request -listen "$TOPO_VIP:80" -backend "$TOPO_OS2_IP:8080" -root "$www"
# Port 80: handoffs; port 81: the same front end forwarding to the back ends.
n_bg ds sst-ds -quiet -access-log /dev/null -listen "$TOPO_VIP:80" -root "$www" \
	-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" 2>/tmp/ds.log
n_bg ds sst-ds -quiet -access-log /dev/null -listen "$TOPO_VIP:81" -root "$www" -mode forward \
	-node "os1=$TOPO_OS1_IP:80" -node "os2=$TOPO_OS2_IP:80" \
	-backend "os1=$TOPO_OS1_IP:8080" -backend "os2=$TOPO_OS2_IP:8080" 2>/tmp/ds-fwd.log
for node in ds os1 os2; do wait_for_port "$node" 80; done
wait_for_port ds 81

# run CASE PATH...: mean and median time_total of $reps connections.
run() {
	name=$1
	shift
	urls=""
	for p in "$@"; do urls="$urls http://$TOPO_VIP:${PORT:-80}/$p -o /dev/null"; done
	: >/tmp/times
	for _ in $(seq 1 "$reps"); do
		# shellcheck disable=SC2086
		# One line per transfer: the connection's lifetime is their sum.
		n client curl -sS --fail -w '%{time_total}\n' $urls |
			awk '{ s += $1 } END { print s }' >>/tmp/times
	done
	sort -n /tmp/times | awk -v name="$name" '{ t[NR] = $1; s += $1 }
		END { printf "%-28s mean %7.0f ms  median %7.0f ms  (n=%d)\n", name, 1000 * s / NR, 1000 * t[int((NR + 1) / 2)], NR }'
}

alt="os1/6k os2/6k os1/6k os2/6k os1/6k os2/6k"
echo "== 6 requests per connection, $(n router tc qdisc show dev eth0 | grep -o 'delay.*' || echo LAN)"
run "DS alone (no handoff)" local/6k local/6k local/6k local/6k local/6k local/6k
n ds sstctl config set mode split
run "handoff, split" $alt
n ds sstctl config set mode drain
run "handoff, drain" $alt
n ds sstctl config set mode split
PORT=81 run "back-end forwarding" $alt
n ds sstctl show stats | grep -E 'setups|data_dones|resets|timeouts'

# Throughput on the LAN: httperf sessions of 6 requests (os1, os2
# alternating; the DS alone serves the same files itself).
topo_netem none down
n client sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
sessions=${SESSIONS:-200}
printf '/os1/6k\n/os2/6k\n/os1/6k\n/os2/6k\n/os1/6k\n/os2/6k\n' >/tmp/alt
printf '/local/6k\n/local/6k\n/local/6k\n/local/6k\n/local/6k\n/local/6k\n' >/tmp/local
# rate CASE PORT FILE: requests/s and mean session lifetime.
rate() {
	n client httperf --hog --server "$TOPO_VIP" --port "$2" --timeout 30 \
		--wsesslog "$sessions,0,$3" --rate 100 >/tmp/hp.out 2>&1 || { cat /tmp/hp.out; fail "httperf ($1)"; }
	awk -v name="$1" '
		/^Request rate:/ { rr = $3 }
		/^Session lifetime/ { life = $4 }
		/^Errors: total/ { err = $3 }
		END { printf "%-28s %8.1f req/s  session lifetime %6.1f ms  errors %s\n", name, rr, 1000 * life, err }' /tmp/hp.out
}
echo "== httperf, LAN: $sessions sessions x 6 requests of 6 KB, 100 sessions/s offered"
rate "DS alone (no handoff)" 80 /tmp/local
rate "handoff, split" 80 /tmp/alt
rate "back-end forwarding" 81 /tmp/alt
topo_down
sst_rmmod
