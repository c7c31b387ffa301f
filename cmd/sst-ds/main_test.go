package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/split-stack/splitstack/pkg/handoff"
	"github.com/split-stack/splitstack/pkg/httpmsg"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "defaults", check: func(t *testing.T, c *config) {
			if c.listen != ":80" || c.policy != "path" || c.mode != modeHandoff || !c.local || c.accessLog != "-" || c.timeout != 30*time.Second {
				t.Errorf("defaults: %+v", c)
			}
			if diff := cmp.Diff([]string{localNode}, c.policyNodes()); diff != "" {
				t.Errorf("policy nodes (-want +got):\n%s", diff)
			}
		}},
		{name: "nodes in order, -os alias", args: []string{"-node", "os2=10.0.1.4:80", "-os", "os1=10.0.1.3:81", "-policy", "rr"},
			check: func(t *testing.T, c *config) {
				if diff := cmp.Diff([]string{localNode, "os2", "os1"}, c.policyNodes()); diff != "" {
					t.Errorf("policy nodes (-want +got):\n%s", diff)
				}
				if a := c.nodes.addrs["os1"]; a != netip.MustParseAddrPort("10.0.1.3:81") {
					t.Errorf("os1 at %v", a)
				}
			}},
		{name: "path policy leaves the DS out of the list", args: []string{"-node", "os1=10.0.1.3:80"},
			check: func(t *testing.T, c *config) {
				if diff := cmp.Diff([]string{"os1"}, c.policyNodes()); diff != "" {
					t.Errorf("policy nodes (-want +got):\n%s", diff)
				}
			}},
		{name: "-local=false", args: []string{"-node", "os1=10.0.1.3:80", "-policy", "hash", "-local=false"},
			check: func(t *testing.T, c *config) {
				if diff := cmp.Diff([]string{"os1"}, c.policyNodes()); diff != "" {
					t.Errorf("policy nodes (-want +got):\n%s", diff)
				}
			}},
		{name: "forward: backend defaults to the node", args: []string{"-mode", "forward", "-node", "os1=10.0.1.3:80", "-backend", "os2=10.0.1.4:8080"},
			check: func(t *testing.T, c *config) {
				a1, ok1 := c.backend("os1")
				a2, ok2 := c.backend("os2")
				if !ok1 || !ok2 || a1.String() != "10.0.1.3:80" || a2.String() != "10.0.1.4:8080" {
					t.Errorf("back ends %v %v, %v %v", a1, ok1, a2, ok2)
				}
				if diff := cmp.Diff([]string{"os1", "os2"}, c.nodeNames()); diff != "" {
					t.Errorf("nodes (-want +got):\n%s", diff)
				}
			}},
		{name: "lard bounds", args: []string{"-policy", "lard", "-lard-low", "2", "-lard-high", "4", "-lard-paths", "100"},
			check: func(t *testing.T, c *config) {
				if _, err := c.newPolicy(); err != nil || c.tLow != 2 || c.tHigh != 4 || c.lardPaths != 100 {
					t.Errorf("lard: %v, %d %d %d", err, c.tLow, c.tHigh, c.lardPaths)
				}
			}},
		{name: "limits", args: []string{"-max-conns", "10", "-max-handoffs", "5", "-write-timeout", "1s"},
			check: func(t *testing.T, c *config) {
				if c.maxConns != 10 || c.maxHandoffs != 5 || c.writeTimeout != time.Second {
					t.Errorf("limits: %d %d %v", c.maxConns, c.maxHandoffs, c.writeTimeout)
				}
			}},
		{name: "no connections", args: []string{"-max-conns", "0"}, wantErr: "-max-conns"},
		{name: "handoffs past the thread limit", args: []string{"-max-handoffs", "10000"}, wantErr: "-max-handoffs"},
		{name: "negative write timeout", args: []string{"-write-timeout", "-1s"}, wantErr: "-write-timeout"},
		{name: "lard remembers no path", args: []string{"-policy", "lard", "-lard-paths", "0"}, wantErr: "-lard-paths"},
		{name: "missing =", args: []string{"-node", "os1"}, wantErr: "NAME=ADDR:PORT"},
		{name: "no port", args: []string{"-node", "os1=10.0.1.3"}, wantErr: "os1"},
		{name: "IPv6", args: []string{"-node", "os1=[::1]:80"}, wantErr: "IPv4"},
		{name: "host name", args: []string{"-node", "os1=example.com:80"}, wantErr: "IPv4"},
		{name: "local is the DS", args: []string{"-node", "local=10.0.1.3:80"}, wantErr: "DS itself"},
		{name: "slash in name", args: []string{"-node", "a/b=10.0.1.3:80"}, wantErr: "slashes"},
		{name: "twice", args: []string{"-node", "os1=10.0.1.3:80", "-node", "os1=10.0.1.4:80"}, wantErr: "twice"},
		{name: "unknown policy", args: []string{"-policy", "random"}, wantErr: "unknown -policy"},
		{name: "unknown mode", args: []string{"-mode", "magic"}, wantErr: "unknown -mode"},
		{name: "backend without node for handoff", args: []string{"-backend", "os1=10.0.1.3:8080"}, wantErr: "no -node address"},
		{name: "no nodes at all", args: []string{"-policy", "rr", "-local=false"}, wantErr: "no nodes"},
		{name: "negative duration", args: []string{"-unhealthy", "-1s"}, wantErr: "negative"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := parseFlags(tt.args, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(out.String()+err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%q) = %v; want an error mentioning %q; output:\n%s", tt.args, err, tt.wantErr, out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%q): %v\n%s", tt.args, err, out.String())
			}
			tt.check(t, c)
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-help: %v", err)
	}
	for _, want := range []string{"-policy", "-mode", "handoff", "hetero", "forward", "lard", "-metrics", "-access-log", "-max-conns", "-max-handoffs", "-idle-timeout", "-write-timeout", "-lard-paths", "refused_connections", "examples:", "sst-ds -listen 10.0.2.1:80"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %q", want)
		}
	}
}

