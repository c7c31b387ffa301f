// Command sst-os serves a directory over HTTP/1.1 with keep-alive. It is
// the optimal-server program of the Split-Stack demo: connections handed
// off by a designated server arrive through an ordinary accept(), so it
// needs nothing Split-Stack specific; run alone it is a plain file server.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", ":80", "address to listen on")
	root := flag.String("root", ".", "directory to serve")
	quiet := flag.Bool("quiet", false, "do not log requests")
	one := flag.Bool("one-request", false, "close each connection after one response (connections handed off by sst-ds carry one request)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: sst-os [-listen ADDR] [-root DIR] [-quiet] [-one-request]\n\n"+
			"Serves DIR over HTTP/1.1 (keep-alive, range requests, sendfile).\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	st, err := os.Stat(*root)
	if err != nil || !st.IsDir() {
		log.Fatalf("sst-os: %s is not a directory", *root)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("sst-os: %v", err)
	}
	var h http.Handler = http.FileServer(http.Dir(*root))
	if !*quiet {
		h = logRequests(h)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if *one {
		// The close after a handed-off response sends no FIN: it tells
		// the module the response is complete.
		srv.ConnState = func(c net.Conn, s http.ConnState) {
			if s == http.StateIdle {
				c.Close()
			}
		}
	}
	log.Printf("sst-os: serving %s on %s", *root, ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("sst-os: %v", err)
	}
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		log.Printf("%s %s %s %v", r.RemoteAddr, r.Method, r.URL.Path, time.Since(start).Round(time.Microsecond))
	})
}
