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
	cw := &countingWriter{w: c}
	err = resp.Write(cw)
	resp.Body.Close()
	e.node, e.mode, e.status, e.bytes = node, modeForward, resp.StatusCode, e.bytes+cw.n
	if err != nil {
		bc.close()
		s.stats.forwardFailed("relay")
		// Part of the response may have reached the client.
		return &failure{reason: "relay", err: fmt.Errorf("relaying the response of %v: %w", addr, err)}
	}
	if resp.Close {
		// The relayed response says "Connection: close".
		e.close = true
		bc.close()
	} else {
		s.pool.put(addr, bc)
	}
	s.stats.forwarded(time.Since(start))
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

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
		if time.Since(bc.idleSince) < p.maxAge {
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
