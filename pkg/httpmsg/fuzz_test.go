package httpmsg

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzRequestFields feeds arbitrary client bytes to a Reader (FuzzReader
// checks the framing; this checks the fields): it must not panic,
// the requests it returns must be exactly the bytes consumed, in order,
// with consistent fields, and a refusal must be a well-formed response.
func FuzzRequestFields(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a/../b?x=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.0\r\n\r\n",
		"\r\n\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET http://h/%2e%2e/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\nX-Sst-Body-Only: 1\n\n",
		"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		"GET /\x00 HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := NewReader(bytes.NewReader(in), Limits{MaxHead: 512, MaxBody: 256})
		var consumed []byte
		for range 64 {
			req, err := rd.Next()
			if err != nil {
				checkError(t, err)
				if _, again := rd.Next(); again != err {
					t.Fatalf("Next after %v returned %v", err, again)
				}
				break
			}
			checkRequest(t, req)
			consumed = append(consumed, req.Raw...)
			if !bytes.HasPrefix(in, consumed) {
				t.Fatalf("the requests' bytes %q are not the input's %q", consumed, in)
			}
			if got := len(in) - len(consumed); rd.Buffered() > got {
				t.Fatalf("Buffered %d, but only %d bytes are left", rd.Buffered(), got)
			}
		}
	})
}

func checkRequest(t *testing.T, req *Request) {
	t.Helper()
	switch {
	case req.HeadLen > len(req.Raw), len(req.Body()) != req.ContentLength:
		t.Fatalf("head %d, body %d of %d bytes, Content-Length %d", req.HeadLen, len(req.Body()), len(req.Raw), req.ContentLength)
	case req.HeadLen > 512 || req.ContentLength > 256:
		t.Fatalf("past the limits: head %d, body %d", req.HeadLen, req.ContentLength)
	case req.Path != "*" && !strings.HasPrefix(req.Path, "/"):
		t.Fatalf("path %q", req.Path)
	case strings.Contains(req.Path, "/../") || strings.HasSuffix(req.Path, "/.."):
		t.Fatalf("path %q above its root", req.Path)
	case req.Proto != "HTTP/1.1" && req.Proto != "HTTP/1.0":
		t.Fatalf("proto %q", req.Proto)
	case len(req.Header.Values("Host")) > 1 || (req.Proto == "HTTP/1.1" && len(req.Header.Values("Host")) != 1):
		t.Fatalf("Host fields %q in %q", req.Header.Values("Host"), req.Raw)
	}
	for _, fl := range req.Header {
		if !isToken(fl.Name) || strings.ContainsAny(fl.Value, "\r\n\x00") {
			t.Fatalf("header field %q: %q", fl.Name, fl.Value)
		}
	}
}

// checkError: an error is the end of the input or a refusal whose
// response net/http reads as one complete response.
func checkError(t *testing.T, err error) {
	t.Helper()
	var he *Error
	if !errors.As(err, &he) {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error %v is neither an *Error nor an end of input", err)
		}
		return
	}
	resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(he.Response())), nil)
	if rerr != nil {
		t.Fatalf("the response to %v does not parse: %v", he, rerr)
	}
	body, rerr := io.ReadAll(resp.Body)
	if rerr != nil || resp.StatusCode != he.Status || !resp.Close || int64(len(body)) != resp.ContentLength {
		t.Fatalf("the response to %v: %d close %v, %q, %v", he, resp.StatusCode, resp.Close, body, rerr)
	}
}
