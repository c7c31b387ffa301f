package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// NIC is one end of an Ethernet link between two guests: a virtio-net
// device whose frames travel over a Unix stream socket on the host (QEMU's
// stream netdev). Nothing leaves the host, and nothing is lost on the way:
// a datagram socket (the dgram netdev) dropped bursts once the receiver's
// queue held net.unix.max_dgram_qlen (10) frames, which stalled TCP under
// 20 concurrent connections. Loss belongs to the scenario (netem), not to
// the cable. Build both ends with Link.
type NIC struct {
	Path   string // host path of the link's socket
	Server bool   // this end listens on Path (its guest starts first)
	MAC    string // e.g. 52:54:00:00:01:02; distinct per NIC
}

// Link returns the two ends of a link whose socket lives in dir: the
// first listens, the second connects. id names the link (one byte of the
// MACs: at most 255 links per dir).
func Link(dir string, id int) (NIC, NIC) {
	p := filepath.Join(dir, fmt.Sprintf("link%d", id))
	return NIC{Path: p, Server: true, MAC: fmt.Sprintf("52:54:00:5a:%02x:01", id&0xff)},
		NIC{Path: p, MAC: fmt.Sprintf("52:54:00:5a:%02x:02", id&0xff)}
}

func nicArgs(nics []NIC) []string {
	var args []string
	for i, n := range nics {
		id := fmt.Sprintf("n%d", i)
		server := "off"
		if n.Server {
			server = "on"
		}
		args = append(args,
			"-netdev", fmt.Sprintf("stream,id=%s,server=%s,addr.type=unix,addr.path=%s",
				id, server, qemuEscape(n.Path)),
			"-device", fmt.Sprintf("virtio-net-pci,netdev=%s,mac=%s", id, n.MAC))
	}
	return args
}

// listening waits until every server socket of cfg exists.
func listening(ctx context.Context, cfg Config) error {
	for _, n := range cfg.NICs {
		if !n.Server {
			continue
		}
		for {
			if _, err := os.Stat(n.Path); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("qemu: link %s never listened: %w", n.Path, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
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
	// Guests whose NICs listen first, then the ones that connect to them.
	var wg sync.WaitGroup
	order := make([]int, 0, len(cfgs))
	for pass := 0; pass < 2; pass++ {
		for i, c := range cfgs {
			if serves(c) == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	primary := make(chan struct{})
	for _, i := range order {
		started, finished := make(chan struct{}), make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			go func() {
				if listening(ctx, cfgs[i]) == nil {
					close(started)
				}
			}()
			results[i], errs[i] = Run(ctx, cfgs[i])
			close(finished)
			if i == 0 {
				close(primary)
			}
		}()
		select {
		case <-started:
		case <-finished:
		case <-ctx.Done():
		}
	}
	<-primary
	for i := 1; i < len(cfgs); i++ {
		// Best effort: a guest that is gone does not need telling.
		os.WriteFile(filepath.Join(cfgs[i].WorkDir, ".sst", DoneFile), nil, 0o644)
	}
	wg.Wait()
	return results, errs
}

func serves(c Config) bool {
	for _, n := range c.NICs {
		if n.Server {
			return true
		}
	}
	return false
}
