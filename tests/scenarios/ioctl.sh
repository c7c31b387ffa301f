# SST_IOC_HANDOFF argument validation.
set -eu
. "$SST/lib/topo.sh"

sst_insmod
sstctl peers add 127.0.0.2
"$SST/bin/ioctlcheck"
# The refusals that got as far as a socket are counted in its namespace.
errs=$(sstctl -j show stats | sed -n 's/.*"handoff_errors":\([0-9]*\).*/\1/p')
[ "$errs" -ge 5 ] || fail "handoff_errors = '$errs', want >= 5: $(sstctl -j show stats)"
log "handoff_errors counted: $errs"
rmmod splitstack
