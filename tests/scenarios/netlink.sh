# Malformed and unprivileged generic netlink requests, byte by byte.
set -eu
. "$SST/lib/topo.sh"

sst_insmod
sstctl peers add 10.9.0.1
"$SST/bin/nlcheck"
# The real replies against the family's YNL spec (kmod/splitstack.yaml).
"$SST/bin/nlcheck" -replies
before=$(sstctl -j peers)
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SST/bin/nlcheck" -unprivileged
assert_eq "$(sstctl -j peers)" "$before" "peers after the unprivileged requests"
rmmod splitstack