func TestBodyOnlyRequest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET /a HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a HTTP/1.1\r\nHost: h\r\nX-Sst-Body-Only: 1\r\n\r\n"},
		{"GET /a HTTP/1.1\nHost: h\n\n", "GET /a HTTP/1.1\nHost: h\nX-Sst-Body-Only: 1\r\n\n"},
		{"GET /a HTTP/1.0\r\n\r\n", "GET /a HTTP/1.0\r\nX-Sst-Body-Only: 1\r\n\r\n"},
		{"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody", "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nX-Sst-Body-Only: 1\r\n\r\nbody"},
		{"\r\nGET /a HTTP/1.1\r\nHost: h\n\r\n", "\r\nGET /a HTTP/1.1\r\nHost: h\nX-Sst-Body-Only: 1\r\n\r\n"},
	}
	for _, tt := range tests {
		req, err := httpmsg.NewReader(strings.NewReader(tt.in), httpmsg.Limits{}).Next()
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		got := string(bodyOnlyRequest(req))
		if got != tt.want {
			t.Errorf("bodyOnlyRequest(%q) = %q, want %q", tt.in, got, tt.want)
		}
		again, err := httpmsg.NewReader(strings.NewReader(got), httpmsg.Limits{}).Next()
		if err != nil || again.Header.Get(bodyOnlyHeader) != "1" || string(again.Body()) != string(req.Body()) {
			t.Errorf("%q does not parse back with the header and body: %v", got, err)
		}
	}
}

