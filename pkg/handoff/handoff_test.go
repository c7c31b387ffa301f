package handoff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const header = "../../kmod/include/uapi/linux/splitstack.h"

var os1 = netip.MustParseAddrPort("10.0.1.3:80")

// useDevice points the package at path for the test and forgets any
// descriptor it has open, before and after.
func useDevice(t *testing.T, path string) {
	t.Helper()
	forget := func() {
		if fd := devFD.Swap(0); fd > 0 {
			unix.Close(int(fd - 1))
		}
	}
	old := devicePath
	forget()
	devicePath = path
	t.Cleanup(func() {
		forget()
		devicePath = old
	})
}

func TestArgLayout(t *testing.T) {
	var a arg
	if got := unsafe.Sizeof(a); got != 128 {
		t.Fatalf("sizeof(arg) = %d, want 128", got)
	}
	// Offsets of struct sst_handoff on every Linux ABI (no padding).
	tests := []struct {
		field string
		got   uintptr
		want  uintptr
	}{
		{"fd", unsafe.Offsetof(a.FD), 0},
		{"flags", unsafe.Offsetof(a.Flags), 4},
		{"req", unsafe.Offsetof(a.Req), 8},
		{"req_len", unsafe.Offsetof(a.ReqLen), 16},
		{"os_family", unsafe.Offsetof(a.OSFamily), 20},
		{"os_port", unsafe.Offsetof(a.OSPort), 22},
		{"os_addr", unsafe.Offsetof(a.OSAddr), 24},
		{"timeout_ms", unsafe.Offsetof(a.TimeoutMS), 40},
		{"reserved0", unsafe.Offsetof(a.Reserved0), 44},
		{"sent", unsafe.Offsetof(a.Sent), 48},
		{"reserved", unsafe.Offsetof(a.Reserved), 56},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("offsetof(%s) = %d, want %d", tt.field, tt.got, tt.want)
		}
	}
	if want := uintptr(0xc080b501); iocHandoff != want {
		t.Errorf("SST_IOC_HANDOFF = %#x, want %#x", iocHandoff, want)
	}
}

