package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/handoff"
	"github.com/split-stack/splitstack/pkg/httpmsg"
)

// TestInternalHeaderRefused is the attack of a client sending the DS's
// own header fields (X-Sst-Body-Only would have the node or back end send
// the file's bytes without a head): in every mode, the request is refused
// with 400 and the connection closed, and no node or back end sees it.
func TestInternalHeaderRefused(t *testing.T) {
	headers := []string{
		"X-Sst-Body-Only: 1",
		"x-sst-body-only: 1",
		"X-SST-Anything: y",
		"X-Sst-: z",
	}
	for _, mode := range modes {
		for _, hdr := range headers {
			t.Run(mode+"/"+hdr, func(t *testing.T) {
				ct := newContent(t)
				fc := newFakeCluster(ct.root)
				b := newBackend(t, "os1", ct.root)
				args := []string{"-mode", mode, "-node", "os1=" + os1Addr.String()}
				if mode == modeForward {
					args = []string{"-mode", mode, "-backend", b.flag()}
				}
				h := start(t, ct.root, fc.handoff, args...)
				c := h.dial()
				// A good request first, then the attack on the same connection.
				if resp, body := c.get("/os1/6k"); resp.StatusCode != 200 || len(body) != 6144 {
					t.Fatalf("first request: %d, %d bytes", resp.StatusCode, len(body))
				}
				handoffs, backendReqs := fc.callsTo("os1"), b.reqs.Load()
				c.send("GET /os1/64k HTTP/1.1\r\nHost: h\r\n"+hdr+"\r\n\r\n", 1)
				resp, body := c.response("GET")
				if resp.StatusCode != http.StatusBadRequest || !resp.Close || !strings.Contains(string(body), "internal") {
					t.Errorf("%d (close %v) %q; want 400, close", resp.StatusCode, resp.Close, body)
				}
				c.closed()
				if fc.callsTo("os1") != handoffs || b.reqs.Load() != backendReqs {
					t.Errorf("the request reached os1: %d handoffs, %d back-end requests", fc.callsTo("os1")-handoffs, b.reqs.Load()-backendReqs)
				}
				line := h.logLine(c.local(), 2)
				if field(line, "mode") != "refused" || field(line, "status") != "400" {
					t.Errorf("access log: %s", line)
				}
				if n := h.s.stats.snapshot().RefusedInternalHeader; n != 1 {
					t.Errorf("refused_internal_header = %d, want 1", n)
				}
			})
		}
	}
}

// TestInternalField: which names are internal.
func TestInternalField(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"Host", "X-Served-By", "X-Ss", "Sst-Body-Only", "X-Sstx"}, ""},
		{[]string{"Host", "X-Sst-Body-Only"}, "X-Sst-Body-Only"},
		{[]string{"x-sSt-whatever", "X-Sst-Body-Only"}, "x-sSt-whatever"},
	}
	for _, tt := range tests {
		var h httpmsg.Header
		for _, n := range tt.names {
			h = append(h, httpmsg.Field{Name: n, Value: "1"})
		}
		if got := internalField(h); got != tt.want {
			t.Errorf("internalField(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

// scriptedBackend is a back end that answers the first request it gets
// with first (and, later, sends more unasked after a pause; closes after
// it with closeAfter) and every later request with a clean response
// "ok PATH".
type scriptedBackend struct {
	ln         net.Listener
	first      string
	later      string
	closeAfter bool
	conns      atomic.Int64
	reqs       atomic.Int64
}

func newScriptedBackend(t *testing.T, first, later string, closeAfter bool) *scriptedBackend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &scriptedBackend{ln: ln, first: first, later: later, closeAfter: closeAfter}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.conns.Add(1)
			go b.serve(c)
		}
	}()
	return b
}

func (b *scriptedBackend) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		if b.reqs.Add(1) == 1 {
			io.WriteString(c, b.first)
			if b.later != "" {
				time.Sleep(100 * time.Millisecond)
				io.WriteString(c, b.later)
			}
			if b.closeAfter {
				return
			}
			continue
		}
		body := "ok " + req.URL.Path
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
}

