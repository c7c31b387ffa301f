package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
