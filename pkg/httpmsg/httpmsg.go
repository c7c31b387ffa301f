// Package httpmsg reads HTTP/1.1 requests off a connection and keeps the
// exact bytes of each, for a front end that does not answer every request
// itself but hands the raw request on (to another server with a
// Split-Stack handoff, or to a back end).
//
// A [Reader] parses one request at a time: the request line, the header
// fields and a Content-Length body. It checks what a server must check
// before it passes a request on (RFC 9112): one Host, one Content-Length,
// no Transfer-Encoding next to it, no control characters in field names,
// a supported HTTP version, and the sizes of [Limits]. A request it
// refuses is an [*Error] that carries the status to answer with and can
// write that answer ([Error.Response]). Chunked request bodies are not
// supported (501): a handed-off request must be complete in one buffer.
//
// [Reader.Buffered] tells how many bytes of later, pipelined requests
// were read along with the current one; a front end that hands a request
// to another server must not do so while there are any, since that server
// would not see them.
package httpmsg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Limits bounds the size of a request. A zero field takes its value from
// [DefaultLimits]; a negative MaxBody allows no body at all.
type Limits struct {
	// MaxHead bounds the head: the request line and the header fields,
	// with their line ends and the empty line that ends them (and any
	// empty lines before the request line). A larger head is refused with
	// 431.
	MaxHead int
	// MaxBody bounds the Content-Length of the body. A larger one is
	// refused with 413.
	MaxBody int
}

// DefaultLimits are 8 KiB of head and 8 KiB of body: a request within them
// fits in the 16 KiB a Split-Stack handoff carries (handoff.MaxRequest).
var DefaultLimits = Limits{MaxHead: 8 << 10, MaxBody: 8 << 10}

// withDefaults returns l with its zero fields taken from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MaxHead <= 0 {
		l.MaxHead = DefaultLimits.MaxHead
	}
	if l.MaxBody < 0 {
		l.MaxBody = 0
	} else if l.MaxBody == 0 {
		l.MaxBody = DefaultLimits.MaxBody
	}
	return l
}

// Field is one header field as received: the name as the client spelled
// it and the value without surrounding whitespace.
type Field struct {
	Name, Value string
}

// Header is the header fields of a request, in the order received.
type Header []Field

// Get returns the value of the first field called name (compared without
// regard to case), or "" if there is none.
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field called name (compared without
// regard to case), in the order received.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Has reports whether there is a field called name.
func (h Header) Has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// Request is one request as read by [Reader.Next].
type Request struct {
	// Method is the request method, e.g. "GET", as received (methods are
	// case-sensitive).
	Method string
	// Target is the request target as received: "/a/b?x", an absolute
	// URL "http://host/a/b", or "*".
	Target string
	// Path is the target's path, percent-decoded and cleaned ("/a/../b"
	// is "/b"; a trailing slash is kept); never empty and never above
	// "/". It is "*" for "OPTIONS *".
	Path string
	// Query is the target's query, without the "?", not decoded.
	Query string
	// Proto is "HTTP/1.0" or "HTTP/1.1".
	Proto string
	// Header is the header fields in the order received.
	Header Header
	// Host is the authority of an absolute-form target, or else the Host
	// field ("" when an HTTP/1.0 request has none).
	Host string
	// ContentLength is the length of the body (0 without Content-Length).
	ContentLength int
	// KeepAlive reports whether the client wants the connection kept
	// open after the response: HTTP/1.1 unless "Connection: close",
	// HTTP/1.0 only with "Connection: keep-alive".
	KeepAlive bool
	// Raw is a copy of the bytes of the request exactly as received: any
	// empty lines before the request line, the head and the body.
	Raw []byte
	// HeadLen is the length of the head in Raw, through the empty line
	// that ends it; the body is Raw[HeadLen:].
	HeadLen int
}

// Body returns the request's body, a slice of Raw.
func (r *Request) Body() []byte { return r.Raw[r.HeadLen:] }

// Error is a request the [Reader] refused, with the status to answer with.
type Error struct {
	// Status is the HTTP status code: 400, 413, 431, 501 or 505.
	Status int
	// Reason says what was wrong with the request, in words fit for the
	// client (one line, no control characters).
	Reason string
}

// statusText has the reason phrases of the statuses an Error carries.
var statusText = map[int]string{
	400: "Bad Request",
	413: "Content Too Large",
	431: "Request Header Fields Too Large",
	501: "Not Implemented",
	505: "HTTP Version Not Supported",
}

// StatusText returns the reason phrase of status, or "Error" for a status
// an Error does not carry.
func StatusText(status int) string {
	if t, ok := statusText[status]; ok {
		return t
	}
	return "Error"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, StatusText(e.Status), e.Reason)
}

