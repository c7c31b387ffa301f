package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLogger sends the server's log lines to the test's log until the
// test ends; later lines (from handlers still finishing) are dropped.
func testLogger(t *testing.T) *log.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return log.New(w, "", 0)
}

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

// fixture is a served directory: root holds small.txt, big.bin (1 MiB,
// past any socket buffer), and dir/; outside.txt sits next to root.
type fixture struct {
	root  string
	small []byte
	big   []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{
		root:  filepath.Join(base, "www"),
		small: []byte("hello, split-stack\n"),
		big:   make([]byte, 1<<20),
	}
	for i := range f.big {
		f.big[i] = byte(i*7 + i>>11)
	}
	for name, data := range map[string][]byte{
		"www/small.txt":      f.small,
		"www/big.bin":        f.big,
		"www/dir/index.html": []byte("<p>index</p>\n"),
		"outside.txt":        []byte("secret\n"),
	} {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// serve starts the sst-os server for f on a loopback port and returns its
// address; it is closed when the test ends.
func (f *fixture) serve(t *testing.T, oneRequest bool) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := testLogger(t)
	srv := newServer(logRequests(newHandler(f.root, logger), logger), oneRequest, logger)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// dial connects to addr; the connection is closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}

func request(method, target string, header ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: test\r\n")
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestBodyOnly(t *testing.T) {
	f := newFixture(t)
	const bodyOnly = "X-Sst-Body-Only: 1"
	tests := []struct {
		name string
		req  string
		want []byte // everything the connection carries until it closes
	}{
		{"small file", request("GET", "/small.txt", bodyOnly), f.small},
		{"large file", request("GET", "/big.bin", bodyOnly), f.big},
		{"range ignored", request("GET", "/small.txt", bodyOnly, "Range: bytes=0-3"), f.small},
		{"HEAD", request("HEAD", "/small.txt", bodyOnly), nil},
		{"missing file", request("GET", "/missing.txt", bodyOnly), nil},
		{"directory", request("GET", "/dir/", bodyOnly), nil},
		{"outside the root", request("GET", "/../outside.txt", bodyOnly), nil},
		{"pipelined request ignored", request("GET", "/small.txt", bodyOnly) + request("GET", "/small.txt"), f.small},
	}
	for _, oneRequest := range []bool{false, true} {
		addr := f.serve(t, oneRequest)
		for _, tt := range tests {
			name := tt.name
			if oneRequest {
				name += "/one-request"
			}
			t.Run(name, func(t *testing.T) {
				c := dial(t, addr)
				if _, err := io.WriteString(c, tt.req); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(c)
				if err != nil {
					t.Fatalf("reading until the server closes: %v", err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("got %d bytes %.60q, want exactly %d bytes %.60q", len(got), got, len(tt.want), tt.want)
				}
			})
		}
	}
}

// TestNotBodyOnly checks that other values of the header and requests
// without it get full HTTP responses.
func TestNotBodyOnly(t *testing.T) {
	f := newFixture(t)
	addr := f.serve(t, false)
	tests := []struct {
		name   string
		req    string
		status int
		body   []byte // nil: not checked
	}{
		{"file", request("GET", "/small.txt"), http.StatusOK, f.small},
		{"header 0", request("GET", "/small.txt", "X-Sst-Body-Only: 0"), http.StatusOK, f.small},
		{"missing file", request("GET", "/missing.txt"), http.StatusNotFound, nil},
		{"outside the root", request("GET", "/../outside.txt"), http.StatusNotFound, nil},
		{"range", request("GET", "/small.txt", "Range: bytes=0-4"), http.StatusPartialContent, f.small[:5]},
		{"directory index", request("GET", "/dir/"), http.StatusOK, []byte("<p>index</p>\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr)
			if _, err := io.WriteString(c, tt.req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Fatalf("body %q, want %q", body, tt.body)
			}
		})
	}
}

// TestOneRequest checks that -one-request closes a connection after its
// first response, 404 included, and that the keep-alive server (the
// -backend one) does not.
func TestOneRequest(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		oneRequest bool
		first      string
		status     int
	}{
		{"one request, found", true, "/small.txt", http.StatusOK},
		{"one request, not found", true, "/missing.txt", http.StatusNotFound},
		{"keep-alive, found", false, "/small.txt", http.StatusOK},
		{"keep-alive, not found", false, "/missing.txt", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, f.serve(t, tt.oneRequest))
			br := bufio.NewReader(c)
			get := func(target string) (*http.Response, error) {
				if _, err := io.WriteString(c, request("GET", target)); err != nil {
					return nil, err
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return nil, err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp, err
			}
			resp, err := get(tt.first)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.oneRequest {
				// Nothing more comes: the server closed the connection.
				if n, err := br.ReadByte(); err != io.EOF {
					t.Fatalf("after the first response: %v, %v; want EOF", n, err)
				}
				return
			}
			resp, err = get("/small.txt")
			if err != nil {
				t.Fatalf("second request on the keep-alive connection: %v", err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("second request: status %d", resp.StatusCode)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr bool
	}{
		{"defaults", nil, options{listen: ":80", root: "."}, false},
		{"every flag", []string{"-listen", "10.0.2.1:80", "-backend", "10.0.1.3:8080", "-root", "/srv", "-quiet", "-one-request"},
			options{listen: "10.0.2.1:80", backend: "10.0.1.3:8080", root: "/srv", quiet: true, oneRequest: true}, false},
		{"unknown flag", []string{"-nope"}, options{}, true},
		{"argument", []string{"/srv"}, options{}, true},
		{"empty listen", []string{"-listen", ""}, options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := parseFlags(tt.args, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && *got != tt.want {
				t.Fatalf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	help := out.String()
	for _, want := range []string{"-listen ADDR", "-backend ADDR", "-root DIR", "-one-request", "-quiet", "X-Sst-Body-Only: 1", "examples:", "sst-os -one-request -quiet -listen", "-backend 10.0.1.3:8080", "sst-os -listen :8080"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
}
