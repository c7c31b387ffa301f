//go:build soak

package tests

import (
	"os"
	"testing"
	"time"
)

// TestSoak is `make soak`, not part of `make test`: the cluster of guests
// (one kernel per node) over the WAN profile, 50 concurrent connections in
// rounds for SOAK_DURATION (default 10m). Every body is checked each round;
// the DS guest prints the counts that could leak (half-pipes, sockets,
// TCP and request-sock slabs) after each one.
func TestSoak(t *testing.T) {
	kernels := kernelsUnderTest(t)
	bin := guestBinaries(t)
	www := clusterContent(t)
	script, err := os.ReadFile("scenarios/cluster.sh")
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil || d <= 0 {
		d = 10 * time.Minute
	}
	for _, k := range kernels {
		t.Run(shortName(k.Version), func(t *testing.T) {
			env := map[string]string{
				"CONNS":    "50",
				"PATHS":    "0 6k 64k 1 6k 64k",
				"NETEM":    "delay 87ms loss 2%",
				"DURATION": itoa(int(d / time.Second)),
				"MAXTIME":  "300",
			}
			runCluster(t, k, buildDir()+"/"+k.Version+"/splitstack.ko", bin, www, string(script),
				d+10*time.Minute, 1, env, 0)
		})
	}
}