// TestArgMatchesHeader compiles a C program against the uapi header and
// compares its idea of the ABI with the package's.
func TestArgMatchesHeader(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "abi.c")
	prog := `#include <stdio.h>
#include <stddef.h>
#include <linux/splitstack.h>
#define F(f) printf(#f " %zu\n", offsetof(struct sst_handoff, f))
int main(void)
{
	printf("size %zu\n", sizeof(struct sst_handoff));
	printf("ioctl %lu\n", (unsigned long)SST_IOC_HANDOFF);
	printf("max_req %d\n", SST_HANDOFF_MAX_REQ);
	printf("default_timeout_ms %d\n", SST_HANDOFF_DEFAULT_TIMEOUT_MS);
	printf("max_timeout_ms %d\n", SST_HANDOFF_MAX_TIMEOUT_MS);
	F(fd); F(flags); F(req); F(req_len); F(os_family); F(os_port);
	F(os_addr); F(timeout_ms); F(reserved0); F(sent); F(reserved);
	return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "abi")
	inc, err := filepath.Abs(filepath.Dir(filepath.Dir(header)))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-Wall", "-Werror", "-I", inc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		c[k] = n
	}
	var a arg
	tests := []struct {
		name string
		got  uint64
	}{
		{"size", uint64(unsafe.Sizeof(a))},
		{"ioctl", uint64(iocHandoff)},
		{"max_req", MaxRequest},
		{"default_timeout_ms", uint64(defaultTimeout / time.Millisecond)},
		{"max_timeout_ms", uint64(maxTimeout / time.Millisecond)},
		{"fd", uint64(unsafe.Offsetof(a.FD))},
		{"flags", uint64(unsafe.Offsetof(a.Flags))},
		{"req", uint64(unsafe.Offsetof(a.Req))},
		{"req_len", uint64(unsafe.Offsetof(a.ReqLen))},
		{"os_family", uint64(unsafe.Offsetof(a.OSFamily))},
		{"os_port", uint64(unsafe.Offsetof(a.OSPort))},
		{"os_addr", uint64(unsafe.Offsetof(a.OSAddr))},
		{"timeout_ms", uint64(unsafe.Offsetof(a.TimeoutMS))},
		{"reserved0", uint64(unsafe.Offsetof(a.Reserved0))},
		{"sent", uint64(unsafe.Offsetof(a.Sent))},
		{"reserved", uint64(unsafe.Offsetof(a.Reserved))},
	}
	for _, tt := range tests {
		want, ok := c[tt.name]
		if !ok {
			t.Errorf("%s: not printed by the C program", tt.name)
		} else if tt.got != want {
			t.Errorf("%s: Go has %d, the header %d", tt.name, tt.got, want)
		}
	}
}

// errnoTests is every errno a handoff can end with: those of the uapi
// header, the device's open(2) errors and the module's undocumented ones.
var errnoTests = []struct {
	errno       unix.Errno
	sentinel    error // nil: none
	recoverable bool
}{
	{unix.ENOENT, ErrNoModule, true},
	{unix.ENODEV, ErrNoModule, true},
	{unix.ENXIO, ErrNoModule, true},
	{unix.EACCES, nil, true},
	{unix.EPERM, nil, true},
	{unix.EFAULT, nil, true},
	{unix.EINVAL, nil, true},
	{unix.EBADF, nil, false},
	{unix.ENOTSOCK, nil, false},
	{unix.EPROTONOSUPPORT, nil, true},
	{unix.EAFNOSUPPORT, nil, true},
	{unix.ENOTCONN, ErrConnLost, false},
	{unix.EHOSTUNREACH, ErrUnknownPeer, true},
	{unix.ECONNREFUSED, ErrRefused, true},
	{unix.ENOKEY, nil, true},
	{unix.EOPNOTSUPP, nil, true},
	{unix.EBUSY, ErrBusy, false},
	{unix.ECONNRESET, ErrConnLost, false},
	{unix.EPIPE, ErrConnLost, false},
	{unix.ETIMEDOUT, ErrTimeout, false},
	{unix.EINTR, nil, true},
	{unix.ENOMEM, nil, true},
	{unix.ENOBUFS, nil, true},
	{unix.ENOTTY, nil, true},
	{unix.ENETDOWN, nil, true},
	{unix.ESHUTDOWN, nil, false}, // not known: not recoverable
}

func TestErrnoMapping(t *testing.T) {
	sentinels := []error{ErrNoModule, ErrUnknownPeer, ErrRefused, ErrTimeout, ErrConnLost, ErrBusy}
	for _, tt := range errnoTests {
		t.Run(unix.ErrnoName(tt.errno), func(t *testing.T) {
			err := mapErrno(tt.errno, os1)
			if !errors.Is(err, tt.errno) {
				t.Errorf("%v: not errors.Is(%v)", err, unix.ErrnoName(tt.errno))
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("%v: errors.Is(%q) = %v, want %v", err, s, got, want)
				}
			}
			if got := Recoverable(err); got != tt.recoverable {
				t.Errorf("Recoverable(%v) = %v, want %v", err, got, tt.recoverable)
			}
			if !strings.Contains(err.Error(), os1.String()) {
				t.Errorf("%q does not name the OS %v", err, os1)
			}
		})
	}
}

// TestHeaderErrnosCovered fails when the uapi header documents an errno
// that the package (or this test) does not know.
func TestHeaderErrnosCovered(t *testing.T) {
	b, err := os.ReadFile(header)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "Handoff ioctl")
	end := strings.Index(text, "On success the ioctl returns 0")
	if start < 0 || end < start {
		t.Fatal("cannot find the handoff errno list in the header")
	}
	tested := map[unix.Errno]bool{}
	for _, tt := range errnoTests {
		tested[tt.errno] = true
	}
	byName := map[string]unix.Errno{}
	for e := unix.Errno(1); e < 256; e++ {
		if name := unix.ErrnoName(e); name != "" {
			byName[name] = e
		}
	}
	byName["EOPNOTSUPP"] = unix.EOPNOTSUPP // ENOTSUP's other name
	re := regexp.MustCompile(`(?m)^ \*   (E[A-Z]+) `)
	found := 0
	for _, m := range re.FindAllStringSubmatch(text[start:end], -1) {
		found++
		e, ok := byName[m[1]]
		if !ok {
			t.Errorf("header errno %s unknown to x/sys/unix", m[1])
			continue
		}
		if _, ok := errnos[e]; !ok {
			t.Errorf("header errno %s is not in the package's table", m[1])
		}
		if !tested[e] {
			t.Errorf("header errno %s is not in errnoTests", m[1])
		}
	}
	if found < 10 {
		t.Fatalf("found only %d errnos in the header: has its format changed?", found)
	}
}

func TestRecoverable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unrelated error", errors.New("boom"), false},
		{"closed connection", fmt.Errorf("handoff: %w", net.ErrClosed), false},
		{"context canceled", fmt.Errorf("handoff to x: %w", context.Canceled), true},
		{"context deadline", fmt.Errorf("handoff to x: %w", context.DeadlineExceeded), true},
		{"canceled during the wait", fmt.Errorf("x: %w before the SETUP was sent (%w)", context.Canceled, unix.EINTR), true},
		{"bare sentinel refused", ErrRefused, true},
		{"bare sentinel timeout", ErrTimeout, false},
		{"timeout wins over a context error", fmt.Errorf("%w %w", ErrTimeout, context.DeadlineExceeded), false},
		{"bare errno", unix.ECONNREFUSED, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Recoverable(tt.err); got != tt.want {
				t.Fatalf("Recoverable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestRefusedBeforeTheKernel checks that bad arguments never reach the
// device: it does not exist, so anything that does ends in ErrNoModule.
func TestRefusedBeforeTheKernel(t *testing.T) {
	useDevice(t, filepath.Join(t.TempDir(), "missing"))
	req := []byte("GET / HTTP/1.1\r\n\r\n")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	tests := []struct {
		name        string
		ctx         context.Context
		fd          int
		req         []byte
		os          netip.AddrPort
		opts        Options
		is          error
		recoverable bool
	}{
		{"empty request", context.Background(), 3, nil, os1, Options{}, unix.EINVAL, true},
		{"request too large", context.Background(), 3, make([]byte, MaxRequest+1), os1, Options{}, unix.EINVAL, true},
		{"IPv6 OS", context.Background(), 3, req, netip.MustParseAddrPort("[fe80::1]:80"), Options{}, unix.EAFNOSUPPORT, true},
		{"zero address", context.Background(), 3, req, netip.AddrPort{}, Options{}, unix.EAFNOSUPPORT, true},
		{"port 0", context.Background(), 3, req, netip.MustParseAddrPort("10.0.1.3:0"), Options{}, unix.EINVAL, true},
		{"negative fd", context.Background(), -1, req, os1, Options{}, unix.EBADF, false},
		{"negative timeout", context.Background(), 3, req, os1, Options{Timeout: -time.Second}, unix.EINVAL, true},
		{"canceled context", canceled, 3, req, os1, Options{}, context.Canceled, true},
		{"expired context", expired, 3, req, os1, Options{}, context.DeadlineExceeded, true},
		// These pass the checks and reach the (missing) device.
		{"largest request", context.Background(), 3, make([]byte, MaxRequest), os1, Options{}, ErrNoModule, true},
		{"IPv4-mapped IPv6 OS", context.Background(), 3, req, netip.MustParseAddrPort("[::ffff:10.0.1.3]:80"), Options{}, ErrNoModule, true},
		{"huge timeout", context.Background(), 3, req, os1, Options{Timeout: time.Hour}, ErrNoModule, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, err := FD(tt.ctx, tt.fd, tt.req, tt.os, tt.opts)
			if err == nil || sent != 0 {
				t.Fatalf("FD = %d, %v; want 0 and an error", sent, err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("%v: not errors.Is(%v)", err, tt.is)
			}
			if tt.is != ErrNoModule && errors.Is(err, ErrNoModule) {
				t.Errorf("%v: reached the device", err)
			}
			if got := Recoverable(err); got != tt.recoverable {
				t.Errorf("Recoverable(%v) = %v, want %v", err, got, tt.recoverable)
			}
		})
	}
}

// TestDeviceRetried checks that a missing device is not remembered, and
// drives the whole ioctl path against a file that is not the device.
func TestDeviceRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "splitstack")
	useDevice(t, path)
	req := []byte("GET / HTTP/1.1\r\n\r\n")
	_, err := FD(context.Background(), 0, req, os1, Options{})
	if !errors.Is(err, ErrNoModule) || !errors.Is(err, unix.ENOENT) || !Recoverable(err) {
		t.Fatalf("missing device: %v, want ErrNoModule and ENOENT, recoverable", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opened now; a regular file knows no ioctl. A cancellable context
	// takes the interruptible path.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = FD(ctx, 0, req, os1, Options{Timeout: time.Second})
	if !errors.Is(err, unix.ENOTTY) {
		t.Fatalf("ioctl on a regular file: %v, want ENOTTY", err)
	}
	if devFD.Load() == 0 {
		t.Fatal("the device was not kept open")
	}
}

func TestConn(t *testing.T) {
	useDevice(t, filepath.Join(t.TempDir(), "missing"))
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.DialTCP("tcp4", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req := []byte("GET / HTTP/1.1\r\n\r\n")

	if _, err := Conn(context.Background(), s, req, os1, Options{}); !errors.Is(err, ErrNoModule) || !Recoverable(err) {
		t.Errorf("open connection, no module: %v, want ErrNoModule, recoverable", err)
	}
	if _, err := Conn(context.Background(), nil, req, os1, Options{}); err == nil || Recoverable(err) {
		t.Errorf("nil connection: %v, want an error that is not recoverable", err)
	}
	c.Close()
	s.Close()
	if _, err := Conn(context.Background(), s, req, os1, Options{}); !errors.Is(err, net.ErrClosed) || Recoverable(err) {
		t.Errorf("closed connection: %v, want net.ErrClosed, not recoverable", err)
	}
}

func TestBudget(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name     string
		opt      time.Duration
		deadline time.Duration // from now; 0: no deadline
		want     time.Duration // from now; 0: the zero time (module default)
		err      error
	}{
		{"module default", 0, 0, 0, nil},
		{"option", 5 * time.Second, 0, 5 * time.Second, nil},
		{"option clamped", time.Hour, 0, maxTimeout, nil},
		{"deadline after the default", 0, time.Minute, defaultTimeout, nil},
		{"deadline before the default", 0, 10 * time.Second, 10 * time.Second, nil},
		{"deadline before the option", 5 * time.Second, 2 * time.Second, 2 * time.Second, nil},
		{"option before the deadline", 5 * time.Second, 20 * time.Second, 5 * time.Second, nil},
		{"deadline before the clamp", time.Hour, 700 * time.Second, maxTimeout, nil},
		{"deadline past", 5 * time.Second, -time.Second, 0, context.DeadlineExceeded},
		{"negative option", -time.Second, 0, 0, unix.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deadline, has := now.Add(tt.deadline), tt.deadline != 0
			got, err := budget(tt.opt, deadline, has, now)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if tt.want == 0 {
				if !got.IsZero() {
					t.Fatalf("end = now%+v, want the zero time", got.Sub(now))
				}
				return
			}
			if d := got.Sub(now); d != tt.want {
				t.Fatalf("end = now+%v, want now+%v", d, tt.want)
			}
		})
	}
}

func TestTimeoutMS(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name   string
		end    time.Time
		want   uint32
		wantOK bool
	}{
		{"module default", time.Time{}, 0, true},
		{"whole milliseconds", now.Add(1500 * time.Millisecond), 1500, true},
		{"rounded up", now.Add(1500*time.Millisecond + time.Microsecond), 1501, true},
		{"below a millisecond is not the default", now.Add(time.Nanosecond), 1, true},
		{"clamped", now.Add(time.Hour), 600000, true},
		{"now", now, 0, false},
		{"past", now.Add(-time.Second), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := timeoutMS(tt.end, now)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("timeoutMS = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestInterruptible(t *testing.T) {
	sleep := func(d time.Duration) func() unix.Errno {
		return func() unix.Errno {
			ts := unix.NsecToTimespec(d.Nanoseconds())
			var e unix.Errno
			if err := unix.Nanosleep(&ts, nil); err != nil {
				errors.As(err, &e)
			}
			return e
		}
	}
	t.Run("cancelled during an interruptible sleep", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		e := interruptible(ctx, sleep(10*time.Second))
		if e != unix.EINTR {
			t.Fatalf("errno %v, want EINTR", e)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("interrupted only after %v", d)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if e := interruptible(ctx, sleep(10*time.Second)); e != unix.EINTR {
			t.Fatalf("errno %v, want EINTR", e)
		}
	})
	t.Run("not cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if e := interruptible(ctx, sleep(10*time.Millisecond)); e != 0 {
			t.Fatalf("errno %v, want 0", e)
		}
	})
	t.Run("context that cannot be cancelled", func(t *testing.T) {
		if e := interruptible(context.Background(), func() unix.Errno { return unix.EBUSY }); e != unix.EBUSY {
			t.Fatalf("errno %v, want EBUSY", e)
		}
	})
}
