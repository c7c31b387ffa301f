package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/split-stack/splitstack/pkg/dispatch"
	"github.com/split-stack/splitstack/pkg/handoff"
	"github.com/split-stack/splitstack/pkg/httpmsg"
)

// handoffFunc is handoff.Conn; tests replace it.
type handoffFunc func(ctx context.Context, conn *net.TCPConn, req []byte, os netip.AddrPort, opts handoff.Options) (int64, error)

// server is the DS: it reads requests off client connections and has each
// served by the node its policy picks.
type server struct {
	cfg     *config
	root    *os.Root
	policy  dispatch.Policy
	health  *health
	stats   *metrics
	pool    *backendPool
	handoff handoffFunc
	limits  httpmsg.Limits
	errlog  *log.Logger
	access  *log.Logger // nil: no access log

	// ctx ends with close(): it bounds health probes.
	ctx    context.Context
	cancel context.CancelFunc

	// Slots: one taken per client connection, per handoff under way,
	// and per refused connection being closed gracefully.
	connSlots    chan struct{}
	handoffSlots chan struct{}
	refusing     chan struct{}

	mu     sync.Mutex
	conns  map[*net.TCPConn]struct{}
	wg     sync.WaitGroup
	warned sync.Map // reasons of failures that are not a node's, logged once
}

// newServer returns the server for c, logging errors to errlog and
// requests to access (nil: none).
func newServer(c *config, errlog *log.Logger, access io.Writer) (*server, error) {
	root, err := os.OpenRoot(c.root)
	if err != nil {
		return nil, fmt.Errorf("-root: %w", err)
	}
	policy, err := c.newPolicy()
	if err != nil {
		root.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		cfg:     c,
		root:    root,
		policy:  policy,
		stats:   newMetrics(),
		pool:    newBackendPool(c.timeout),
		handoff: handoff.Conn,
		limits:  httpmsg.DefaultLimits,
		errlog:  errlog,
		ctx:     ctx,
		cancel:  cancel,
		conns:   map[*net.TCPConn]struct{}{},

		connSlots:    make(chan struct{}, c.maxConns),
		handoffSlots: make(chan struct{}, c.maxHandoffs),
		refusing:     make(chan struct{}, maxRefusing),
	}
	if access != nil {
		s.access = log.New(access, "", 0)
	}
	// Only an explicit -backend is probed: the -node address is where the
	// module sends its SETUP, not necessarily where anything listens.
	s.health = newHealth(ctx, c.unhealthy, c.backends.addrs, errlog.Printf)
	return s, nil
}

// close releases what the server holds once serve has returned.
func (s *server) close() {
	s.cancel()
	s.health.wait()
	s.pool.closeAll()
	s.root.Close()
}

// serve accepts connections on ln until ctx is done, then closes ln and
// every client connection and waits for their goroutines. It returns nil
// when ctx ended it.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.shutdown()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) {
				s.errlog.Printf("accept: %v", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			return err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			c.Close()
			continue
		}
		select {
		case s.connSlots <- struct{}{}:
		default:
			s.refuseConn(tc)
			continue
		}
		s.mu.Lock()
		s.conns[tc] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, tc)
				s.mu.Unlock()
				<-s.connSlots
			}()
			s.serveConn(ctx, tc)
		})
	}
}

// busyResponse answers a connection past -max-conns.
var busyResponse = func() []byte {
	const body = "503 Service Unavailable: too many clients, try again\n"
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
}()

// maxRefusing bounds the refused connections closed gracefully at once;
// past it they are closed at once.
const maxRefusing = 256

// refuseConn answers a connection past -max-conns with a 503 and closes
// it, without reading a request: a goroutine reads briefly what the
// client sent, so that the close does not destroy the answer (see
// lingeringClose), as long as there are not too many of them.
func (s *server) refuseConn(c *net.TCPConn) {
	s.stats.refusedConn()
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(busyResponse); err != nil {
		c.Close()
		return
	}
	select {
	case s.refusing <- struct{}{}:
		s.wg.Go(func() {
			defer func() { <-s.refusing }()
			if c.CloseWrite() == nil {
				c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				io.Copy(io.Discard, io.LimitReader(c, 64<<10))
			}
			c.Close()
		})
	default:
		c.Close()
	}
}

