package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
)

// A usageError is a command line that cannot be run as written: sstctl
// prints it with the command's usage and exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// noArgs refuses any argument.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// parseKeywords parses iproute2-style "keyword value" pairs, allowing only
// the given keywords, each at most once. The values are returned by
// keyword, the keywords in the order given.
func parseKeywords(args []string, allowed ...string) (map[string]string, []string, error) {
	vals := make(map[string]string)
	var order []string
	for i := 0; i < len(args); i += 2 {
		kw := args[i]
		known := false
		for _, a := range allowed {
			known = known || kw == a
		}
		if !known {
			return nil, nil, usagef("unknown argument %q", kw)
		}
		if _, dup := vals[kw]; dup {
			return nil, nil, usagef("%q given twice", kw)
		}
		if i+1 >= len(args) {
			return nil, nil, usagef("%q needs a value", kw)
		}
		vals[kw] = args[i+1]
		order = append(order, kw)
	}
	return vals, order, nil
}

// parseAddr parses an IPv4 address in dotted-quad form.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return netip.Addr{}, usagef("%q is not an IPv4 address", s)
	case a.Is4In6():
		return a.Unmap(), nil
	case !a.Is4():
		return netip.Addr{}, usagef("%q is not an IPv4 address (splitstack supports IPv4 peers only)", s)
	}
	return a, nil
}

// parsePort parses a UDP port, 1..65535.
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, usagef("port %q is not a number", s)
	}
	if n < 1 || n > 65535 {
		return 0, usagef("port %d out of range (1..65535)", n)
	}
	return uint16(n), nil
}

// parseKeepalive parses a keepalive interval: a Go duration ("500ms",
// "2s") or a plain number of milliseconds, a whole number of milliseconds
// within nl.MinKeepalive..nl.MaxKeepalive.
func parseKeepalive(s string) (time.Duration, error) {
	var d time.Duration
	shown := s // the value as given, with its unit
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d = time.Duration(n) * time.Millisecond
		shown += "ms"
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, usagef("keepalive %q is not a duration (like 500ms or 2s) or a number of milliseconds", s)
	}
	if d < nl.MinKeepalive || d > nl.MaxKeepalive {
		return 0, usagef("keepalive %s out of range (%v..%v)", shown, millis(nl.MinKeepalive), millis(nl.MaxKeepalive))
	}
	if d%time.Millisecond != 0 {
		return 0, usagef("keepalive %s is not a whole number of milliseconds", shown)
	}
	return d, nil
}

// parseMode parses "split" or "drain".
func parseMode(s string) (nl.Mode, error) {
	m, err := nl.ParseMode(s)
	if err != nil {
		return 0, usagef("%v", err)
	}
	return m, nil
}

// errKeyFormat describes a malformed key without showing it.
var errKeyFormat = fmt.Sprintf("must be %d hexadecimal characters (%d bytes)", 2*nl.AuthKeyLen, nl.AuthKeyLen)

// parseHexKey decodes a key given as hexadecimal characters. Errors never
// contain the key.
func parseHexKey(s string) ([]byte, error) {
	if len(s) != 2*nl.AuthKeyLen {
		return nil, usagef("key %s, got %d characters", errKeyFormat, len(s))
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, usagef("key %s, got a non-hexadecimal character", errKeyFormat)
	}
	return k, nil
}

// maxKeyFile bounds how much of a key file is read.
const maxKeyFile = 4096

// readKeyFile reads a key from the file at path ("-" for stdin): exactly
// nl.AuthKeyLen raw bytes, or 2*nl.AuthKeyLen hexadecimal characters with
// optional surrounding white space. Errors never contain the key.
func readKeyFile(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	name := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read key file: %w", err)
		}
		defer f.Close()
		r, name = f, path
	}
	b, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", name, err)
	}
	if len(b) == nl.AuthKeyLen {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == nl.AuthKeyLen {
		return k, nil
	}
	return nil, fmt.Errorf("key file %s must hold %d raw bytes or %d hexadecimal characters (it has %d bytes)",
		name, nl.AuthKeyLen, 2*nl.AuthKeyLen, len(bytes.TrimSpace(b)))
}

// parsePeerAdd parses "ADDR [port N]".
func parsePeerAdd(args []string) (nl.Peer, error) {
	// "sstctl peers" ends its lines with a "# ..." comment: pasted back
	// (word-split by a shell loop), it is ignored.
	for i, a := range args {
		if strings.HasPrefix(a, "#") {
			args = args[:i]
			break
		}
	}
	if len(args) == 0 {
		return nl.Peer{}, usagef("missing peer address")
	}
	addr, err := parseAddr(args[0])
	if err != nil {
		return nl.Peer{}, err
	}
	p := nl.Peer{Addr: addr}
	kw, _, err := parseKeywords(args[1:], "port")
	if err != nil {
		return nl.Peer{}, err
	}
	if s, ok := kw["port"]; ok {
		if p.Port, err = parsePort(s); err != nil {
			return nl.Peer{}, err
		}
	}
	return p, nil
}

// parsePeerDel parses "ADDR".
func parsePeerDel(args []string) (netip.Addr, error) {
	if len(args) == 0 {
		return netip.Addr{}, usagef("missing peer address")
	}
	addr, err := parseAddr(args[0])
	if err != nil {
		return netip.Addr{}, err
	}
	return addr, noArgs(args[1:])
}

// parseConfigSet parses "[port N] [keepalive DURATION|MS] [mode split|drain]
// [key HEX|key-file PATH]". A key file is read from stdin when PATH is "-";
// errors reading it are not usage errors.
func parseConfigSet(args []string, stdin io.Reader) (nl.ConfigChange, error) {
	var ch nl.ConfigChange
	if len(args) == 0 {
		return ch, usagef("nothing to set: give at least one of port, keepalive, mode, key or key-file")
	}
	kw, order, err := parseKeywords(args, "port", "keepalive", "mode", "key", "key-file")
	if err != nil {
		return ch, err
	}
	if _, ok := kw["key"]; ok {
		if _, ok := kw["key-file"]; ok {
			return ch, usagef("give either key or key-file, not both")
		}
	}
	for _, k := range order {
		s := kw[k]
		switch k {
		case "port":
			p, err := parsePort(s)
			if err != nil {
				return ch, err
			}
			ch.CtrlPort = &p
		case "keepalive":
			d, err := parseKeepalive(s)
			if err != nil {
				return ch, err
			}
			ch.Keepalive = &d
		case "mode":
			m, err := parseMode(s)
			if err != nil {
				return ch, err
			}
			ch.Mode = &m
		case "key":
			if ch.AuthKey, err = parseHexKey(s); err != nil {
				return ch, err
			}
		case "key-file":
			// Read last, once the rest of the line is known to be good.
		}
	}
	if path, ok := kw["key-file"]; ok {
		if ch.AuthKey, err = readKeyFile(path, stdin); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// isUsage reports whether err is a usage error.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}
