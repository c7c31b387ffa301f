# Malformed and unprivileged generic netlink requests, byte by byte.
set -eu
. "$SST/lib/topo.sh"

sst_insmod
sstctl peers add 10.9.0.1
"$SST/bin/nlcheck"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SST/bin/nlcheck" -unprivileged
rmmod splitstack
