package handoff_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/split-stack/splitstack/pkg/handoff"
)

// A designated server: every connection is served by a keep-alive loop
// that hands requests for /static/ to the OS at 10.0.1.3:80 and serves the
// others itself, as well as those the OS could not take.
func ExampleConn() {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{Port: 8080})
	if err != nil {
		log.Fatal(err)
	}
	os1 := netip.MustParseAddrPort("10.0.1.3:80")
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, os1)
	}
}

// serve reads requests from c until it ends or fails.
func serve(c *net.TCPConn, osAddr netip.AddrPort) {
	defer c.Close()
	br := bufio.NewReaderSize(c, handoff.MaxRequest)
	for {
		req, target, err := readRequest(br)
		if err != nil {
			return
		}
		// Only the request may have been read: a pipelined one behind
		// it in br would be acknowledged by the OS as part of it.
		if strings.HasPrefix(target, "/static/") && br.Buffered() == 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			sent, err := handoff.Conn(ctx, c, req, osAddr, handoff.Options{})
			cancel()
			if err == nil {
				log.Printf("%v %s: %d bytes sent by %v", c.RemoteAddr(), target, sent, osAddr)
				continue // the connection is ours again
			}
			if !handoff.Recoverable(err) {
				// The OS may have sent part of a response: the
				// byte stream is lost, write nothing more.
				log.Printf("%v %s: %v", c.RemoteAddr(), target, err)
				return
			}
			// Nothing was sent (no module, not a peer, refused by
			// the OS, ...): the request is still ours to answer.
			log.Printf("%v %s: %v; serving it locally", c.RemoteAddr(), target, err)
		}
		body := "served by the designated server\n"
		if _, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
			return
		}
	}
}

// readRequest returns the bytes of one request without a body and its
// target.
func readRequest(br *bufio.Reader) (req []byte, target string, err error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, "", err
		}
		req = append(req, line...)
		if len(req) > handoff.MaxRequest {
			return nil, "", errors.New("request too large")
		}
		if target == "" {
			f := strings.Fields(string(line))
			if len(f) != 3 {
				return nil, "", fmt.Errorf("bad request line %q", line)
			}
			target = f[1]
		} else if strings.TrimRight(string(line), "\r\n") == "" {
			return req, target, nil
		}
	}
}