// TestForwardFraming is the attack of a back end response that is not
// exactly framed: whatever follows it on the back-end connection must
// not become the next client's response. The back-end connection is
// kept only after an exactly framed response; the next client always
// gets its own response.
func TestForwardFraming(t *testing.T) {
	const smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
	tests := []struct {
		name       string
		first      string
		later      string // sent unasked 100 ms after first
		closeAfter bool
		status     int    // the first client's; 0: the relay fails
		body       string // the first client's
		clientKeep bool   // the first client's connection stays open
		pooled     bool   // the second request reuses the back-end connection
		notPooled  int64  // backend_conns_not_pooled
	}{
		{name: "content-length", first: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			status: 200, body: "hello", clientKeep: true, pooled: true},
		{name: "chunked", first: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
			status: 200, body: "hello", clientKeep: true, pooled: true},
		{name: "no body", first: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, clientKeep: true, pooled: true},
		{name: "extra bytes", first: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + smuggled,
			status: 200, body: "hello", clientKeep: true, notPooled: 1},
		{name: "extra bytes while idle", first: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", later: smuggled,
			status: 200, body: "hello", clientKeep: true},
		{name: "close-delimited", first: "HTTP/1.1 200 OK\r\n\r\nhello" + smuggled, closeAfter: true,
			status: 200, body: "hello" + smuggled, notPooled: 1},
		{name: "connection close", first: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello", closeAfter: true,
			status: 200, body: "hello", notPooled: 1},
		{name: "HTTP/1.0 without keep-alive", first: "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			status: 200, body: "hello", notPooled: 1},
		{name: "short body", first: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhello", closeAfter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := newContent(t)
			b := newScriptedBackend(t, tt.first, tt.later, tt.closeAfter)
			h := start(t, ct.root, nil, "-mode", "forward", "-policy", "rr", "-local=false", "-backend", "os1="+b.ln.Addr().String())
			c := h.dial()
			c.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n", 1)
			resp, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
			switch {
			case tt.status == 0 && err == nil:
				if body, err := io.ReadAll(resp.Body); err == nil {
					t.Errorf("first response read whole: %d %q", resp.StatusCode, body)
				}
			case tt.status == 0:
			case err != nil:
				t.Fatalf("first response: %v", err)
			default:
				body, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != tt.status || string(body) != tt.body {
					t.Errorf("first response: %d %q, %v; want %d %q", resp.StatusCode, body, err, tt.status, tt.body)
				}
				if resp.Close == tt.clientKeep {
					t.Errorf("first response: close %v, want %v", resp.Close, !tt.clientKeep)
				}
			}
			if !tt.clientKeep {
				c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if rest, err := io.ReadAll(c.br); err != nil || len(rest) > 0 {
					t.Errorf("first client: %q, %v before the close", rest, err)
				}
			}
			if tt.later != "" {
				time.Sleep(300 * time.Millisecond) // the unasked bytes arrive
			}
			// The next client gets its own response, never the rest of the first.
			c2 := h.dial()
			resp2, body2 := c2.get("/second")
			if resp2.StatusCode != 200 || string(body2) != "ok /second" {
				t.Errorf("second client: %d %q; want 200 \"ok /second\"", resp2.StatusCode, body2)
			}
			wantConns := int64(2)
			if tt.pooled {
				wantConns = 1
			}
			if n := b.conns.Load(); n != wantConns {
				t.Errorf("%d back-end connections, want %d", n, wantConns)
			}
			h.logLine(c2.local(), 1)
			if n := h.s.stats.snapshot().BackendConnsNotPooled; n != tt.notPooled {
				t.Errorf("backend_conns_not_pooled = %d, want %d", n, tt.notPooled)
			}
		})
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestMaxConns is the attack of many idle connections: past -max-conns a
// new one is answered 503 with Retry-After and closed, and served again
// once a slot is free.
func TestMaxConns(t *testing.T) {
	for _, max := range []int{1, 3} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			ct := newContent(t)
			h := start(t, ct.root, nil, "-max-conns", fmt.Sprint(max))
			var held []*client
			for range max {
				c := h.dial()
				if resp, _ := c.get("/a.txt"); resp.StatusCode != 200 {
					t.Fatalf("within the limit: %d", resp.StatusCode)
				}
				held = append(held, c)
			}
			for i := range 2 {
				c := h.dial()
				c.send("GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", 1)
				resp, body := c.response("GET")
				if resp.StatusCode != http.StatusServiceUnavailable || !resp.Close || resp.Header.Get("Retry-After") != "1" {
					t.Errorf("past the limit: %d (close %v, Retry-After %q) %q", resp.StatusCode, resp.Close, resp.Header.Get("Retry-After"), body)
				}
				c.closed()
				if n := h.s.stats.snapshot().RefusedConnections; n != int64(i+1) {
					t.Errorf("refused_connections = %d, want %d", n, i+1)
				}
			}
			held[0].c.Close()
			waitFor(t, "the connection to end", func() bool { return h.s.stats.snapshot().ActiveConnections == int64(max-1) })
			if resp, _ := h.dial().get("/a.txt"); resp.StatusCode != 200 {
				t.Errorf("after a slot was freed: %d", resp.StatusCode)
			}
		})
	}
}

