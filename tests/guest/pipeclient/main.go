// Command pipeclient is an HTTP/1.1 client that pipelines on purpose: on
// one connection it writes each request a fixed delay after the previous
// one, without waiting for responses, so that later requests reach the
// designated server while an optimal server is still sending an earlier
// response. It then reads every response and prints, per request, its
// path, status, body length and the body's sha256:
//
//	pipeclient -addr 10.0.2.1:80 -gap 100ms /os1/10m /local/6k /os2/1m
//
// The connection is an ordinary socket of the client's kernel: nothing
// here knows about Split-Stack.
package main

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "", "server address, HOST:PORT")
	gap := flag.Duration("gap", 100*time.Millisecond, "delay between two requests")
	timeout := flag.Duration("timeout", 2*time.Minute, "overall deadline")
	oneWrite := flag.Bool("one-write", false, "write every request at once, in one write (no -gap)")
	flag.Parse()
	paths := flag.Args()
	if *addr == "" || len(paths) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pipeclient -addr HOST:PORT [-gap D] PATH...")
		os.Exit(2)
	}
	if *oneWrite {
		*gap = -1
	}
	if err := run(*addr, *gap, *timeout, paths); err != nil {
		fmt.Fprintf(os.Stderr, "pipeclient: %v\n", err)
		os.Exit(1)
	}
}

func run(addr string, gap, timeout time.Duration, paths []string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	werr := make(chan error, 1)
	go func() {
		if gap < 0 { // one write
			var b []byte
			for _, p := range paths {
				b = fmt.Appendf(b, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", p, addr)
			}
			_, err := c.Write(b)
			werr <- err
			return
		}
		for i, p := range paths {
			if i > 0 {
				time.Sleep(gap)
			}
			if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", p, addr); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	br := bufio.NewReader(c)
	for _, p := range paths {
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
		if err != nil {
			return fmt.Errorf("response to %s: %w", p, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("body of %s: %w", p, err)
		}
		fmt.Printf("%s %d %d %x\n", p, resp.StatusCode, n, h.Sum(nil))
	}
	return <-werr
}
