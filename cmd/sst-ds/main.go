// Command sst-ds is a designated-server front end: it accepts HTTP/1.1
// keep-alive (and pipelined) connections and, per request, either serves
// it from its own directory or hands the connection's cluster->client
// half-pipe to an optimal server chosen by the first path element:
//
//	sst-ds -listen 10.0.2.1:80 -root /srv -os os1=10.0.1.3:80 -os os2=10.0.1.4:80
//
// serves /os1/... from 10.0.1.3, /os2/... from 10.0.1.4 and anything else
// locally. Each handoff is logged with the bytes the OS sent.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/split-stack/splitstack/pkg/handoff"
)

type osFlag map[string]netip.AddrPort

func (o osFlag) String() string { return fmt.Sprint(map[string]netip.AddrPort(o)) }

func (o osFlag) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=ADDR:PORT, got %q", v)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return err
	}
	o[name] = ap
	return nil
}

type server struct {
	root    string
	oses    osFlag
	timeout time.Duration
	quiet   bool
}

func main() {
	s := server{oses: osFlag{}}
	listen := flag.String("listen", ":80", "address to listen on")
	flag.StringVar(&s.root, "root", ".", "directory served locally")
	flag.Var(s.oses, "os", "NAME=ADDR:PORT: hand /NAME/... requests to the OS application at ADDR:PORT (repeatable)")
	flag.DurationVar(&s.timeout, "timeout", 10*time.Second, "handoff timeout")
	flag.BoolVar(&s.quiet, "quiet", false, "do not log requests")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: sst-ds [-listen ADDR] [-root DIR] [-os NAME=ADDR:PORT ...]\n\n"+
			"Designated-server front end: HTTP/1.1 keep-alive, each request served locally\n"+
			"or handed off by the first path element. Needs splitstack.ko and peers.\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	ln, err := net.Listen("tcp4", *listen)
	if err != nil {
		log.Fatalf("sst-ds: %v", err)
	}
	log.Printf("sst-ds: listening on %s, OSes %v", ln.Addr(), s.oses)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("sst-ds: %v", err)
		}
		go s.serve(c.(*net.TCPConn))
	}
}

// readRequest returns the raw bytes of one request (head and a
// Content-Length body) and its path; io.EOF at a clean end.
func readRequest(br *bufio.Reader) ([]byte, string, error) {
	var raw bytes.Buffer
	var target string
	clen := 0
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && first && len(line) == 0 {
				return nil, "", io.EOF
			}
			return nil, "", fmt.Errorf("reading request: %w", err)
		}
		raw.Write(line)
		if raw.Len() > handoff.MaxRequest {
			return nil, "", errors.New("request head too large")
		}
		t := strings.TrimRight(string(line), "\r\n")
		if first {
			f := strings.Fields(t)
			if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") {
				return nil, "", fmt.Errorf("bad request line %q", t)
			}
			target = f[1]
			continue
		}
		if t == "" {
			break
		}
		if k, v, ok := strings.Cut(t, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			if clen, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || clen < 0 {
				return nil, "", fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if raw.Len()+clen > handoff.MaxRequest {
		return nil, "", errors.New("request too large")
	}
	if _, err := io.CopyN(&raw, br, int64(clen)); err != nil {
		return nil, "", fmt.Errorf("reading body: %w", err)
	}
	return raw.Bytes(), target, nil
}

func (s *server) serve(c *net.TCPConn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, handoff.MaxRequest)
	for n := 1; ; n++ {
		req, target, err := readRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				log.Printf("%s: %v", c.RemoteAddr(), err)
				io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			return
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(target, "/"), "/")
		if osAddr, ok := s.oses[name]; ok && br.Buffered() == 0 {
			start := time.Now()
			sent, err := handoff.Conn(context.Background(), c, req, osAddr, handoff.Options{Timeout: s.timeout})
			if err != nil {
				// After SETUP the byte stream is the OS's: close.
				log.Printf("%s #%d %s -> %s: %v", c.RemoteAddr(), n, target, name, err)
				return
			}
			if !s.quiet {
				log.Printf("%s #%d %s -> %s %v: %d bytes in %v", c.RemoteAddr(), n, target, name, osAddr, sent, time.Since(start).Round(time.Microsecond))
			}
			continue
		}
		if err := s.local(c, target); err != nil {
			log.Printf("%s #%d %s: %v", c.RemoteAddr(), n, target, err)
			return
		}
		if !s.quiet {
			log.Printf("%s #%d %s -> local", c.RemoteAddr(), n, target)
		}
	}
}

func (s *server) local(w io.Writer, target string) error {
	p := filepath.Join(s.root, filepath.FromSlash(path.Clean("/"+target)))
	f, err := os.Open(p)
	if err != nil {
		_, werr := io.WriteString(w, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
		return werr
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		_, werr := io.WriteString(w, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
		return werr
	}
	if _, err := fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", st.Size()); err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}
