package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
)

// errEnough ends a monitor that has printed its count.
var errEnough = errors.New("enough events")

func monitor(e *env, args []string) error {
	vals, _, err := parseKeywords(args, "count")
	if err != nil {
		return err
	}
	count := 0
	if s, ok := vals["count"]; ok {
		if count, err = strconv.Atoi(s); err != nil || count < 1 {
			return usagef("count %q is not a positive number", s)
		}
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n := 0
	err = c.Monitor(ctx, func(ev nl.Event) error {
		var line []byte
		if e.json {
			line, _ = json.Marshal(eventJSON(ev))
		} else {
			line = []byte(eventText(ev))
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\n", line); err != nil {
			return err
		}
		n++
		if count > 0 && n >= count {
			return errEnough
		}
		return nil
	})
	switch {
	case errors.Is(err, errEnough), errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, syscall.ENOBUFS):
		return fmt.Errorf("events lost: the socket buffer overflowed (%w)", err)
	}
	return err
}

// peerWord names the other node by its role: an OS on a DS's events, a
// DS on an OS's.
func peerWord(t nl.EventType) string {
	if t == nl.EventAbort || t == nl.EventGCTimeout {
		return "ds"
	}
	return "os"
}

// eventText is the one-line form of ev.
func eventText(ev nl.Event) string {
	s := fmt.Sprintf("%s conn %d %s %s", ev.Type, ev.ConnID, peerWord(ev.Type), ev.Peer)
	if ev.Type == nl.EventHandoff {
		if ev.Err != nil {
			return fmt.Sprintf("%s failed after %v: %v", s, ev.Duration.Round(100*time.Millisecond), ev.Err)
		}
		return fmt.Sprintf("%s seq %d..%d sent %d in %v", s, ev.SeqStart, ev.SeqEnd, ev.Sent,
			ev.Duration.Round(100*time.Microsecond))
	}
	if ev.SeqEnd == 0 {
		return fmt.Sprintf("%s seq %d", s, ev.SeqStart)
	}
	return fmt.Sprintf("%s seq %d..%d", s, ev.SeqStart, ev.SeqEnd)
}

// eventObject is the JSON form of an event.
type eventObject struct {
	Type       nl.EventType `json:"type"`
	ConnID     uint64       `json:"conn_id"`
	Peer       string       `json:"peer"`
	SeqStart   uint32       `json:"seq_start"`
	SeqEnd     uint32       `json:"seq_end"`
	Error      *string      `json:"error"`
	Errno      int          `json:"errno"`
	Sent       uint32       `json:"sent"`
	DurationUS int64        `json:"duration_us"`
}

func eventJSON(ev nl.Event) eventObject {
	o := eventObject{
		Type: ev.Type, ConnID: ev.ConnID, Peer: ev.Peer.String(), SeqStart: ev.SeqStart,
		SeqEnd: ev.SeqEnd, Sent: ev.Sent, DurationUS: ev.Duration.Microseconds(),
	}
	if ev.Err != nil {
		msg := ev.Err.Error()
		o.Error = &msg
		var errno syscall.Errno
		if errors.As(ev.Err, &errno) {
			o.Errno = int(errno)
		}
	}
	return o
}
