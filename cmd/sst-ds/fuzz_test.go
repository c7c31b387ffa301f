package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/httpmsg"
)

// sinkConn is a back-end connection that swallows what the DS writes (the
// responses come from a bufio.Reader of their own).
type sinkConn struct{ net.Conn }

func (sinkConn) Write(p []byte) (int, error)      { return len(p), nil }
func (sinkConn) SetWriteDeadline(time.Time) error { return nil }
func (sinkConn) SetReadDeadline(time.Time) error  { return nil }
func (sinkConn) Close() error                     { return nil }

// FuzzRelay feeds arbitrary back-end bytes to forward mode's response
// reading and relaying: it must not panic; what it relays must be one
// response the client can delimit (or the relay must say the connection
// closes); and a connection it calls reusable must have had an exactly
// framed response whose body the client got in full.
func FuzzRelay(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nclose-delimited",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"raw file bytes without a head",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		req := &httpmsg.Request{Method: method, Raw: []byte(method + " / HTTP/1.1\r\nHost: h\r\n\r\n")}
		bc := &backendConn{c: sinkConn{}, br: bufio.NewReader(bytes.NewReader(in))}
		resp, err := bc.exchange(req, time.Second)
		if err != nil {
			return // a back-end failure: nothing is relayed
		}
		var out bytes.Buffer
		closes, reusable, err := relay(&out, resp, method)
		if err != nil {
			if reusable {
				t.Fatalf("a failed relay (%v) left the connection reusable", err)
			}
			return
		}
		if reusable && !framed(resp, method) {
			t.Fatalf("reusable after a response that is not framed: %q", in)
		}
		// The client reads one response, and nothing after it.
		br := bufio.NewReader(bytes.NewReader(out.Bytes()))
		got, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("the relayed %q does not parse: %v", out.Bytes(), err)
		}
		body, err := io.ReadAll(got.Body)
		if err != nil {
			t.Fatalf("the relayed body of %q: %v", out.Bytes(), err)
		}
		if rest, _ := io.ReadAll(br); len(rest) > 0 {
			t.Fatalf("%q relayed after the response %q", rest, out.Bytes())
		}
		if got.Close != closes {
			t.Fatalf("the relayed response says close %v, relay says %v: %q", got.Close, closes, out.Bytes())
		}
		if !closes && !framed(got, method) {
			t.Fatalf("a kept client connection got a response it cannot delimit: %q", out.Bytes())
		}
		if reusable && resp.ContentLength >= 0 && method != "HEAD" && int64(len(body)) != resp.ContentLength &&
			resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
			t.Fatalf("reusable, but %d body bytes of %d relayed", len(body), resp.ContentLength)
		}
	})
}

// FuzzBodyOnlyRequest: the request hetero mode hands off is the client's
// request with "X-Sst-Body-Only: 1" added last, which the node's parser
// reads as the same request.
func FuzzBodyOnlyRequest(f *testing.F) {
	for _, s := range []string{
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a HTTP/1.1\nHost: h\n\n",
		"\r\nPOST /p?x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
		"GET http://h/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := httpmsg.NewReader(bytes.NewReader(in), httpmsg.Limits{}).Next()
		if err != nil || internalField(req.Header) != "" {
			return // refused before any handoff
		}
		out := bodyOnlyRequest(req)
		got, err := httpmsg.NewReader(bytes.NewReader(out), httpmsg.Limits{MaxHead: 16 << 10}).Next()
		if err != nil {
			t.Fatalf("the handed-off %q does not parse: %v", out, err)
		}
		if len(got.Raw) != len(out) {
			t.Fatalf("the handed-off %q is read as %d bytes", out, len(got.Raw))
		}
		n := len(got.Header)
		if n != len(req.Header)+1 || got.Header[n-1] != (httpmsg.Field{Name: bodyOnlyHeader, Value: "1"}) {
			t.Fatalf("header %q, want %q and the body-only field", got.Header, req.Header)
		}
		if got.Method != req.Method || got.Target != req.Target || got.Path != req.Path || got.KeepAlive != req.KeepAlive ||
			!bytes.Equal(got.Body(), req.Body()) {
			t.Fatalf("handed off %+v, the client's %+v", got, req)
		}
	})
}
