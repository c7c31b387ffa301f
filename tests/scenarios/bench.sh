# Benchmark (prints figures, asserts nothing about speed): mean lifetime of
# a 6-request keep-alive connection over the WAN (netem on the client
# link), served with handoffs in split and drain mode and by the DS alone,
# in one run. REPS connections per case, 6 KB bodies (the paper's Fig. 5).
set -eu
. "$SST/lib/topo.sh"

reps=${REPS:-8}
topo_up
topo_netem "${NETEM:-delay 175ms loss 4%}" down
n client sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
sst_insmod
key=$(printf '%064x' 99)
n ds sstctl config set key "$key"
n ds sstctl peers add "$TOPO_OS1_IP"
n ds sstctl peers add "$TOPO_OS2_IP"
for os in os1 os2; do
	n "$os" sstctl config set key "$key"
	n "$os" sstctl peers add "$TOPO_DS_IP"
done
www=/tmp/www
for d in os1 os2 local; do
	mkdir -p "$www/$d"
	head -c 6144 /dev/zero >"$www/$d/6k"
done
for os in os1 os2; do
	n_bg "$os" sst-os -quiet -one-request -listen "$TOPO_VIP:80" -root "$www"
done
n_bg ds sst-ds -quiet -listen "$TOPO_VIP:80" -root "$www" \
	-os "os1=$TOPO_OS1_IP:80" -os "os2=$TOPO_OS2_IP:80" 2>/tmp/ds.log
for node in ds os1 os2; do wait_for_port "$node" 80; done

# run CASE PATH...: mean and median time_total of $reps connections.
run() {
	name=$1
	shift
	urls=""
	for p in "$@"; do urls="$urls http://$TOPO_VIP/$p -o /dev/null"; done
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
n ds sstctl show stats | grep -E 'setups|data_dones|resets|timeouts'
topo_down
sst_rmmod
