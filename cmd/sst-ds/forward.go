package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/split-stack/splitstack/pkg/httpmsg"
)

// forward has node serve req the traditional way: the DS sends the request
// to the node's back end, reads the response and relays it to the client.
func (s *server) forward(ctx context.Context, c *net.TCPConn, req *httpmsg.Request, node string, e *entry) *failure {
	addr, ok := s.cfg.backend(node)
	if !ok {
		return &failure{reason: "no-backend", recoverable: true, err: fmt.Errorf("node %s has no back-end address", node)}
	}
	start := time.Now()
	resp, bc, err := s.pool.roundTrip(ctx, addr, req)
	if err != nil {
		s.stats.forwardFailed("backend")
		return &failure{reason: "backend", recoverable: true, nodeFault: true, err: fmt.Errorf("back end %v: %w", addr, err)}
	}
	cw := &clientWriter{s: s, c: c}
	closes, reusable, err := relay(cw, resp, req.Method)
	e.node, e.mode, e.status, e.bytes = node, modeForward, resp.StatusCode, e.bytes+cw.n
	if err != nil {
		bc.close()
		s.stats.forwardFailed("relay")
		// Part of the response may have reached the client.
		return &failure{reason: "relay", err: fmt.Errorf("relaying the response of %v: %w", addr, err)}
	}
	// The relayed response says "Connection: close" (or ends with the
	// connection): so be it.
	e.close = closes
	if reusable && bc.br.Buffered() == 0 {
		s.pool.put(addr, bc)
	} else {
		// Not exactly framed, or the back end sent more than it
		// announced: what is left would be the next client's response.
		bc.close()
		s.stats.backendConnNotPooled()
	}
	s.stats.forwarded(time.Since(start))
	return nil
}

// relay writes resp, the back end's response to a request with method, to
// w. closes says whether the response as written tells the client that
// the connection closes after it; reusable whether the back-end
// connection is where resp left it: the response was exactly framed (no
// body, a Content-Length read in full, or chunked read to its last chunk)
// and the back end did not say it closes. Extra bytes buffered after the
// response are the caller's to check.
func relay(w io.Writer, resp *http.Response, method string) (closes, reusable bool, err error) {
	r := *resp
	body := &eofReader{rc: resp.Body}
	if resp.Body != http.NoBody {
		r.Body = body
	}
	err = r.Write(w)
	resp.Body.Close()
	if err != nil {
		return true, false, err
	}
	done := resp.Body == http.NoBody || body.eof
	return relayCloses(resp), done && !resp.Close && framed(resp, method), nil
}

// framed reports whether resp's body has a known end on the connection:
// none (a response to HEAD; 1xx, 204, 304), a Content-Length, or chunked.
// The other body ends with the connection.
func framed(resp *http.Response, method string) bool {
	switch {
	case method == http.MethodHead, resp.StatusCode < 200, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusNotModified:
		return true
	case isChunked(resp):
		return true
	default:
		return resp.ContentLength >= 0
	}
}

func isChunked(resp *http.Response) bool {
	return len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
}

// relayCloses reports whether http.Response.Write says "Connection:
// close" for resp: it does when the back end did, and for a body of
// unknown length on HTTP/1.1, which only the end of the connection can
// delimit.
func relayCloses(resp *http.Response) bool {
	return resp.Close || (resp.ContentLength < 0 && resp.ProtoAtLeast(1, 1) && !isChunked(resp) && !resp.Uncompressed)
}

// eofReader notes whether its reader has returned io.EOF: a body read to
// its end.
type eofReader struct {
	rc  io.ReadCloser
	eof bool
}

func (r *eofReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if errors.Is(err, io.EOF) {
		r.eof = true
	}
	return n, err
}

func (r *eofReader) Close() error { return nil } // resp.Body is closed by relay

// backendPool keeps idle keep-alive connections to back ends.
type backendPool struct {
	timeout time.Duration // dial, request write, and each read of the response
	maxIdle int           // per back end
	maxAge  time.Duration // of an idle connection: back ends close them too

	mu     sync.Mutex
	idle   map[netip.AddrPort][]*backendConn
	closed bool
}

