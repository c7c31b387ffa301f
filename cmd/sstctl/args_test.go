package main

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
)

// checkParseErr checks err against want ("" for none) and that it is a
// usage error exactly when usage is set.
func checkParseErr(t *testing.T, err error, want string, usage bool) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == "":
		return
	case err == nil:
		t.Fatalf("no error, want %q", want)
	case err.Error() != want:
		t.Fatalf("error %q, want %q", err, want)
	case isUsage(err) != usage:
		t.Fatalf("isUsage(%v) = %v, want %v", err, isUsage(err), usage)
	}
}

func TestParsePeerAdd(t *testing.T) {
	tests := []struct {
		args    string
		want    nl.Peer
		wantErr string
	}{
		{args: "10.0.1.2", want: nl.Peer{Addr: netip.MustParseAddr("10.0.1.2")}},
		{args: "10.0.1.2 port 4795", want: nl.Peer{Addr: netip.MustParseAddr("10.0.1.2"), Port: 4795}},
		{args: "10.0.1.2 port 1", want: nl.Peer{Addr: netip.MustParseAddr("10.0.1.2"), Port: 1}},
		{args: "::ffff:10.0.1.2 port 65535", want: nl.Peer{Addr: netip.MustParseAddr("10.0.1.2"), Port: 65535}},
		{args: "", wantErr: "missing peer address"},
		{args: "10.0.1.x", wantErr: `"10.0.1.x" is not an IPv4 address`},
		{args: "10.0.1.2/24", wantErr: `"10.0.1.2/24" is not an IPv4 address`},
		{args: "host.example", wantErr: `"host.example" is not an IPv4 address`},
		{args: "2001:db8::1", wantErr: `"2001:db8::1" is not an IPv4 address (splitstack supports IPv4 peers only)`},
		{args: "10.0.1.2 port", wantErr: `"port" needs a value`},
		{args: "10.0.1.2 port 0", wantErr: "port 0 out of range (1..65535)"},
		{args: "10.0.1.2 port 65536", wantErr: "port 65536 out of range (1..65535)"},
		{args: "10.0.1.2 port http", wantErr: `port "http" is not a number`},
		{args: "10.0.1.2 port 1 port 2", wantErr: `"port" given twice`},
		{args: "10.0.1.2 4795", wantErr: `unknown argument "4795"`},
		{args: "10.0.1.2 dev eth0", wantErr: `unknown argument "dev"`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := parsePeerAdd(strings.Fields(tt.args))
			checkParseErr(t, err, tt.wantErr, true)
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParsePeerDel(t *testing.T) {
	tests := []struct {
		args    string
		want    string
		wantErr string
	}{
		{args: "10.0.1.2", want: "10.0.1.2"},
		{args: "", wantErr: "missing peer address"},
		{args: "10.0.1.2 10.0.1.3", wantErr: `unexpected argument "10.0.1.3"`},
		{args: "fe80::1", wantErr: `"fe80::1" is not an IPv4 address (splitstack supports IPv4 peers only)`},
		{args: "300.0.0.1", wantErr: `"300.0.0.1" is not an IPv4 address`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := parsePeerDel(strings.Fields(tt.args))
			checkParseErr(t, err, tt.wantErr, true)
			if err == nil && got.String() != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseKeepalive(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "100", want: 100 * time.Millisecond},
		{in: "60000", want: time.Minute},
		{in: "1s", want: time.Second},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "1m", want: time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "99", wantErr: "keepalive 99ms out of range (100ms..60s)"},
		{in: "60001", wantErr: "keepalive 60001ms out of range (100ms..60s)"},
		{in: "61s", wantErr: "keepalive 61s out of range (100ms..60s)"},
		{in: "0", wantErr: "keepalive 0ms out of range (100ms..60s)"},
		{in: "100.5ms", wantErr: "keepalive 100.5ms is not a whole number of milliseconds"},
		{in: "fast", wantErr: `keepalive "fast" is not a duration (like 500ms or 2s) or a number of milliseconds`},
		{in: "1e3", wantErr: `keepalive "1e3" is not a duration (like 500ms or 2s) or a number of milliseconds`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseKeepalive(tt.in)
			checkParseErr(t, err, tt.wantErr, true)
			if err == nil && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseConfigSet(t *testing.T) {
	key := strings.Repeat("0f", 32)
	// describe renders a change for comparison.
	describe := func(ch nl.ConfigChange) string {
		var s []string
		if ch.CtrlPort != nil {
			s = append(s, fmt.Sprint("port=", *ch.CtrlPort))
		}
		if ch.Keepalive != nil {
			s = append(s, fmt.Sprint("keepalive=", *ch.Keepalive))
		}
		if ch.Mode != nil {
			s = append(s, fmt.Sprint("mode=", *ch.Mode))
		}
		if ch.AuthKey != nil {
			s = append(s, fmt.Sprintf("key=%x", ch.AuthKey))
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name      string
		args      string
		stdin     string
		want      string
		wantErr   string
		wantUsage bool
	}{
		{name: "port", args: "port 5000", want: "port=5000"},
		{name: "all", args: "mode drain keepalive 2s port 1 key " + key, want: "port=1 keepalive=2s mode=drain key=" + key},
		{name: "upper-case hex key", args: "key " + strings.ToUpper(key), want: "key=" + key},
		{name: "key from stdin, hex", args: "key-file -", stdin: "  " + key + "\n", want: "key=" + key},
		{name: "key from stdin, raw", args: "key-file -", stdin: strings.Repeat("\x0f", 32), want: "key=" + key},
		{name: "raw key may end in a newline byte", args: "key-file -", stdin: strings.Repeat("\x0f", 31) + "\n", want: "key=" + strings.Repeat("0f", 31) + "0a"},
		{name: "empty", args: "", wantErr: "nothing to set: give at least one of port, keepalive, mode, key or key-file", wantUsage: true},
		{name: "unknown", args: "mtu 1500", wantErr: `unknown argument "mtu"`, wantUsage: true},
		{name: "twice", args: "mode split mode drain", wantErr: `"mode" given twice`, wantUsage: true},
		{name: "missing value", args: "port 1 mode", wantErr: `"mode" needs a value`, wantUsage: true},
		{name: "bad mode", args: "mode Split", wantErr: `unknown mode "Split" (want split or drain)`, wantUsage: true},
		{name: "bad port", args: "port -1", wantErr: `port "-1" is not a number`, wantUsage: true},
		{name: "key too long", args: "key " + key + "00", wantErr: "key must be 64 hexadecimal characters (32 bytes), got 66 characters", wantUsage: true},
		{name: "key not hex", args: "key " + key[:62] + "zz", wantErr: "key must be 64 hexadecimal characters (32 bytes), got a non-hexadecimal character", wantUsage: true},
		{name: "key and key-file", args: "key-file - key " + key, wantErr: "give either key or key-file, not both", wantUsage: true},
		{name: "key-file not read when the line is bad", args: "key-file - mode x", stdin: "short", wantErr: `unknown mode "x" (want split or drain)`, wantUsage: true},
		{name: "key-file too short", args: "key-file -", stdin: key[:20], wantErr: "key file standard input must hold 32 raw bytes or 64 hexadecimal characters (it has 20 bytes)"},
		{name: "key-file 16-byte hex key", args: "key-file -", stdin: key[:32] + "\n", wantErr: "key file standard input must hold 32 raw bytes or 64 hexadecimal characters (it has 32 bytes)"},
		{name: "key-file hex with a stray character", args: "key-file -", stdin: key + "x\n", wantErr: "key file standard input must hold 32 raw bytes or 64 hexadecimal characters (it has 65 bytes)"},
		{name: "key-file empty", args: "key-file -", wantErr: "key file standard input must hold 32 raw bytes or 64 hexadecimal characters (it has 0 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := parseConfigSet(strings.Fields(tt.args), strings.NewReader(tt.stdin))
			checkParseErr(t, err, tt.wantErr, tt.wantUsage)
			if err == nil && describe(ch) != tt.want {
				t.Errorf("got %q, want %q", describe(ch), tt.want)
			}
		})
	}
}