// shutdown closes every client connection and waits for their goroutines.
// (A connection in a handoff is closed once the handoff ends.)
func (s *server) shutdown() {
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serveConn serves the requests of one client connection in turn.
func (s *server) serveConn(ctx context.Context, c *net.TCPConn) {
	defer c.Close()
	s.stats.connOpened()
	defer s.stats.connClosed()
	client := c.RemoteAddr().String()
	rd := httpmsg.NewReader(c, s.limits)
	for n := 1; ; n++ {
		if s.cfg.idle > 0 {
			c.SetReadDeadline(time.Now().Add(s.cfg.idle))
		}
		req, err := rd.Next()
		c.SetReadDeadline(time.Time{})
		if err != nil {
			s.readFailed(c, client, n, err)
			return
		}
		keep, fatal := s.handle(ctx, c, rd, req, client, n)
		switch {
		case fatal:
			return // closed without another byte
		case !keep:
			lingeringClose(c)
			return
		}
	}
}

// readFailed ends a connection whose next request could not be read.
func (s *server) readFailed(c *net.TCPConn, client string, n int, err error) {
	var he *httpmsg.Error
	switch {
	case errors.Is(err, io.EOF):
	case errors.As(err, &he):
		s.stats.parseError()
		resp := he.Response()
		_, werr := s.writeClient(c, resp)
		if errors.Is(werr, os.ErrDeadlineExceeded) {
			s.stats.writeTimeout()
		}
		e := &entry{start: time.Now(), client: client, n: n, method: "-", path: "-",
			node: localNode, mode: "error", status: he.Status, bytes: int64(len(resp))}
		e.err = he
		s.logAccess(e)
		if werr == nil {
			lingeringClose(c)
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		// -idle-timeout: close quietly.
		s.stats.idleTimeout()
	case errors.Is(err, net.ErrClosed):
		// The server shutting down: close quietly.
	default:
		s.errlog.Printf("%s #%d: %v", client, n, err)
	}
}

// lingeringClose sends the FIN and reads (briefly) what the client still
// sends before closing, so that unread data does not turn the close into
// an RST that could destroy the last response before the client reads it.
func lingeringClose(c *net.TCPConn) {
	if c.CloseWrite() == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c, 256<<10))
	}
	c.Close()
}

// handle has req served and logs it. keep is false when the connection
// must be closed after the response; fatal when it must be closed without
// writing anything more (its byte stream is lost).
func (s *server) handle(ctx context.Context, c *net.TCPConn, rd *httpmsg.Reader, req *httpmsg.Request, client string, n int) (keep, fatal bool) {
	e := &entry{start: time.Now(), client: client, n: n, method: req.Method, path: req.Path}
	err := s.route(ctx, c, rd, req, e)
	e.dur = time.Since(e.start)
	s.stats.served(e)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.stats.writeTimeout()
		}
		e.err = err
		s.logAccess(e)
		s.errlog.Printf("%s #%d %s %s: %v: closing the connection", client, n, req.Method, req.Path, err)
		return false, true
	}
	s.logAccess(e)
	return req.KeepAlive && !e.close, false
}

// failure is a failed attempt to have a node serve a request.
type failure struct {
	reason string // one word for the access log: refused, unreachable, backend, ...
	err    error
	// recoverable: nothing reached the client, the connection is still
	// the DS's and the request can be served elsewhere.
	recoverable bool
	// nodeFault: the node is to blame; leave it out for a while.
	nodeFault bool
}

