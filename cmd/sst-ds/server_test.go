package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/split-stack/splitstack/pkg/handoff"
)

// syncBuffer is a goroutine-safe buffer for the access log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimRight(b.b.String(), "\n"), "\n")
}

// testWriter sends log lines to the test's log until the test ends.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// sizes are the files every node directory holds.
var sizes = map[string]int{"0": 0, "1": 1, "6k": 6144, "64k": 65536, "1m": 1 << 20}

// content is a served directory: local/, os1/ and os2/ with the files of
// sizes, and a.txt.
type content struct {
	root  string
	files map[string][]byte // by path, "/os1/6k"
}

func newContent(t *testing.T) *content {
	t.Helper()
	c := &content{root: t.TempDir(), files: map[string][]byte{}}
	for _, dir := range []string{"local", "os1", "os2"} {
		if err := os.Mkdir(filepath.Join(c.root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, size := range sizes {
			b := make([]byte, size)
			rand.Read(b)
			c.write(t, "/"+dir+"/"+name, b)
		}
	}
	c.write(t, "/a.txt", []byte("hello, split-stack\n"))
	return c
}

func (c *content) write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(c.root, filepath.FromSlash(p)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c.files[p] = b
}

// fakeCluster plays the OSes of handoffs: it answers the handed-off
// request on the client connection itself, as sst-os would, with an
// X-Served-By header, or fails as told.
type fakeCluster struct {
	root   string
	byAddr map[netip.AddrPort]string

	mu    sync.Mutex
	fail  map[string]error // node -> the handoff error to return
	calls []string         // node path, in order
	reqs  [][]byte
}

var (
	os1Addr = netip.MustParseAddrPort("10.0.1.3:80")
	os2Addr = netip.MustParseAddrPort("10.0.1.4:80")
)

func newFakeCluster(root string) *fakeCluster {
	return &fakeCluster{root: root, byAddr: map[netip.AddrPort]string{os1Addr: "os1", os2Addr: "os2"}, fail: map[string]error{}}
}

func (f *fakeCluster) setFail(node string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[node] = err
}

func (f *fakeCluster) callsTo(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, node+" ") {
			n++
		}
	}
	return n
}

func (f *fakeCluster) handoff(_ context.Context, conn *net.TCPConn, raw []byte, addr netip.AddrPort, _ handoff.Options) (int64, error) {
	node := f.byAddr[addr]
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return 0, fmt.Errorf("fake OS: the DS handed off an unreadable request %q: %v", raw, err)
	}
	f.mu.Lock()
	f.calls = append(f.calls, node+" "+req.URL.Path)
	f.reqs = append(f.reqs, slices.Clone(raw))
	ferr := f.fail[node]
	f.mu.Unlock()
	if ferr != nil {
		return 0, ferr
	}
	body, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(req.URL.Path)))
	if req.Header.Get(bodyOnlyHeader) == "1" {
		n, _ := conn.Write(body)
		return int64(n), nil
	}
	status := "200 OK"
	if err != nil {
		status, body = "404 Not Found", nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %s\r\nX-Served-By: %s\r\nContent-Length: %d\r\n", status, node, len(body))
	if req.Close {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	if req.Method != "HEAD" {
		b.Write(body)
	}
	n, err := conn.Write(b.Bytes())
	return int64(n), err
}

// kernelErr is an error as pkg/handoff returns it for errno e.
func kernelErr(sentinel error, e unix.Errno) error {
	return fmt.Errorf("handoff to %v: %w (%w)", os1Addr, sentinel, e)
}

// harness runs a server on a loopback port.
type harness struct {
	t      *testing.T
	s      *server
	addr   string
	access *syncBuffer
}

// start runs sst-ds with args (plus -root and a loopback -listen), its
// handoffs done by hf (nil: the real pkg/handoff).
func start(t *testing.T, root string, hf handoffFunc, args ...string) *harness {
	t.Helper()
	var out bytes.Buffer
	c, err := parseFlags(append([]string{"-root", root, "-listen", "127.0.0.1:0"}, args...), &out)
	if err != nil {
		t.Fatalf("parseFlags: %v\n%s", err, out.String())
	}
	tw := &testWriter{t: t}
	access := &syncBuffer{}
	s, err := newServer(c, log.New(tw, "sst-ds: ", 0), access)
	if err != nil {
		t.Fatal(err)
	}
	if hf != nil {
		s.handoff = hf
	}
	ln, err := net.Listen("tcp4", c.listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not return after its context ended")
		}
		s.close()
		tw.mu.Lock()
		tw.done = true
		tw.mu.Unlock()
		for _, l := range access.lines() {
			t.Log("access: " + l)
		}
	})
	return &harness{t: t, s: s, addr: ln.Addr().String(), access: access}
}

