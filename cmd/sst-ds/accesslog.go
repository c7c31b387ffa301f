package main

import (
	"strconv"
	"strings"
	"time"
)

// entry is one request of the access log.
type entry struct {
	start     time.Time
	client    string
	n         int
	method    string
	path      string
	node      string        // who served it
	mode      string        // local, handoff, hetero, forward; error for a refused request
	status    int           // 0: not known to the DS (the node wrote the head)
	bytes     int64         // sent to the client, by the DS and the node
	handoff   time.Duration // in handoff calls, failed ones included
	dur       time.Duration
	fallbacks []string // node:reason of each node that did not serve it
	close     bool     // the response says the connection closes
	err       error
}

// String is the entry's access-log line:
//
//	TIME CLIENT #N METHOD PATH node=NODE mode=MODE status=S bytes=B handoff=D dur=D fallback=F [error="..."]
func (e *entry) String() string {
	var b strings.Builder
	b.WriteString(e.start.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteString(" " + e.client + " #" + strconv.Itoa(e.n) + " " + e.method + " " + logField(e.path))
	b.WriteString(" node=" + dash(e.node) + " mode=" + dash(e.mode))
	status := "-"
	if e.status != 0 {
		status = strconv.Itoa(e.status)
	}
	b.WriteString(" status=" + status + " bytes=" + strconv.FormatInt(e.bytes, 10))
	handoff := "-"
	if e.handoff > 0 {
		handoff = e.handoff.Round(time.Microsecond).String()
	}
	b.WriteString(" handoff=" + handoff + " dur=" + e.dur.Round(time.Microsecond).String())
	b.WriteString(" fallback=" + dash(strings.Join(e.fallbacks, ",")))
	if e.err != nil {
		b.WriteString(" error=" + strconv.Quote(e.err.Error()))
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logField quotes s if it would not be one field of the log line.
func logField(s string) string {
	if s == "" || strings.ContainsAny(s, " \"\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// logAccess writes e's line to the access log.
func (s *server) logAccess(e *entry) {
	if s.access != nil {
		s.access.Print(e.String())
	}
}