// route serves req: by the node the policy picks, then by the next ones
// if a node fails recoverably, and at last by the DS. A request with an
// internal header field is refused first, in every mode. An error means
// the connection must be closed without writing to it.
func (s *server) route(ctx context.Context, c *net.TCPConn, rd *httpmsg.Reader, req *httpmsg.Request, e *entry) error {
	if name := internalField(req.Header); name != "" {
		return s.refuseInternal(c, e, name)
	}
	f := &localFile{}
	defer f.close()
	if s.cfg.mode == modeHetero {
		// The DS writes the head from its own copy: without a body to
		// send, there is nothing to hand off.
		if !f.open(s.root, req.Path) || req.Method == "HEAD" || f.size == 0 {
			return s.serveLocal(c, req, e, f)
		}
	}
	var tried []string
	skip := func(n string) bool {
		return n != localNode && (slices.Contains(tried, n) || s.health.down(n))
	}
	for {
		node, ok := s.policy.Pick(req.Path, skip)
		if !ok {
			// Every node is left out: the DS serves.
			return s.serveLocal(c, req, e, f)
		}
		if node == localNode {
			err := s.serveLocal(c, req, e, f)
			s.policy.Done(req.Path, node)
			return err
		}
		if s.cfg.mode != modeForward && rd.Buffered() > 0 {
			// The node would not see the pipelined bytes read already.
			s.policy.Done(req.Path, node)
			e.fallbacks = append(e.fallbacks, node+":pipelined")
			s.stats.servedPipelined()
			return s.serveLocal(c, req, e, f)
		}
		var fl *failure
		if s.cfg.mode == modeForward {
			fl = s.forward(ctx, c, req, node, e)
		} else {
			if !s.startHandoff() {
				s.policy.Done(req.Path, node)
				e.fallbacks = append(e.fallbacks, node+":max-handoffs")
				return s.overHandoffLimit(c, req, e, f)
			}
			fl = s.handOff(ctx, c, req, node, e, f)
			s.endHandoff()
		}
		s.policy.Done(req.Path, node)
		if fl == nil {
			return nil
		}
		if !fl.recoverable {
			return fmt.Errorf("%s: %w", node, fl.err)
		}
		e.fallbacks = append(e.fallbacks, node+":"+fl.reason)
		s.stats.fallback()
		if !fl.nodeFault {
			// The DS's own trouble (no module, no key, ...): no other
			// node would fare better.
			if _, seen := s.warned.LoadOrStore(fl.reason, true); !seen {
				s.errlog.Printf("handoffs fail (%v): serving locally", fl.err)
			}
			return s.serveLocal(c, req, e, f)
		}
		if s.health.markDown(node) {
			s.errlog.Printf("node %s left out for %v: %v", node, s.cfg.unhealthy, fl.err)
		}
		tried = append(tried, node)
	}
}

// startHandoff takes a handoff slot, if one of the -max-handoffs is free.
func (s *server) startHandoff() bool {
	select {
	case s.handoffSlots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *server) endHandoff() { <-s.handoffSlots }

// overHandoffLimit serves req, which -max-handoffs keeps from being
// handed off: the DS sends its own copy of the file, and answers 503
// (Retry-After: 1) if it has none.
func (s *server) overHandoffLimit(c *net.TCPConn, req *httpmsg.Request, e *entry, f *localFile) error {
	if f.open(s.root, req.Path) {
		s.stats.handoffLimitLocal()
		return s.serveLocal(c, req, e, f)
	}
	s.stats.refusedHandoffLimit()
	body := []byte("503 Service Unavailable: too many handoffs under way\n")
	head := responseHead(req, http.StatusServiceUnavailable, "text/plain; charset=utf-8", int64(len(body)))
	head = append(head[:len(head)-2], "Retry-After: 1\r\n\r\n"...)
	e.node, e.mode, e.status = localNode, "refused", http.StatusServiceUnavailable
	n, err := s.writeClient(c, append(head, body...))
	e.bytes += int64(n)
	return err
}

// writeClient writes b to the client within -write-timeout.
func (s *server) writeClient(c *net.TCPConn, b []byte) (int, error) {
	s.writeDeadline(c)
	return c.Write(b)
}

// writeDeadline gives the next write to c -write-timeout.
func (s *server) writeDeadline(c *net.TCPConn) {
	if s.cfg.writeTimeout > 0 {
		c.SetWriteDeadline(time.Now().Add(s.cfg.writeTimeout))
	}
}

// sendChunk is the piece of a file that must reach the client within
// -write-timeout.
const sendChunk = 256 << 10

// sendFile sends n bytes of f to c (sendfile), each sendChunk of them
// within -write-timeout.
func (s *server) sendFile(c *net.TCPConn, f *os.File, n int64) (int64, error) {
	var sent int64
	for sent < n {
		s.writeDeadline(c)
		m, err := io.CopyN(c, f, min(n-sent, sendChunk))
		sent += m
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// clientWriter writes to the client, each write within -write-timeout,
// and counts the bytes.
type clientWriter struct {
	s *server
	c *net.TCPConn
	n int64
}

func (w *clientWriter) Write(p []byte) (int, error) {
	w.s.writeDeadline(w.c)
	n, err := w.c.Write(p)
	w.n += int64(n)
	return n, err
}