// logLine returns the access-log line of request #n of the connection
// from local address client.
func (h *harness) logLine(client string, n int) string {
	h.t.Helper()
	// The line is written just after the response: wait for it.
	want := fmt.Sprintf(" %s #%d ", client, n)
	for range 200 {
		for _, l := range h.access.lines() {
			if strings.Contains(l, want) {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("no access-log line for %s #%d:\n%s", client, n, strings.Join(h.access.lines(), "\n"))
	return ""
}

// field returns key=value's value from an access-log line.
func field(line, key string) string {
	m := regexp.MustCompile(` ` + key + `=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

// client is one keep-alive connection to the server.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
	n  int // requests sent
}

func (h *harness) dial() *client {
	h.t.Helper()
	c, err := net.Dial("tcp4", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	h.t.Cleanup(func() { c.Close() })
	return &client{t: h.t, c: c, br: bufio.NewReader(c)}
}

func (c *client) local() string { return c.c.LocalAddr().String() }

// send writes raw requests.
func (c *client) send(raw string, requests int) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, raw); err != nil {
		c.t.Fatal(err)
	}
	c.n += requests
}

// response reads one response to a request with method.
func (c *client) response(method string) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading a response body: %v", err)
	}
	return resp, body
}

// get sends a GET for p and reads its response.
func (c *client) get(p string) (*http.Response, []byte) {
	c.t.Helper()
	c.send("GET "+p+" HTTP/1.1\r\nHost: test\r\n\r\n", 1)
	return c.response("GET")
}

// closed reports whether the server closed the connection (after
// anything still unread).
func (c *client) closed() bool {
	c.t.Helper()
	rest, err := io.ReadAll(c.br)
	if err != nil || len(rest) > 0 {
		c.t.Errorf("before the close: %q, %v", rest, err)
	}
	return err == nil
}

// servedBy is the node that served a response: the fake OS's header, or
// local.
func servedBy(resp *http.Response) string {
	if n := resp.Header.Get("X-Served-By"); n != "" {
		return n
	}
	return localNode
}

func TestLocal(t *testing.T) {
	ct := newContent(t)
	h := start(t, ct.root, nil)
	c := h.dial()
	tests := []struct {
		req    string
		method string
		status int
		body   []byte
		ctype  string
	}{
		{"GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 200, ct.files["/a.txt"], "text/plain; charset=utf-8"},
		{"GET /local/64k HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 200, ct.files["/local/64k"], "application/octet-stream"},
		{"GET /local/0 HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 200, nil, ""},
		{"HEAD /local/1m HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD", 200, nil, ""},
		{"POST /local/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nx=1", "POST", 200, ct.files["/local/1"], ""},
		{"GET /missing HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 404, []byte("404 Not Found\n"), ""},
		{"GET /local/ HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 404, []byte("404 Not Found\n"), ""},
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 404, []byte("404 Not Found\n"), ""},
		{"GET /../../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 404, []byte("404 Not Found\n"), ""},
		{"GET /%61.txt?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 200, ct.files["/a.txt"], ""},
		{"GET http://h/local/6k HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 200, ct.files["/local/6k"], ""},
	}
	for i, tt := range tests {
		c.send(tt.req, 1)
		resp, body := c.response(tt.method)
		if resp.StatusCode != tt.status || !bytes.Equal(body, tt.body) {
			t.Errorf("%q: %d, %d bytes; want %d, %d bytes", tt.req, resp.StatusCode, len(body), tt.status, len(tt.body))
		}
		if tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("%q: Content-Type %q, want %q", tt.req, resp.Header.Get("Content-Type"), tt.ctype)
		}
		if tt.method == "HEAD" && resp.ContentLength != int64(len(ct.files["/local/1m"])) {
			t.Errorf("HEAD: Content-Length %d", resp.ContentLength)
		}
		if resp.Close {
			t.Fatalf("%q: the server closes a keep-alive connection", tt.req)
		}
		line := h.logLine(c.local(), i+1)
		if field(line, "node") != "local" || field(line, "mode") != "local" || field(line, "status") != fmt.Sprint(tt.status) {
			t.Errorf("access log: %s", line)
		}
	}
}

func TestConnectionClose(t *testing.T) {
	ct := newContent(t)
	h := start(t, ct.root, nil)
	tests := []struct {
		name, req string
		keep      bool
		header    string
	}{
		{"HTTP/1.1 close", "GET /a.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, "close"},
		{"HTTP/1.0", "GET /a.txt HTTP/1.0\r\n\r\n", false, "close"},
		{"HTTP/1.0 keep-alive", "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, "keep-alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.dial()
			c.send(tt.req, 1)
			resp, body := c.response("GET")
			if resp.StatusCode != 200 || string(body) != string(ct.files["/a.txt"]) {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			// (net/http takes "Connection: close" out of the header.)
			got := resp.Header.Get("Connection")
			if resp.Close {
				got = "close"
			}
			if got != tt.header {
				t.Errorf("Connection: %q, want %q", got, tt.header)
			}
			if tt.keep {
				if resp, _ := c.get("/a.txt"); resp.StatusCode != 200 {
					t.Errorf("second request on a kept connection: %d", resp.StatusCode)
				}
				return
			}
			c.closed()
		})
	}
}

func TestParseErrors(t *testing.T) {
	ct := newContent(t)
	h := start(t, ct.root, nil)
	tests := []struct {
		req    string
		status int
	}{
		{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
		{"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
		{"GET /a HTTP/1.1\r\n\r\n", 400},
		{"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n", 413},
		{"GET /a HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("y", 9000) + "\r\n\r\n", 431},
	}
	for _, tt := range tests {
		c := h.dial()
		// A good request first: the error comes on a used connection.
		if resp, _ := c.get("/a.txt"); resp.StatusCode != 200 {
			t.Fatalf("first request: %d", resp.StatusCode)
		}
		c.send(tt.req, 1)
		resp, body := c.response("GET")
		if resp.StatusCode != tt.status || !resp.Close {
			t.Errorf("%.40q: %d (close %v) %q, want %d and close", tt.req, resp.StatusCode, resp.Close, body, tt.status)
		}
		c.closed()
		line := h.logLine(c.local(), 2)
		if field(line, "mode") != "error" || field(line, "status") != fmt.Sprint(tt.status) {
			t.Errorf("access log: %s", line)
		}
	}
}

// TestHandoffByPath: the default policy sends /os1/... to os1 and /os2/...
// to os2, the rest to the DS, all on one connection.
func TestHandoffByPath(t *testing.T) {
	ct := newContent(t)
	fc := newFakeCluster(ct.root)
	h := start(t, ct.root, fc.handoff, "-node", "os1="+os1Addr.String(), "-node", "os2="+os2Addr.String())
	c := h.dial()
	paths := []string{"/os1/6k", "/os2/64k", "/local/1", "/os1/1m", "/os2/0", "/local/6k", "/os1/1", "/os3/x"}
	for i, p := range paths {
		resp, body := c.get(p)
		want := strings.Split(p, "/")[1]
		if want == "os3" {
			want = localNode
		}
		if got := servedBy(resp); got != want {
			t.Errorf("%s served by %s, want %s", p, got, want)
		}
		if want != localNode && !bytes.Equal(body, ct.files[p]) {
			t.Errorf("%s: wrong body (%d bytes)", p, len(body))
		}
		line := h.logLine(c.local(), i+1)
		mode := "handoff"
		if want == localNode {
			mode = "local"
		}
		if field(line, "node") != want || field(line, "mode") != mode || field(line, "fallback") != "-" {
			t.Errorf("access log: %s", line)
		}
		if mode == "handoff" && (field(line, "status") != "-" || field(line, "handoff") == "-" || field(line, "bytes") == "0") {
			t.Errorf("access log of a handoff: %s", line)
		}
	}
	snap := h.s.stats.snapshot()
	if snap.Handoffs != 5 || snap.RequestsByNode["os1"] != 3 || snap.RequestsByNode["local"] != 3 || snap.HandoffLatencyMeanMS <= 0 {
		t.Errorf("counters: %+v", snap)
	}
}

// TestPolicies: rr, hash and lard spread different paths over the DS and
// both OSes; hash and lard send the same path to the same node.
func TestPolicies(t *testing.T) {
	for _, policy := range []string{"rr", "hash", "lard"} {
		t.Run(policy, func(t *testing.T) {
			ct := newContent(t)
			for i := range 30 {
				ct.write(t, fmt.Sprintf("/f%d", i), []byte(fmt.Sprint(i)))
			}
			fc := newFakeCluster(ct.root)
			h := start(t, ct.root, fc.handoff, "-policy", policy,
				"-node", "os1="+os1Addr.String(), "-node", "os2="+os2Addr.String())
			c := h.dial()
			nodeOf := map[string]string{}
			count := map[string]int{}
			for round := range 2 {
				for i := range 30 {
					p := fmt.Sprintf("/f%d", i)
					resp, body := c.get(p)
					if string(body) != fmt.Sprint(i) {
						t.Fatalf("%s: body %q", p, body)
					}
					n := servedBy(resp)
					count[n]++
					if round == 0 {
						nodeOf[p] = n
					} else if policy != "rr" && nodeOf[p] != n {
						t.Errorf("%s: %s, then %s", p, nodeOf[p], n)
					}
				}
			}
			if len(count) != 3 {
				t.Errorf("nodes used: %v, want the DS and both OSes", count)
			}
			if policy == "rr" && (count["local"] != 20 || count["os1"] != 20 || count["os2"] != 20) {
				t.Errorf("rr: %v", count)
			}
		})
	}
}

// TestFallback: a node that refuses is left out and the request goes to
// the next node or the DS; a failure that is not the node's goes to the DS
// without leaving the node out.
func TestFallback(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		reason     string
		policyArgs []string
		path       string
		servedBy   []string // first and second request
		callsOS1   int      // after both requests
	}{
		{"refused, path", kernelErr(handoff.ErrRefused, unix.ECONNREFUSED), "refused", nil,
			"/os1/64k", []string{"local", "local"}, 1},
		{"unreachable, path", kernelErr(handoff.ErrUnknownPeer, unix.EHOSTUNREACH), "unreachable", nil,
			"/os1/64k", []string{"local", "local"}, 1},
		{"refused, rr without the DS", kernelErr(handoff.ErrRefused, unix.ECONNREFUSED), "refused",
			[]string{"-policy", "rr", "-local=false"}, "/os2/64k", []string{"os2", "os2"}, 1},
		{"no module", fmt.Errorf("handoff: open: %w (%w)", handoff.ErrNoModule, unix.ENOENT), "no-module", nil,
			"/os1/64k", []string{"local", "local"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := newContent(t)
			fc := newFakeCluster(ct.root)
			fc.setFail("os1", tt.err)
			args := append([]string{"-node", "os1=" + os1Addr.String(), "-node", "os2=" + os2Addr.String()}, tt.policyArgs...)
			h := start(t, ct.root, fc.handoff, args...)
			c := h.dial()
			for i := range 2 {
				resp, body := c.get(tt.path)
				if resp.StatusCode != 200 || !bytes.Equal(body, ct.files[tt.path]) {
					t.Fatalf("request %d: %d, %d bytes", i+1, resp.StatusCode, len(body))
				}
				if got := servedBy(resp); got != tt.servedBy[i] {
					t.Errorf("request %d served by %s, want %s", i+1, got, tt.servedBy[i])
				}
			}
			if n := fc.callsTo("os1"); n != tt.callsOS1 {
				t.Errorf("%d handoffs to os1, want %d", n, tt.callsOS1)
			}
			line := h.logLine(c.local(), 1)
			if field(line, "fallback") != "os1:"+tt.reason || field(line, "node") != tt.servedBy[0] {
				t.Errorf("access log: %s", line)
			}
			if snap := h.s.stats.snapshot(); snap.Fallbacks < 1 || snap.HandoffFailures < 1 {
				t.Errorf("counters: %+v", snap)
			}
		})
	}
}

// TestFatalHandoff: a handoff that fails after the node may have sent
// closes the connection without another byte.
func TestFatalHandoff(t *testing.T) {
	ct := newContent(t)
	fc := newFakeCluster(ct.root)
	fc.setFail("os1", kernelErr(handoff.ErrTimeout, unix.ETIMEDOUT))
	h := start(t, ct.root, fc.handoff, "-node", "os1="+os1Addr.String())
	c := h.dial()
	c.send("GET /os1/6k HTTP/1.1\r\nHost: h\r\n\r\n", 1)
	c.closed()
	line := h.logLine(c.local(), 1)
	if !strings.Contains(line, "error=") || !strings.Contains(line, "timed out") {
		t.Errorf("access log: %s", line)
	}
}

// TestPipelined: a request with another one buffered behind it is served
// by the DS; the last one is handed off.
func TestPipelined(t *testing.T) {
	ct := newContent(t)
	fc := newFakeCluster(ct.root)
	h := start(t, ct.root, fc.handoff, "-node", "os1="+os1Addr.String(), "-node", "os2="+os2Addr.String())
	c := h.dial()
	c.send("GET /os1/6k HTTP/1.1\r\nHost: h\r\n\r\nGET /os2/64k HTTP/1.1\r\nHost: h\r\n\r\n", 2)
	r1, b1 := c.response("GET")
	r2, b2 := c.response("GET")
	if !bytes.Equal(b1, ct.files["/os1/6k"]) || !bytes.Equal(b2, ct.files["/os2/64k"]) {
		t.Fatal("wrong bodies")
	}
	if servedBy(r1) != "local" || servedBy(r2) != "os2" {
		t.Errorf("served by %s and %s, want local (pipelined) and os2", servedBy(r1), servedBy(r2))
	}
	if line := h.logLine(c.local(), 1); field(line, "fallback") != "os1:pipelined" {
		t.Errorf("access log: %s", line)
	}
	if snap := h.s.stats.snapshot(); snap.PipelinedServedLocally != 1 {
		t.Errorf("pipelined counter %d", snap.PipelinedServedLocally)
	}
}

// TestHetero: the DS writes the head, the node the body; HEAD, empty and
// missing files stay local; a refused body handoff is sent by the DS.
func TestHetero(t *testing.T) {
	ct := newContent(t)
	fc := newFakeCluster(ct.root)
	fc.setFail("os2", kernelErr(handoff.ErrRefused, unix.ECONNREFUSED))
	h := start(t, ct.root, fc.handoff, "-mode", "hetero", "-node", "os1="+os1Addr.String(), "-node", "os2="+os2Addr.String())
	c := h.dial()
	tests := []struct {
		method, path string
		status       int
		node         string
		calls        int // handoffs to os1 so far
	}{
		{"GET", "/os1/64k", 200, "os1", 1},
		{"GET", "/os1/1m", 200, "os1", 2},
		{"GET", "/os1/0", 200, "local", 2},
		{"HEAD", "/os1/6k", 200, "local", 2},
		{"GET", "/os1/missing", 404, "local", 2},
		{"GET", "/local/6k", 200, "local", 2},
		{"GET", "/os2/64k", 200, "local", 2}, // refused: the DS sends the body
	}
	for i, tt := range tests {
		c.send(tt.method+" "+tt.path+" HTTP/1.1\r\nHost: h\r\n\r\n", 1)
		resp, body := c.response(tt.method)
		want := ct.files[tt.path]
		if tt.status == 404 {
			want = []byte("404 Not Found\n")
		}
		if tt.method == "HEAD" {
			want = nil
		}
		if resp.StatusCode != tt.status || !bytes.Equal(body, want) {
			t.Errorf("%s %s: %d, %d bytes; want %d, %d bytes", tt.method, tt.path, resp.StatusCode, len(body), tt.status, len(want))
		}
		if resp.Header.Get("X-Served-By") != "" {
			t.Errorf("%s: the node wrote a head", tt.path)
		}
		line := h.logLine(c.local(), i+1)
		if field(line, "node") != tt.node {
			t.Errorf("access log: %s, want node=%s", line, tt.node)
		}
		if n := fc.callsTo("os1"); n != tt.calls {
			t.Errorf("after %s: %d handoffs to os1, want %d", tt.path, n, tt.calls)
		}
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for _, raw := range fc.reqs {
		if !bytes.HasSuffix(raw, []byte("\r\n"+bodyOnlyHeader+": 1\r\n\r\n")) {
			t.Errorf("handed-off request without the body-only header last: %q", raw)
		}
	}
}

// TestRealHandoffWithoutModule: with pkg/handoff and no splitstack module,
// every request is served by the DS.
func TestRealHandoffWithoutModule(t *testing.T) {
	if _, err := os.Stat(handoff.Device); err == nil {
		t.Skipf("%s exists: the module is loaded", handoff.Device)
	}
	ct := newContent(t)
	h := start(t, ct.root, nil, "-node", "os1="+os1Addr.String())
	c := h.dial()
	for range 3 {
		resp, body := c.get("/os1/64k")
		if resp.StatusCode != 200 || !bytes.Equal(body, ct.files["/os1/64k"]) {
			t.Fatalf("%d, %d bytes", resp.StatusCode, len(body))
		}
	}
	if line := h.logLine(c.local(), 1); field(line, "fallback") != "os1:no-module" || field(line, "node") != "local" {
		t.Errorf("access log: %s", line)
	}
}

// backend is a plain file server like sst-os -backend, counting the
// connections it accepts.
type backend struct {
	name  string
	srv   *httptest.Server
	conns atomic.Int64
	reqs  atomic.Int64
}

func newBackend(t *testing.T, name, root string) *backend {
	b := &backend{name: name}
	files := http.FileServer(http.Dir(root))
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.reqs.Add(1)
		w.Header().Set("X-Served-By", name)
		files.ServeHTTP(w, r)
	}))
	b.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) flag() string {
	return b.name + "=" + strings.TrimPrefix(b.srv.URL, "http://")
}

// TestForward: requests relayed over pooled connections, round robin
// over two back ends; a back end that goes away is left out.
func TestForward(t *testing.T) {
	ct := newContent(t)
	b1, b2 := newBackend(t, "os1", ct.root), newBackend(t, "os2", ct.root)
	h := start(t, ct.root, nil, "-mode", "forward", "-policy", "rr", "-local=false", "-backend", b1.flag(), "-backend", b2.flag())
	c := h.dial()
	paths := []string{"/os1/6k", "/os1/64k", "/os2/1m", "/local/0", "/os2/1", "/a.txt", "/missing", "/os1/1m"}
	for i, p := range paths {
		resp, body := c.get(p)
		want, status := ct.files[p], 200
		if p == "/missing" {
			status = 404
		}
		if resp.StatusCode != status || (status == 200 && !bytes.Equal(body, want)) {
			t.Errorf("%s: %d, %d bytes", p, resp.StatusCode, len(body))
		}
		wantNode := []string{"os1", "os2"}[i%2]
		if servedBy(resp) != wantNode {
			t.Errorf("%s served by %s, want %s", p, servedBy(resp), wantNode)
		}
		line := h.logLine(c.local(), i+1)
		if field(line, "mode") != "forward" || field(line, "status") != fmt.Sprint(status) {
			t.Errorf("access log: %s", line)
		}
	}
	// HEAD and a pipelined pair: forwarding needs no care for either.
	c.send("HEAD /os1/1m HTTP/1.1\r\nHost: h\r\n\r\n", 1)
	if resp, body := c.response("HEAD"); resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 1<<20 {
		t.Errorf("HEAD: %d, %d bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	c.send("GET /os1/6k HTTP/1.1\r\nHost: h\r\n\r\nGET /os2/6k HTTP/1.1\r\nHost: h\r\n\r\n", 2)
	_, p1 := c.response("GET")
	_, p2 := c.response("GET")
	if !bytes.Equal(p1, ct.files["/os1/6k"]) || !bytes.Equal(p2, ct.files["/os2/6k"]) {
		t.Error("pipelined: wrong bodies")
	}
	if n1, n2 := b1.conns.Load(), b2.conns.Load(); n1 != 1 || n2 != 1 {
		t.Errorf("back-end connections: %d and %d, want one each (kept alive)", n1, n2)
	}

	// os1 goes away: its requests go to os2, and the client sees nothing.
	b1.srv.Close()
	for i := range 4 {
		resp, body := c.get("/os2/64k")
		if resp.StatusCode != 200 || !bytes.Equal(body, ct.files["/os2/64k"]) || servedBy(resp) != "os2" {
			t.Errorf("after os1 left, request %d: %d, %d bytes, by %s", i, resp.StatusCode, len(body), servedBy(resp))
		}
	}
	h.logLine(c.local(), c.n) // counted before it is logged
	if snap := h.s.stats.snapshot(); snap.Fallbacks < 1 || snap.ForwardFailures < 1 || snap.Forwards != int64(c.n) {
		t.Errorf("counters after os1 left: %+v (%d requests)", snap, c.n)
	}
	if down := h.s.health.downNodes(); !slices.Equal(down, []string{"os1"}) {
		t.Errorf("unhealthy nodes %v, want os1", down)
	}
}

// TestForwardClientClose: "Connection: close" from the client is relayed
// and the DS closes after the response.
func TestForwardClientClose(t *testing.T) {
	ct := newContent(t)
	b1 := newBackend(t, "os1", ct.root)
	h := start(t, ct.root, nil, "-mode", "forward", "-policy", "rr", "-local=false", "-backend", b1.flag())
	c := h.dial()
	c.send("GET /os1/6k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 1)
	resp, body := c.response("GET")
	if !resp.Close || !bytes.Equal(body, ct.files["/os1/6k"]) {
		t.Errorf("close %v, %d bytes", resp.Close, len(body))
	}
	c.closed()
}

func TestMetricsHandler(t *testing.T) {
	ct := newContent(t)
	fc := newFakeCluster(ct.root)
	fc.setFail("os2", kernelErr(handoff.ErrRefused, unix.ECONNREFUSED))
	h := start(t, ct.root, fc.handoff, "-node", "os1="+os1Addr.String(), "-node", "os2="+os2Addr.String())
	c := h.dial()
	for _, p := range []string{"/os1/6k", "/os2/6k", "/local/6k"} {
		c.get(p)
	}
	h.logLine(c.local(), 3)
	rec := httptest.NewRecorder()
	h.s.metricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var snap snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &snap); err != nil {
		t.Fatalf("%v: %s", err, rec.Body.String())
	}
	want := snapshot{Connections: 1, ActiveConnections: 1, Requests: 3, Handoffs: 1, HandoffFailures: 1, Fallbacks: 1,
		RequestsByNode: map[string]int64{"os1": 1, "local": 2}, UnhealthyNodes: []string{"os2"},
		FailuresByReason: map[string]int64{"handoff:refused": 1}}
	got := snap
	got.UptimeSeconds, got.HandoffLatencyMeanMS, got.Bytes, got.RequestsByMode = 0, 0, 0, nil
	if !cmpEqual(got, want) {
		t.Errorf("metrics:\n%s", rec.Body.String())
	}
	if snap.Bytes < 3*6144 || snap.HandoffLatencyMeanMS <= 0 {
		t.Errorf("bytes %d, latency %v", snap.Bytes, snap.HandoffLatencyMeanMS)
	}
	rec = httptest.NewRecorder()
	h.s.metricsHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

func cmpEqual(a, b snapshot) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestShutdown: ending serve's context closes idle client connections.
func TestShutdown(t *testing.T) {
	ct := newContent(t)
	var out bytes.Buffer
	cfg, err := parseFlags([]string{"-root", ct.root, "-quiet"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(cfg, log.New(io.Discard, "", 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, ln) }()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after shutdown the client reads %d bytes, %v; want EOF", n, err)
	}
}
