package httpmsg

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// want is what a test expects of a parsed request (Raw is checked apart).
type want struct {
	Method, Target, Path, Query, Proto, Host string
	ContentLength                            int
	KeepAlive                                bool
	Body                                     string
}

func got(r *Request) want {
	return want{r.Method, r.Target, r.Path, r.Query, r.Proto, r.Host, r.ContentLength, r.KeepAlive, string(r.Body())}
}

func TestNextGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"GET", "GET /a/b.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n",
			want{"GET", "/a/b.html", "/a/b.html", "", "HTTP/1.1", "example.com", 0, true, ""}},
		{"bare LF", "GET /x HTTP/1.1\nHost: h\n\n",
			want{"GET", "/x", "/x", "", "HTTP/1.1", "h", 0, true, ""}},
		{"POST with body", "POST /form?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nform=1&x=2!",
			want{"POST", "/form?x=1", "/form", "x=1", "HTTP/1.1", "h", 11, true, "form=1&x=2!"}},
		{"Connection close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
			want{"GET", "/", "/", "", "HTTP/1.1", "h", 0, false, ""}},
		{"HTTP/1.0", "GET /old HTTP/1.0\r\n\r\n",
			want{"GET", "/old", "/old", "", "HTTP/1.0", "", 0, false, ""}},
		{"HTTP/1.0 keep-alive", "GET /old HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\n\r\n",
			want{"GET", "/old", "/old", "", "HTTP/1.0", "h", 0, true, ""}},
		{"absolute form", "GET http://www.example.com:8080/a/./b/../c?q HTTP/1.1\r\nHost: other\r\n\r\n",
			want{"GET", "http://www.example.com:8080/a/./b/../c?q", "/a/c", "q", "HTTP/1.1", "www.example.com:8080", 0, true, ""}},
		{"absolute form, no path", "HEAD HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n",
			want{"HEAD", "HTTPS://h", "/", "", "HTTP/1.1", "h", 0, true, ""}},
		{"percent-decoded, cleaned", "GET /a%20b/../%7Euser/%2e%2e/%2E%2E/x/ HTTP/1.1\r\nHost: h\r\n\r\n",
			want{"GET", "/a%20b/../%7Euser/%2e%2e/%2E%2E/x/", "/x/", "", "HTTP/1.1", "h", 0, true, ""}},
		{"no escape above the root", "GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n",
			want{"GET", "/../../etc/passwd", "/etc/passwd", "", "HTTP/1.1", "h", 0, true, ""}},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
			want{"OPTIONS", "*", "*", "", "HTTP/1.1", "h", 0, true, ""}},
		{"empty lines first", "\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			want{"GET", "/", "/", "", "HTTP/1.1", "h", 0, true, ""}},
		{"equal duplicate Content-Length", "PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 003, 3\r\n\r\nabc",
			want{"PUT", "/p", "/p", "", "HTTP/1.1", "h", 3, true, "abc"}},
		{"Transfer-Encoding identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
			want{"POST", "/", "/", "", "HTTP/1.1", "h", 0, true, ""}},
		{"value whitespace and obs-text", "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t v\xe9 \t\r\n\r\n",
			want{"GET", "/", "/", "", "HTTP/1.1", "h", 0, true, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time: a request split anywhere must parse.
			for _, src := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				r := NewReader(src, Limits{})
				req, err := r.Next()
				if err != nil {
					t.Fatalf("Next: %v", err)
				}
				if diff := cmp.Diff(tt.want, got(req)); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
				if string(req.Raw) != tt.in {
					t.Errorf("Raw = %q, want the whole input %q", req.Raw, tt.in)
				}
				if _, err := r.Next(); err != io.EOF {
					t.Errorf("second Next: %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestHeaderOrder(t *testing.T) {
	in := "GET / HTTP/1.1\r\nHost: h\r\nX-B: 1\r\nx-a: 2\r\nX-b: 3\r\n\r\n"
	req, err := NewReader(strings.NewReader(in), Limits{}).Next()
	if err != nil {
		t.Fatal(err)
	}
	wantH := Header{{"Host", "h"}, {"X-B", "1"}, {"x-a", "2"}, {"X-b", "3"}}
	if diff := cmp.Diff(wantH, req.Header); diff != "" {
		t.Errorf("Header (-want +got):\n%s", diff)
	}
	if g := req.Header.Get("x-b"); g != "1" {
		t.Errorf("Get(x-b) = %q, want the first, 1", g)
	}
	if diff := cmp.Diff([]string{"1", "3"}, req.Header.Values("X-B")); diff != "" {
		t.Errorf("Values(X-B) (-want +got):\n%s", diff)
	}
	if req.Header.Has("X-C") || !req.Header.Has("X-A") {
		t.Errorf("Has: wrong answer")
	}
	if req.HeadLen != len(in) {
		t.Errorf("HeadLen = %d, want %d", req.HeadLen, len(in))
	}
}

// TestPipelined reads requests sent in one buffer: each Raw is exactly its
// request and Buffered counts what follows it.
func TestPipelined(t *testing.T) {
	reqs := []string{
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		"GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	}
	all := strings.Join(reqs, "")
	r := NewReader(strings.NewReader(all), Limits{})
	rest := len(all)
	for i, want := range reqs {
		req, err := r.Next()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if string(req.Raw) != want {
			t.Errorf("request %d: Raw = %q, want %q", i, req.Raw, want)
		}
		rest -= len(want)
		if r.Buffered() != rest {
			t.Errorf("request %d: Buffered = %d, want %d", i, r.Buffered(), rest)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last: %v, want io.EOF", err)
	}
}

// TestRawIsACopy: Raw must survive later reads that reuse the buffer.
func TestRawIsACopy(t *testing.T) {
	in := "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
	r := NewReader(strings.NewReader(in), Limits{})
	first, _ := r.Next()
	second, _ := r.Next()
	if string(first.Raw) != in[:len(in)/2] || string(second.Raw) != in[len(in)/2:] {
		t.Errorf("Raw changed under later reads: %q, %q", first.Raw, second.Raw)
	}
}

func TestNextErrors(t *testing.T) {
	big := strings.Repeat("a", 9000)
	tests := []struct {
		name   string
		in     string
		lim    Limits
		status int
	}{
		{"no version", "GET /\r\n\r\n", Limits{}, 400},
		{"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", Limits{}, 400},
		{"bad method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"garbage version", "GET / HTTP/one\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", Limits{}, 400},
		{"CR in request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"control in target", "GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"ftp target", "GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"userinfo", "GET http://u@h/a HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"empty authority", "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"bad escape", "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"bad hex", "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"encoded NUL", "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"star for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", Limits{}, 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", Limits{}, 400},
		{"empty name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", Limits{}, 400},
		{"NUL in name", "GET / HTTP/1.1\r\nHost: h\r\nX\x00A: v\r\n\r\n", Limits{}, 400},
		{"CTL in name", "GET / HTTP/1.1\r\nHost: h\r\nX\x1bA: v\r\n\r\n", Limits{}, 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", Limits{}, 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", Limits{}, 400},
		{"missing Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", Limits{}, 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Limits{}, 400},
		{"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Limits{}, 400},
		{"bad Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\nx", Limits{}, 400},
		{"negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", Limits{}, 400},
		{"empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", Limits{}, 400},
		{"conflicting Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", Limits{}, 400},
		{"conflicting Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nxx", Limits{}, 400},
		{"Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", Limits{}, 400},
		{"empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n", Limits{}, 400},
		{"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 8193\r\n\r\n", Limits{}, 413},
		{"body above a small limit", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", Limits{MaxBody: 10}, 413},
		{"huge Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", Limits{}, 413},
		{"head too large", "GET / HTTP/1.1\r\nHost: h\r\nX: " + big + "\r\n\r\n", Limits{}, 431},
		{"request line too large", "GET /" + big + " HTTP/1.1\r\nHost: h\r\n\r\n", Limits{}, 431},
		{"head above a small limit", "GET / HTTP/1.1\r\nHost: h\r\nX: 123456\r\n\r\n", Limits{MaxHead: 32}, 431},
		{"endless empty lines", strings.Repeat("\r\n", 5000), Limits{}, 431},
		{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Limits{}, 501},
		{"gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, gzip\r\n\r\n", Limits{}, 501},
		{"CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", Limits{}, 501},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", Limits{}, 505},
		{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", Limits{}, 505},
		{"HTTP/0.9 with version", "GET / HTTP/0.9\r\n\r\n", Limits{}, 505},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), tt.lim)
			req, err := r.Next()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Next = %+v, %v; want an *Error %d", req, err, tt.status)
			}
			if e.Status != tt.status {
				t.Errorf("status %d (%s), want %d", e.Status, e.Reason, tt.status)
			}
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("second Next: %v, want the same error again", err2)
			}
			checkResponse(t, e)
		})
	}
}

// checkResponse parses e's response with net/http.
func checkResponse(t *testing.T, e *Error) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(e.Response())), nil)
	if err != nil {
		t.Fatalf("Response() is not an HTTP response: %v\n%s", err, e.Response())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	if resp.StatusCode != e.Status || !resp.Close || resp.Proto != "HTTP/1.1" {
		t.Errorf("response: status %d, close %v, %s; want %d, close, HTTP/1.1", resp.StatusCode, resp.Close, resp.Proto, e.Status)
	}
	if !strings.Contains(string(body), e.Reason) {
		t.Errorf("body %q does not say the reason %q", body, e.Reason)
	}
}

func TestErrorResponseSanitized(t *testing.T) {
	e := &Error{Status: 42, Reason: "a\r\nX-Injected: 1\r\n"}
	resp := string(e.Response())
	if !strings.HasPrefix(resp, "HTTP/1.1 400 Bad Request\r\n") {
		t.Errorf("a status out of range should become 400: %q", resp)
	}
	if strings.Contains(resp, "\r\nX-Injected") {
		t.Errorf("reason broke the response apart: %q", resp)
	}
	if !strings.Contains(e.Error(), "42") {
		t.Errorf("Error() = %q, want the status", e.Error())
	}
}

func TestTruncated(t *testing.T) {
	for _, in := range []string{
		"G",
		"GET / HTTP/1.1",
		"GET / HTTP/1.1\r\nHost: h\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\r",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
		"\r\n\r",
	} {
		_, err := NewReader(strings.NewReader(in), Limits{}).Next()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
	for _, in := range []string{"", "\r\n", "\n\n\r\n"} {
		if _, err := NewReader(strings.NewReader(in), Limits{}).Next(); err != io.EOF {
			t.Errorf("%q: %v, want io.EOF", in, err)
		}
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("GET / HT"), iotest.ErrReader(boom)), Limits{})
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Errorf("Next: %v, want the reader's error", err)
	}
}

func TestDefaultLimits(t *testing.T) {
	const maxRequest = 16 * 1024 // handoff.MaxRequest
	if DefaultLimits.MaxHead+DefaultLimits.MaxBody > maxRequest {
		t.Errorf("DefaultLimits %+v: a request within them may not fit in a handoff (%d bytes)", DefaultLimits, maxRequest)
	}
	if l := (Limits{}).withDefaults(); l != DefaultLimits {
		t.Errorf("zero Limits = %+v, want DefaultLimits %+v", l, DefaultLimits)
	}
}

// FuzzReader feeds arbitrary bytes to a Reader: it must never panic, every
// request's Raw must be the next bytes of the input, and only empty lines
// may follow the last request at a clean end.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.0\r\n\r\n",
		"GET http://h:1/a/../b?x HTTP/1.1\nHost: h\n\n",
		"GET /%2e%2e/%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\nContent-Length: 01\r\n\r\nx",
		"\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX\x00: v\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
		"CONNECT h:1 HTTP/1.1\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(0), uint16(0))
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\nX: 1234567890\r\n\r\n"), uint16(40), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, maxHead, maxBody uint16) {
		src := bytes.NewReader(data)
		lim := Limits{MaxHead: int(maxHead), MaxBody: int(maxBody)}
		r := NewReader(src, lim)
		lim = lim.withDefaults()
		off := 0
		for {
			req, err := r.Next()
			if err != nil {
				var e *Error
				switch {
				case err == io.EOF:
					if strings.Trim(string(data[off:]), "\r\n") != "" {
						t.Fatalf("io.EOF with %q left after the last request", data[off:])
					}
				case errors.As(err, &e):
					if statusText[e.Status] == "" {
						t.Fatalf("status %d is not one an Error carries", e.Status)
					}
					if !bytes.HasPrefix(e.Response(), []byte("HTTP/1.1 ")) {
						t.Fatalf("Response() = %q", e.Response())
					}
				case errors.Is(err, io.ErrUnexpectedEOF):
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !bytes.HasPrefix(data[off:], req.Raw) || len(req.Raw) == 0 {
				t.Fatalf("Raw %q is not the next %d bytes of the input at %d", req.Raw, len(req.Raw), off)
			}
			if req.HeadLen > lim.MaxHead || req.ContentLength > lim.MaxBody || len(req.Raw) != req.HeadLen+req.ContentLength {
				t.Fatalf("HeadLen %d + ContentLength %d vs Raw %d, limits %+v", req.HeadLen, req.ContentLength, len(req.Raw), lim)
			}
			if req.Path == "" || (req.Path[0] != '/' && req.Path != "*") {
				t.Fatalf("Path %q", req.Path)
			}
			off += len(req.Raw)
			if read := len(data) - src.Len(); off+r.Buffered() != read {
				t.Fatalf("consumed %d + Buffered %d != %d bytes read", off, r.Buffered(), read)
			}
		}
	})
}
