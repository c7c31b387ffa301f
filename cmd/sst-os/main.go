// Command sst-os serves a directory over HTTP/1.1 with keep-alive. It is
// the optimal-server program of the Split-Stack demo: connections handed
// off by a designated server arrive through an ordinary accept(), so it
// needs nothing Split-Stack specific; run alone it is a plain file server.
//
// Two additions serve the designated server's other modes: a request with
// the header "X-Sst-Body-Only: 1" is answered with the file's bytes alone
// (the DS wrote the status line and headers itself), and -backend serves
// plain keep-alive HTTP on a second address for a DS that forwards
// requests instead of handing them off.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"time"
)

// bodyOnlyHeader asks for the body of the file alone: no status line, no
// headers, the connection closed after the last byte.
const bodyOnlyHeader = "X-Sst-Body-Only"

// options are the command-line flags.
type options struct {
	listen     string
	backend    string
	root       string
	quiet      bool
	oneRequest bool
}

const usageHead = `usage: sst-os [-listen ADDR] [-backend ADDR] [-root DIR] [-one-request] [-quiet]

Serves DIR over HTTP/1.1 (keep-alive, range requests, sendfile). This is
the optimal-server (OS) program of Split-Stack: connections handed off by a
designated server (sst-ds) arrive through an ordinary accept() on -listen,
which is the service address (VIP, configured on lo) and port the DS names
in its handoffs.

A request with the header "X-Sst-Body-Only: 1" (the DS's heterogeneous
mode, in which the DS writes the status line and headers itself) is
answered with the file's bytes alone, without status line or headers, and
the connection is then closed; Range and conditional headers are ignored.
A missing file then gets no answer at all: the DS has answered 404 itself.

flags:
`

const usageTail = `
examples:
  OS for handoffs (one request per handed-off connection):
    sst-os -one-request -quiet -listen 10.0.2.1:80 -root /srv/www
  OS for handoffs that also serves the DS's back-end forwarding mode:
    sst-os -one-request -listen 10.0.2.1:80 -backend 10.0.1.3:8080 -root /srv/www
  plain file server (also the back end of a forwarding DS):
    sst-os -listen :8080 -root /srv/www
`

// parseFlags parses the command line; help and errors are written to out.
func parseFlags(args []string, out io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("sst-os", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", ":80", "listen on `ADDR`: for handoffs, the service address (VIP) and the port the DS hands off to")
	fs.StringVar(&o.backend, "backend", "", "also serve plain keep-alive HTTP on `ADDR` (the DS's back-end forwarding mode); -one-request does not apply there")
	fs.StringVar(&o.root, "root", ".", "serve the files under `DIR`")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log requests")
	fs.BoolVar(&o.oneRequest, "one-request", false, "close each -listen connection after one response: a connection handed off by sst-ds carries one request, and its close tells the module the response is complete")
	fs.Usage = func() {
		fmt.Fprint(out, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(out, usageTail)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "sst-os: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.listen == "" {
		return nil, errors.New("-listen must not be empty")
	}
	return &o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	logger := log.Default()
	st, err := os.Stat(o.root)
	if err != nil || !st.IsDir() {
		logger.Fatalf("sst-os: %s is not a directory", o.root)
	}

	h := newHandler(o.root, logger)
	if !o.quiet {
		h = logRequests(h, logger)
	}
	type server struct {
		srv  *http.Server
		addr string
		what string
	}
	what := "keep-alive"
	if o.oneRequest {
		what = "one request per connection"
	}
	servers := []server{{newServer(h, o.oneRequest, logger), o.listen, what}}
	if o.backend != "" {
		servers = append(servers, server{newServer(h, false, logger), o.backend, "back end, keep-alive"})
	}
	// Listen on every address before serving any, so that a bad address
	// fails at once.
	lns := make([]net.Listener, len(servers))
	for i, s := range servers {
		if lns[i], err = net.Listen("tcp", s.addr); err != nil {
			logger.Fatalf("sst-os: %v", err)
		}
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		logger.Printf("sst-os: serving %s on %s (%s)", o.root, lns[i].Addr(), s.what)
		go func() { errc <- s.srv.Serve(lns[i]) }()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Fatalf("sst-os: %v", err)
	}
}

// newServer returns the server for h. With oneRequest it closes every
// connection after its first response.
func newServer(h http.Handler, oneRequest bool, logger *log.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logger,
	}
	if oneRequest {
		// The close after a handed-off response sends no FIN: it tells
		// the module the response is complete.
		srv.ConnState = func(c net.Conn, s http.ConnState) {
			if s == http.StateIdle {
				c.Close()
			}
		}
	}
	return srv
}

// fileServer serves root: with http.FileServer, or the body alone when the
// request asks for it.
type fileServer struct {
	root  http.Dir
	files http.Handler
	log   *log.Logger
}

// newHandler returns the handler serving the directory root.
func newHandler(root string, logger *log.Logger) http.Handler {
	return &fileServer{root: http.Dir(root), files: http.FileServer(http.Dir(root)), log: logger}
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(bodyOnlyHeader) == "1" {
		s.serveBodyOnly(w, r)
		return
	}
	s.files.ServeHTTP(w, r)
}

// serveBodyOnly writes the bytes of the regular file the request names
// straight to the connection, without status line or headers, and closes
// it. Anything but a regular file closes the connection without a byte.
func (s *fileServer) serveBodyOnly(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	f, err := s.root.Open(name)
	if err == nil {
		defer f.Close()
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.log.Printf("sst-os: %s %s: body-only response impossible: connection cannot be hijacked", r.RemoteAddr, name)
		http.Error(w, "body-only responses need HTTP/1.x", http.StatusHTTPVersionNotSupported)
		return
	}
	conn, bufrw, herr := hj.Hijack()
	if herr != nil {
		s.log.Printf("sst-os: %s %s: hijack: %v", r.RemoteAddr, name, herr)
		return
	}
	defer conn.Close()
	if err != nil {
		// The DS answered with the head of a 404 already: nothing to add.
		s.log.Printf("sst-os: %s %s: body-only request for a file that cannot be served (%v): closing without a response", r.RemoteAddr, name, err)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	// The server set deadlines for reading the request: the body may take
	// longer than that to send.
	conn.SetDeadline(time.Time{})
	if err := bufrw.Flush(); err != nil {
		s.log.Printf("sst-os: %s %s: %v", r.RemoteAddr, name, err)
		return
	}
	// A *net.TCPConn reading from an *os.File: sendfile.
	if _, err := io.Copy(conn, f); err != nil {
		s.log.Printf("sst-os: %s %s: body-only response: %v", r.RemoteAddr, name, err)
	}
}

func logRequests(next http.Handler, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		mode := ""
		if r.Header.Get(bodyOnlyHeader) == "1" {
			mode = " (body only)"
		}
		logger.Printf("%s %s %s%s %v", r.RemoteAddr, r.Method, r.URL.Path, mode, time.Since(start).Round(time.Microsecond))
	})
}
