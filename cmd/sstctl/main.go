// Command sstctl configures and inspects splitstack.ko, the Split-Stack TCP
// connection handoff module, in the current network namespace: trusted
// peers, configuration, half-pipes and protocol counters.
//
// Run "sstctl help" for usage.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, dialKernel))
}
