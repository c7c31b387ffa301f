package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// NIC is one end of an Ethernet link between two guests: a virtio-net
// device whose frames travel as datagrams over a pair of Unix sockets on
// the host (QEMU's dgram netdev). Nothing leaves the host, and a guest
// that is not running yet simply loses the frames sent to it, as a cable
// to a powered-off machine would. Build both ends with Link.
type NIC struct {
	Local  string // host path of this end's socket (created by QEMU)
	Remote string // host path of the other end's socket
	MAC    string // e.g. 52:54:00:00:01:02; distinct per NIC
}

// Link returns the two ends of a link whose sockets live in dir. id
// names the link (one byte of the MACs: at most 255 links per dir).
func Link(dir string, id int) (NIC, NIC) {
	a := filepath.Join(dir, fmt.Sprintf("link%d.a", id))
	b := filepath.Join(dir, fmt.Sprintf("link%d.b", id))
	return NIC{Local: a, Remote: b, MAC: fmt.Sprintf("52:54:00:5a:%02x:01", id&0xff)},
		NIC{Local: b, Remote: a, MAC: fmt.Sprintf("52:54:00:5a:%02x:02", id&0xff)}
}

func nicArgs(nics []NIC) []string {
	var args []string
	for i, n := range nics {
		id := fmt.Sprintf("n%d", i)
		args = append(args,
			"-netdev", fmt.Sprintf("dgram,id=%s,local.type=unix,local.path=%s,remote.type=unix,remote.path=%s",
				id, qemuEscape(n.Local), qemuEscape(n.Remote)),
			"-device", fmt.Sprintf("virtio-net-pci,netdev=%s,mac=%s", id, n.MAC))
	}
	return args
}

// DoneFile is created in /sst/.sst of every other guest of a cluster once
// the first guest's scenario has ended: their scenarios wait for it
// (tests/lib/topo.sh: cluster_wait_done), check their own node and exit.
const DoneFile = "done"

// RunCluster runs one guest per Config at the same time, as the nodes of
// one cluster joined by NICs. The first guest drives the scenario; when it
// has finished (whatever the outcome), the others are told through
// DoneFile and given their own Timeout to finish. Each Config needs its
// own WorkDir or gets a temporary one. Results and errors are in the order
// of cfgs (a nil Result where QEMU never ran; see Run for the errors).
func RunCluster(ctx context.Context, cfgs []Config) ([]*Result, []error) {
	if len(cfgs) == 0 {
		return nil, []error{errors.New("qemu: RunCluster without guests")}
	}
	for i := range cfgs {
		if cfgs[i].WorkDir != "" {
			continue
		}
		dir, err := os.MkdirTemp("", fmt.Sprintf("sst-vm-%d-*", i))
		if err != nil {
			return nil, []error{err}
		}
		defer os.RemoveAll(dir)
		cfgs[i].WorkDir = dir
	}
	results := make([]*Result, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i := 1; i < len(cfgs); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Run(ctx, cfgs[i])
		}()
	}
	results[0], errs[0] = Run(ctx, cfgs[0])
	for i := 1; i < len(cfgs); i++ {
		// Best effort: a guest that is gone does not need telling.
		os.WriteFile(filepath.Join(cfgs[i].WorkDir, ".sst", DoneFile), nil, 0o644)
	}
	wg.Wait()
	return results, errs
}