func TestClassifyHandoff(t *testing.T) {
	addr := netip.MustParseAddrPort("10.0.1.3:80")
	kernel := func(sentinel error, e unix.Errno) error {
		return fmt.Errorf("handoff to %v: %w (%w)", addr, sentinel, e)
	}
	tests := []struct {
		err                    error
		reason                 string
		recoverable, nodeFault bool
	}{
		{kernel(handoff.ErrRefused, unix.ECONNREFUSED), "refused", true, true},
		{kernel(handoff.ErrUnknownPeer, unix.EHOSTUNREACH), "unreachable", true, true},
		{fmt.Errorf("handoff: open: %w (%w)", handoff.ErrNoModule, unix.ENOENT), "no-module", true, false},
		{fmt.Errorf("handoff: %w", unix.ENOKEY), "error", true, false},
		{fmt.Errorf("handoff to %v: %w before the SETUP was sent (%w)", addr, context.Canceled, unix.EINTR), "cancelled", true, false},
		{kernel(handoff.ErrTimeout, unix.ETIMEDOUT), "timeout", false, false},
		{kernel(handoff.ErrConnLost, unix.ECONNRESET), "conn-lost", false, false},
		{kernel(handoff.ErrBusy, unix.EBUSY), "busy", false, false},
		{errors.New("something else"), "error", false, false},
	}
	for _, tt := range tests {
		f := classifyHandoff(tt.err)
		if f.reason != tt.reason || f.recoverable != tt.recoverable || f.nodeFault != tt.nodeFault {
			t.Errorf("%v: %s recoverable %v node %v; want %s %v %v", tt.err, f.reason, f.recoverable, f.nodeFault,
				tt.reason, tt.recoverable, tt.nodeFault)
		}
	}
}

func TestEntryString(t *testing.T) {
	start := time.Date(2025, 3, 4, 5, 6, 7, 8e6, time.UTC)
	tests := []struct {
		e    entry
		want string
	}{
		{entry{start: start, client: "10.0.0.2:4000", n: 3, method: "GET", path: "/os1/6k", node: "os1", mode: "handoff",
			bytes: 6300, handoff: 1234567 * time.Nanosecond, dur: 1300 * time.Microsecond},
			"2025-03-04T05:06:07.008Z 10.0.0.2:4000 #3 GET /os1/6k node=os1 mode=handoff status=- bytes=6300 handoff=1.235ms dur=1.3ms fallback=-"},
		{entry{start: start, client: "c:1", n: 1, method: "GET", path: "/a b", node: "local", mode: "local", status: 200,
			bytes: 10, handoff: time.Millisecond, dur: 2 * time.Millisecond, fallbacks: []string{"os1:refused", "os2:pipelined"}},
			`2025-03-04T05:06:07.008Z c:1 #1 GET "/a b" node=local mode=local status=200 bytes=10 handoff=1ms dur=2ms fallback=os1:refused,os2:pipelined`},
		{entry{start: start, client: "c:1", n: 2, method: "-", path: "-", node: "local", mode: "error", status: 400, err: errors.New(`bad "x"`)},
			`2025-03-04T05:06:07.008Z c:1 #2 - - node=local mode=error status=400 bytes=0 handoff=- dur=0s fallback=- error="bad \"x\""`},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	probeUp, probes := false, 0
	probed := make(chan struct{}, 10)
	h := newHealth(context.Background(), 5*time.Second,
		map[string]netip.AddrPort{"os2": netip.MustParseAddrPort("10.0.1.4:8080")}, t.Logf)
	h.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h.probe = func(context.Context, netip.AddrPort) bool {
		mu.Lock()
		defer mu.Unlock()
		probes++
		defer func() { probed <- struct{}{} }()
		return probeUp
	}
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	if h.down("os1") {
		t.Fatal("os1 down before any failure")
	}
	if !h.markDown("os1") || h.markDown("os1") {
		t.Error("markDown: want true (was up), then false (already down)")
	}
	if !h.down("os1") || !slices.Equal(h.downNodes(), []string{"os1"}) {
		t.Errorf("os1 not down: %v", h.downNodes())
	}
	advance(5 * time.Second)
	if h.down("os1") {
		t.Error("os1 (no probe address) still down after the hold")
	}

	// os2 is probed once its hold is over, and stays out while the
	// probe fails.
	h.markDown("os2")
	advance(5 * time.Second)
	if !h.down("os2") {
		t.Error("os2 up before its probe")
	}
	<-probed
	h.wait()
	if !h.down("os2") {
		t.Error("os2 up after a failed probe")
	}
	advance(5 * time.Second)
	mu.Lock()
	probeUp = true
	mu.Unlock()
	h.down("os2") // starts the second probe
	<-probed
	h.wait()
	if h.down("os2") {
		t.Error("os2 still down after a successful probe")
	}
	if probes != 2 {
		t.Errorf("%d probes, want 2", probes)
	}
}