// backendConn is one connection to a back end.
type backendConn struct {
	c         net.Conn
	br        *bufio.Reader
	idleSince time.Time
}

func newBackendPool(timeout time.Duration) *backendPool {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &backendPool{timeout: timeout, maxIdle: 64, maxAge: 30 * time.Second, idle: map[netip.AddrPort][]*backendConn{}}
}

// deadlineReader sets a read deadline before every read: a back end that
// goes silent for the pool's timeout fails the exchange, however long the
// response takes in all.
type deadlineReader struct {
	c       net.Conn
	timeout time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	d.c.SetReadDeadline(time.Now().Add(d.timeout))
	return d.c.Read(p)
}

// get returns an idle connection to addr, or a new one; reused says which.
func (p *backendPool) get(ctx context.Context, addr netip.AddrPort) (bc *backendConn, reused bool, err error) {
	p.mu.Lock()
	for list := p.idle[addr]; len(list) > 0; list = p.idle[addr] {
		bc = list[len(list)-1]
		p.idle[addr] = list[:len(list)-1]
		if time.Since(bc.idleSince) < p.maxAge && bc.quiet() {
			p.mu.Unlock()
			return bc, true, nil
		}
		bc.close()
	}
	p.mu.Unlock()
	d := net.Dialer{Timeout: p.timeout}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, false, err
	}
	return &backendConn{c: c, br: bufio.NewReader(deadlineReader{c, p.timeout})}, false, nil
}

// put keeps bc for the next request to addr.
func (p *backendPool) put(addr netip.AddrPort, bc *backendConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[addr]) >= p.maxIdle {
		bc.close()
		return
	}
	bc.idleSince = time.Now()
	p.idle[addr] = append(p.idle[addr], bc)
}

// closeAll closes every idle connection; later ones are not kept.
func (p *backendPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for addr, list := range p.idle {
		for _, bc := range list {
			bc.close()
		}
		delete(p.idle, addr)
	}
}

func (bc *backendConn) close() { bc.c.Close() }

// quiet reports whether nothing has arrived on bc while it was idle: no
// bytes (the rest of an earlier response, or one sent unasked, which
// would be taken for the next response) and no end of the connection. A
// connection that is not a socket (tests) counts as quiet.
func (bc *backendConn) quiet() bool {
	if bc.br.Buffered() > 0 {
		return false
	}
	sc, ok := bc.c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	// The last read's deadline may have passed: RawConn.Read heeds it.
	bc.c.SetReadDeadline(time.Time{})
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, perr = unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return true // never wait
	})
	return err == nil && errors.Is(perr, unix.EAGAIN)
}

// roundTrip sends req's bytes to the back end at addr and reads the head
// of its response; the caller reads the body and then closes or puts
// back bc. A kept connection the back end has closed meanwhile is
// replaced by a new one.
func (p *backendPool) roundTrip(ctx context.Context, addr netip.AddrPort, req *httpmsg.Request) (*http.Response, *backendConn, error) {
	for {
		bc, reused, err := p.get(ctx, addr)
		if err != nil {
			return nil, nil, err
		}
		resp, err := bc.exchange(req, p.timeout)
		if err == nil {
			return resp, bc, nil
		}
		bc.close()
		if !reused || !staleConn(err) {
			return nil, nil, err
		}
	}
}

// exchange writes the request and reads the head of the final response
// (interim 1xx responses are dropped: the DS has read the whole request
// already).
func (bc *backendConn) exchange(req *httpmsg.Request, timeout time.Duration) (*http.Response, error) {
	bc.c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := bc.c.Write(req.Raw); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(bc.br, &http.Request{Method: req.Method})
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			resp.Body.Close()
			return nil, errors.New("the back end switched protocols")
		case resp.StatusCode >= 100 && resp.StatusCode < 200:
			continue
		}
		return resp, nil
	}
}

// staleConn reports whether err is how a kept connection that its back end
// closed while idle fails: nothing was read.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
