# insmod/rmmod cycles with peers, configuration and a second namespace
# present: every unload is clean and every load starts from nothing.
set -eu
. "$SST/lib/topo.sh"

# The README's way, on a guest where nothing of ours is loaded: a plain
# insmod, which loads no dependency (splitstack.ko needs none).
deps=$(modinfo -F depends "$SST/splitstack.ko")
[ -z "$deps" ] || fail "splitstack.ko depends on other modules: $deps"
for m in udp_tunnel ip6_udp_tunnel; do
	! grep -q "^$m " /proc/modules || fail "$m loaded before splitstack.ko"
done
insmod "$SST/splitstack.ko" || fail "plain insmod failed"
sstctl peers add 10.0.1.3 || fail "sstctl peers add after a plain insmod"
sstctl config set key "$(printf '%064x' 7)" || fail "a key (opens the control socket)"
ss -Hulpn | grep -q ':4795 ' || fail "no control UDP socket after a plain insmod: $(ss -Hulpn)"
rmmod splitstack || fail "rmmod after a plain insmod"
log "plain insmod, nothing loaded before: works, depends on nothing"

key=$(printf '%064x' 42)
cycles=${CYCLES:-20}
for i in $(seq 1 "$cycles"); do
	sst_insmod
	[ -c /dev/splitstack ] || fail "cycle $i: /dev/splitstack missing"
	[ "$(sstctl -j peers)" = "[]" ] || fail "cycle $i: peers left from the last load: $(sstctl -j peers)"
	sstctl peers add 10.0.1.3
	sstctl peers add 10.0.1.4 port 5000
	sstctl config set mode drain keepalive 2500 key "$key"
	ip netns add cyc
	ip netns exec cyc sstctl peers add 10.0.1.9
	# Odd cycles drop the namespace first (pernet exit with state),
	# even ones unload with it still there.
	if [ $((i % 2)) -eq 1 ]; then ip netns del cyc; fi
	rmmod splitstack || fail "cycle $i: rmmod"
	[ ! -e /sys/module/splitstack ] || fail "cycle $i: /sys/module/splitstack still there"
	[ ! -e /dev/splitstack ] || fail "cycle $i: /dev/splitstack still there"
	ip netns del cyc 2>/dev/null || true
done
log "$cycles insmod/rmmod cycles clean"

# An open /dev/splitstack pins the module.
sst_insmod
exec 3</dev/splitstack
if rmmod splitstack 2>/dev/null; then fail "rmmod succeeded with /dev/splitstack open"; fi
exec 3<&-
rmmod splitstack || fail "rmmod after closing /dev/splitstack"
log "open /dev/splitstack pins the module"

# The genetlink family went away with the module.
if out=$(sstctl peers 2>&1); then fail "sstctl peers worked without the module: $out"; fi
echo "$out" | grep -qi "not loaded" || fail "unhelpful error without the module: $out"
log "without the module: $out"