// Response returns a complete HTTP/1.1 response for the error: its status
// line, Content-Type, Content-Length, "Connection: close" and a one-line
// text body with the reason. The server should write it and close the
// connection: the stream position after a refused request is unknown.
func (e *Error) Response() []byte {
	status := e.Status
	if status < 100 || status > 999 {
		status = 400
	}
	body := fmt.Sprintf("%d %s: %s\n", status, StatusText(status), clean(e.Reason))
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", status, StatusText(status), len(body), body)
}

// clean replaces control characters in s, so that a reason never breaks
// the response apart.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// quote quotes client data for a reason, cut to a few dozen bytes.
func quote(s string) string {
	const max = 48
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// Reader reads requests from a connection. It is not safe for concurrent
// use.
type Reader struct {
	br  *bufio.Reader
	lim Limits
	err error
}

// NewReader returns a Reader of requests from r within the limits l (zero
// fields: [DefaultLimits]).
func NewReader(r io.Reader, l Limits) *Reader {
	l = l.withDefaults()
	return &Reader{br: bufio.NewReaderSize(r, max(l.MaxHead, 4096)), lim: l}
}

// Buffered returns the number of bytes read from the connection past the
// last request Next returned: the start of later, pipelined requests.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Next reads the next request. It returns io.EOF when the connection ends
// cleanly between two requests, an error wrapping io.ErrUnexpectedEOF when
// it ends inside one, an [*Error] for a request the server must refuse,
// and the reader's error for anything else. After an error, Next returns
// the same error again: the position in the stream is lost.
func (r *Reader) Next() (*Request, error) {
	if r.err != nil {
		return nil, r.err
	}
	req, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return req, nil
}

// readLine reads one line, appends it to raw and returns raw and the line
// without its end (LF or CRLF). raw holds the head so far: a line that
// takes it past MaxHead is a 431. The stream ending before the first byte
// of the line is io.EOF unless started (a request is under way), any
// other end io.ErrUnexpectedEOF.
func (r *Reader) readLine(raw []byte, started bool) ([]byte, string, error) {
	frag, err := r.br.ReadSlice('\n')
	if len(raw)+len(frag) > r.lim.MaxHead || errors.Is(err, bufio.ErrBufferFull) {
		return raw, "", errorf(431, "request head larger than %d bytes", r.lim.MaxHead)
	}
	raw = append(raw, frag...)
	if err != nil {
		switch {
		case errors.Is(err, io.EOF) && !started && len(frag) == 0:
			return raw, "", io.EOF
		case errors.Is(err, io.EOF):
			return raw, "", fmt.Errorf("httpmsg: request head cut short after %d bytes: %w", len(raw), io.ErrUnexpectedEOF)
		default:
			return raw, "", fmt.Errorf("httpmsg: reading request: %w", err)
		}
	}
	line := frag[:len(frag)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return raw, string(line), nil
}

func (r *Reader) next() (*Request, error) {
	var raw []byte
	var line string
	var err error
	// Empty lines before the request line are ignored (RFC 9112 2.2).
	for {
		raw, line, err = r.readLine(raw, false)
		if err != nil {
			return nil, err
		}
		if line != "" {
			break
		}
	}
	req := &Request{}
	if err := req.parseRequestLine(line); err != nil {
		return nil, err
	}
	for {
		raw, line, err = r.readLine(raw, true)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		f, err := parseField(line)
		if err != nil {
			return nil, err
		}
		req.Header = append(req.Header, f)
	}
	if err := req.interpret(r.lim); err != nil {
		return nil, err
	}
	req.HeadLen = len(raw)
	if req.ContentLength > 0 {
		raw = append(raw, make([]byte, req.ContentLength)...)
		if n, err := io.ReadFull(r.br, raw[req.HeadLen:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("httpmsg: request body cut short after %d of %d bytes: %w", n, req.ContentLength, io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("httpmsg: reading request body: %w", err)
		}
	}
	req.Raw = raw
	return req, nil
}

// parseRequestLine parses "METHOD SP TARGET SP HTTP/x.y".
func (req *Request) parseRequestLine(line string) *Error {
	if strings.IndexByte(line, '\r') >= 0 {
		return errorf(400, "carriage return inside the request line")
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" || strings.IndexByte(proto, ' ') >= 0 {
		return errorf(400, "malformed request line %s", quote(line))
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return errorf(400, "invalid character %q in the request target", c)
		}
	}
	if len(proto) != len("HTTP/1.1") || !strings.HasPrefix(proto, "HTTP/") ||
		!isDigit(proto[5]) || proto[6] != '.' || !isDigit(proto[7]) {
		return errorf(400, "malformed HTTP version %s", quote(proto))
	}
	if proto != "HTTP/1.1" && proto != "HTTP/1.0" {
		return errorf(505, "%s is not supported: use HTTP/1.1 or HTTP/1.0", proto)
	}
	req.Method, req.Target, req.Proto = method, target, proto
	return nil
}

// parseField parses "name: value".
func parseField(line string) (Field, *Error) {
	if line[0] == ' ' || line[0] == '\t' {
		return Field{}, errorf(400, "obsolete line folding in the header")
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return Field{}, errorf(400, "header line without a colon: %s", quote(line))
	}
	if !isToken(name) {
		return Field{}, errorf(400, "invalid header field name %s", quote(name))
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return Field{}, errorf(400, "control character %q in the value of header field %s", c, quote(name))
		}
	}
	return Field{Name: name, Value: value}, nil
}

// interpret checks the head and derives the request's Path, Host,
// ContentLength and KeepAlive.
func (req *Request) interpret(lim Limits) *Error {
	var err *Error
	if req.Path, req.Query, req.Host, err = parseTarget(req.Method, req.Target); err != nil {
		return err
	}
	hosts := req.Header.Values("Host")
	switch {
	case len(hosts) > 1:
		return errorf(400, "more than one Host header field")
	case len(hosts) == 0 && req.Proto == "HTTP/1.1":
		return errorf(400, "missing Host header field (required in HTTP/1.1)")
	case len(hosts) == 1 && strings.ContainsAny(hosts[0], " \t"):
		return errorf(400, "invalid Host %s", quote(hosts[0]))
	case len(hosts) == 1 && req.Host == "":
		req.Host = hosts[0]
	}

	cls := req.Header.Values("Content-Length")
	tes := req.Header.Values("Transfer-Encoding")
	if len(cls) > 0 && len(tes) > 0 {
		return errorf(400, "both Transfer-Encoding and Content-Length")
	}
	if len(tes) > 0 {
		codings := tokens(tes)
		if len(codings) == 0 {
			return errorf(400, "empty Transfer-Encoding")
		}
		for _, c := range codings {
			if !strings.EqualFold(c, "identity") {
				return errorf(501, "Transfer-Encoding %s is not supported (chunked request bodies are not supported: send a Content-Length)", quote(c))
			}
		}
	}
	if len(cls) > 0 {
		n, err := contentLength(cls, lim.MaxBody)
		if err != nil {
			return err
		}
		req.ContentLength = n
	}

	// "close" wins over "keep-alive", whatever the order.
	closing, keepAlive := false, false
	for _, t := range tokens(req.Header.Values("Connection")) {
		closing = closing || strings.EqualFold(t, "close")
		keepAlive = keepAlive || strings.EqualFold(t, "keep-alive")
	}
	req.KeepAlive = !closing && (req.Proto == "HTTP/1.1" || keepAlive)
	return nil
}

// contentLength returns the length that the Content-Length values vs give:
// every value (and every element of a comma-separated list) must be the
// same decimal number.
func contentLength(vs []string, maxBody int) (int, *Error) {
	var s string
	for _, v := range vs {
		for e := range strings.SplitSeq(v, ",") {
			e = strings.Trim(e, " \t")
			if e == "" || strings.TrimLeft(e, "0123456789") != "" {
				return 0, errorf(400, "invalid Content-Length %s", quote(v))
			}
			if s != "" && strings.TrimLeft(s, "0") != strings.TrimLeft(e, "0") {
				return 0, errorf(400, "conflicting Content-Length values %s and %s", quote(s), quote(e))
			}
			s = e
		}
	}
	digits := strings.TrimLeft(s, "0")
	if len(digits) > 15 {
		return 0, errorf(413, "request body of %s bytes, the limit is %d", quote(s), maxBody)
	}
	n, _ := strconv.Atoi("0" + digits) // at most 15 digits: cannot fail
	if n > maxBody {
		return 0, errorf(413, "request body of %d bytes, the limit is %d", n, maxBody)
	}
	return n, nil
}

// parseTarget splits a request target into its decoded, cleaned path, its
// query and the authority of an absolute-form target.
func parseTarget(method, target string) (p, query, host string, err *Error) {
	switch {
	case target == "*":
		if method != "OPTIONS" {
			return "", "", "", errorf(400, "target * is only for OPTIONS")
		}
		return "*", "", "", nil
	case method == "CONNECT":
		return "", "", "", errorf(501, "CONNECT is not supported")
	case strings.HasPrefix(target, "/"):
		p = target
	default:
		scheme, rest, ok := strings.Cut(target, "://")
		if !ok || (!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https")) {
			return "", "", "", errorf(400, "malformed request target %s", quote(target))
		}
		i := strings.IndexAny(rest, "/?")
		if i < 0 {
			i = len(rest)
		}
		host, p = rest[:i], rest[i:]
		if host == "" || strings.ContainsAny(host, "@#") {
			return "", "", "", errorf(400, "invalid authority in request target %s", quote(target))
		}
		if p == "" || p[0] == '?' {
			p = "/" + p
		}
	}
	if strings.IndexByte(p, '#') >= 0 {
		return "", "", "", errorf(400, "fragment in request target %s", quote(target))
	}
	p, query, _ = strings.Cut(p, "?")
	decoded, err := unescapePath(p)
	if err != nil {
		return "", "", "", err
	}
	return cleanPath(decoded), query, host, nil
}

// unescapePath percent-decodes p. Malformed escapes and escapes of control
// characters are errors.
func unescapePath(p string) (string, *Error) {
	if strings.IndexByte(p, '%') < 0 {
		return p, nil
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b = append(b, p[i])
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", errorf(400, "malformed percent-encoding in path %s", quote(p))
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if c < ' ' || c == 0x7f {
			return "", errorf(400, "encoded control character %%%02X in path", c)
		}
		b = append(b, c)
		i += 2
	}
	return string(b), nil
}

// cleanPath returns the shortest equivalent of the absolute path p,
// keeping a trailing slash.
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if c != "/" && strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c
}

// tokens returns the non-empty elements of comma-separated lists.
func tokens(vs []string) []string {
	var ts []string
	for _, v := range vs {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.Trim(t, " \t"); t != "" {
				ts = append(ts, t)
			}
		}
	}
	return ts
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