// TestMaxHandoffs is the attack of slow handoffs (each would hold an OS
// thread): past -max-handoffs the DS serves the request itself, or
// answers 503 when it has no such file, and counts either.
func TestMaxHandoffs(t *testing.T) {
	tests := []struct {
		name   string
		mode   string
		path   string
		status int
		by     string
		local  int64 // handoff_limit_served_locally
		refuse int64 // refused_handoff_limit
	}{
		{name: "served locally", mode: modeHandoff, path: "/os1/64k", status: 200, by: localNode, local: 1},
		{name: "hetero served locally", mode: modeHetero, path: "/os1/64k", status: 200, by: localNode, local: 1},
		{name: "no local copy", mode: modeHandoff, path: "/os1/only-on-os1", status: 503, by: localNode, refuse: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := newContent(t)
			fc := newFakeCluster(ct.root)
			started, release := make(chan struct{}, 1), make(chan struct{})
			slow := func(ctx context.Context, conn *net.TCPConn, raw []byte, addr netip.AddrPort, opts handoff.Options) (int64, error) {
				started <- struct{}{}
				<-release
				return fc.handoff(ctx, conn, raw, addr, opts)
			}
			h := start(t, ct.root, slow, "-mode", tt.mode, "-max-handoffs", "1", "-node", "os1="+os1Addr.String())
			a := h.dial()
			a.send("GET /os1/6k HTTP/1.1\r\nHost: h\r\n\r\n", 1)
			<-started // a's handoff holds the only slot
			b := h.dial()
			b.send("GET "+tt.path+" HTTP/1.1\r\nHost: h\r\n\r\n", 1)
			resp, body := b.response("GET")
			if resp.StatusCode != tt.status || servedBy(resp) != tt.by {
				t.Errorf("past the limit: %d by %s %.40q; want %d by %s", resp.StatusCode, servedBy(resp), body, tt.status, tt.by)
			}
			if tt.status == 200 && !bytes.Equal(body, ct.files[tt.path]) {
				t.Errorf("past the limit: %d bytes, want %d", len(body), len(ct.files[tt.path]))
			}
			if tt.status == 503 && resp.Header.Get("Retry-After") != "1" {
				t.Errorf("503 without Retry-After: 1: %v", resp.Header)
			}
			if line := h.logLine(b.local(), 1); field(line, "fallback") != "os1:max-handoffs" {
				t.Errorf("access log: %s", line)
			}
			snap := h.s.stats.snapshot()
			if snap.HandoffLimitServedLocally != tt.local || snap.RefusedHandoffLimit != tt.refuse {
				t.Errorf("handoff_limit_served_locally %d, refused_handoff_limit %d; want %d, %d",
					snap.HandoffLimitServedLocally, snap.RefusedHandoffLimit, tt.local, tt.refuse)
			}
			close(release)
			if resp, body := a.response("GET"); resp.StatusCode != 200 || !bytes.Equal(body, ct.files["/os1/6k"]) {
				t.Errorf("the slow handoff: %d, %d bytes", resp.StatusCode, len(body))
			}
			// The slot is free again: the next handoff goes to os1.
			waitFor(t, "the handoff slot", func() bool { return len(h.s.handoffSlots) == 0 })
			b.send("GET /os1/1 HTTP/1.1\r\nHost: h\r\n\r\n", 1)
			select {
			case <-started:
			case <-time.After(5 * time.Second):
				t.Fatal("no handoff once the slot was free")
			}
			if resp, _ := b.response("GET"); resp.StatusCode != 200 || (tt.mode == modeHandoff && servedBy(resp) != "os1") {
				t.Errorf("after the slot was freed: %d by %s", resp.StatusCode, servedBy(resp))
			}
		})
	}
}

// TestClientTimeouts is the attack of clients that hold a connection
// without sending a request, or without reading the response: the DS
// closes them after -idle-timeout or -write-timeout and counts them.
func TestClientTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		send  string // then nothing, and nothing read
		idle  int64
		write int64
	}{
		{name: "idle", idle: 1},
		{name: "idle after a request", send: "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", idle: 1},
		{name: "request head trickling", send: "GET /a.txt HTTP/1.1\r\nHost: h\r\n", idle: 1},
		{name: "response not read", send: "GET /big HTTP/1.1\r\nHost: h\r\n\r\n", write: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := newContent(t)
			ct.write(t, "/big", make([]byte, 64<<20))
			h := start(t, ct.root, nil, "-idle-timeout", "300ms", "-write-timeout", "300ms")
			c := h.dial()
			c.c.(*net.TCPConn).SetReadBuffer(4096)
			c.send(tt.send, 0)
			waitFor(t, "the DS to accept", func() bool { return h.s.stats.snapshot().Connections == 1 })
			waitFor(t, "the DS to close the connection", func() bool { return h.s.stats.snapshot().ActiveConnections == 0 })
			snap := h.s.stats.snapshot()
			if snap.IdleTimeouts != tt.idle || snap.WriteTimeouts != tt.write {
				t.Errorf("idle_timeouts %d, write_timeouts %d; want %d, %d", snap.IdleTimeouts, snap.WriteTimeouts, tt.idle, tt.write)
			}
		})
	}
}
