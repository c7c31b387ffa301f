package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/split-stack/splitstack/pkg/handoff"
	"github.com/split-stack/splitstack/pkg/httpmsg"
)

// bodyOnlyHeader asks sst-os for the file's bytes alone (hetero mode).
const bodyOnlyHeader = internalPrefix + "Body-Only"

// internalPrefix begins the names of the header fields that only the DS
// may send (bodyOnlyHeader): a node, in a handoff, and a back end, in
// forward mode, take them for the DS's. route refuses a request from a
// client that carries one, whatever the mode.
const internalPrefix = "X-Sst-"

// internalField returns the name of the first field of h whose name
// begins with internalPrefix (compared without regard to case), or "".
func internalField(h httpmsg.Header) string {
	for _, f := range h {
		if len(f.Name) >= len(internalPrefix) && strings.EqualFold(f.Name[:len(internalPrefix)], internalPrefix) {
			return f.Name
		}
	}
	return ""
}

// refuseInternal answers a request that carries the internal header field
// name with 400 and has the connection closed.
func (s *server) refuseInternal(c *net.TCPConn, e *entry, name string) error {
	s.stats.refusedInternalHeader()
	he := &httpmsg.Error{Status: http.StatusBadRequest,
		Reason: fmt.Sprintf("header field %s is internal to the cluster: clients may not send %s* fields", name, internalPrefix)}
	resp := he.Response()
	e.node, e.mode, e.status, e.close = localNode, "refused", he.Status, true
	n, err := s.writeClient(c, resp)
	e.bytes += int64(n)
	return err
}

// localFile is the DS's copy of the file a request names, opened once per
// request: hetero mode stats it before the handoff, and a fallback then
// sends its body.
type localFile struct {
	tried    bool
	f        *os.File
	size     int64
	name     string
	headSent bool // hetero mode: the DS has written the response head
}

// open opens the regular file p (a cleaned absolute path) under root and
// reports whether there is one.
func (l *localFile) open(root *os.Root, p string) bool {
	if l.tried {
		return l.f != nil
	}
	l.tried = true
	if p == "*" || strings.HasSuffix(p, "/") {
		return false
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		return false
	}
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return false
	}
	l.f, l.size, l.name = f, st.Size(), name
	return true
}

func (l *localFile) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// contentType is the type of a file by its extension.
func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// responseHead is the status line and header of a response of length
// bytes to req.
func responseHead(req *httpmsg.Request, status int, ctype string, length int64) []byte {
	b := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n",
		status, http.StatusText(status), ctype, length)
	switch {
	case !req.KeepAlive:
		b = append(b, "Connection: close\r\n"...)
	case req.Proto == "HTTP/1.0":
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...)
}

// serveLocal answers req from the DS's own files: 200 with the file, or
// 404. After a hetero handoff that failed, only the body is left to send.
func (s *server) serveLocal(c *net.TCPConn, req *httpmsg.Request, e *entry, f *localFile) error {
	e.node, e.mode = localNode, "local"
	if !f.open(s.root, req.Path) {
		body := []byte("404 Not Found\n")
		resp := append(responseHead(req, http.StatusNotFound, "text/plain; charset=utf-8", int64(len(body))), body...)
		e.status = http.StatusNotFound
		n, err := s.writeClient(c, resp)
		e.bytes += int64(n)
		return err
	}
	e.status = http.StatusOK
	if !f.headSent {
		n, err := s.writeClient(c, responseHead(req, http.StatusOK, contentType(f.name), f.size))
		e.bytes += int64(n)
		if err != nil {
			return err
		}
		f.headSent = true
	}
	if req.Method == "HEAD" {
		return nil
	}
	n, err := s.sendFile(c, f.f, f.size)
	e.bytes += n
	if err != nil {
		return fmt.Errorf("sending %s: %w", f.name, err)
	}
	return nil
}

// handOff has node serve req with a handoff: the whole response (handoff
// mode), or the body after the DS has written the head (hetero mode).
func (s *server) handOff(ctx context.Context, c *net.TCPConn, req *httpmsg.Request, node string, e *entry, f *localFile) *failure {
	raw := req.Raw
	if s.cfg.mode == modeHetero {
		raw = bodyOnlyRequest(req)
	}
	if len(raw) > handoff.MaxRequest {
		return &failure{reason: "too-large", recoverable: true,
			err: fmt.Errorf("request of %d bytes, a handoff carries %d", len(raw), handoff.MaxRequest)}
	}
	if s.cfg.mode == modeHetero && !f.headSent {
		n, err := s.writeClient(c, responseHead(req, http.StatusOK, contentType(f.name), f.size))
		e.bytes += int64(n)
		if err != nil {
			return &failure{reason: "client", err: err}
		}
		f.headSent = true
	}
	addr := s.cfg.nodes.addrs[node]
	start := time.Now()
	sent, err := s.handoff(ctx, c, raw, addr, handoff.Options{Timeout: s.cfg.timeout})
	took := time.Since(start)
	e.handoff += took
	if err != nil {
		fl := classifyHandoff(err)
		s.stats.handoffFailed(fl.reason)
		return fl
	}
	s.stats.handedOff(took)
	e.node, e.mode, e.bytes = node, s.cfg.mode, e.bytes+sent
	if s.cfg.mode == modeHandoff && req.Method == "GET" && f.open(s.root, req.Path) && sent < f.size {
		// Shorter than the body alone: the OS application died (or
		// closed) mid-response, and its close sends no FIN. The client
		// waits for the rest: end the connection.
		return &failure{reason: "short-response",
			err: fmt.Errorf("the node sent %d bytes for %s, whose body has %d: did its application die mid-response?", sent, f.name, f.size)}
	}
	if s.cfg.mode == modeHetero {
		e.status = http.StatusOK
		if sent != f.size {
			// The client waits for the rest of a body the DS announced.
			return &failure{reason: "short-body",
				err: fmt.Errorf("sent %d body bytes of %s, the DS's copy has %d: is the content the same?", sent, f.name, f.size)}
		}
	}
	return nil
}

// classifyHandoff says what a handoff error means for the connection and
// the node.
func classifyHandoff(err error) *failure {
	f := &failure{err: err, recoverable: handoff.Recoverable(err)}
	switch {
	case errors.Is(err, handoff.ErrRefused):
		f.reason, f.nodeFault = "refused", true
	case errors.Is(err, handoff.ErrUnknownPeer):
		f.reason, f.nodeFault = "unreachable", true
	case errors.Is(err, handoff.ErrNoModule):
		f.reason = "no-module"
	case errors.Is(err, handoff.ErrTimeout):
		f.reason = "timeout"
	case errors.Is(err, handoff.ErrConnLost):
		f.reason = "conn-lost"
	case errors.Is(err, handoff.ErrBusy):
		f.reason = "busy"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		f.reason = "cancelled"
	default:
		f.reason = "error"
	}
	return f
}

// bodyOnlyRequest returns req's bytes with "X-Sst-Body-Only: 1" added as
// its last header field.
func bodyOnlyRequest(req *httpmsg.Request) []byte {
	const field = bodyOnlyHeader + ": 1\r\n"
	head := req.Raw[:req.HeadLen]
	// The head ends with its empty line, "\r\n" or "\n".
	end := len(head) - 1
	if end > 0 && head[end-1] == '\r' {
		end--
	}
	out := make([]byte, 0, len(req.Raw)+len(field))
	out = append(out, head[:end]...)
	out = append(out, field...)
	out = append(out, head[end:]...)
	return append(out, req.Body()...)
}
