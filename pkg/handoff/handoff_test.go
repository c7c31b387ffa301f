package handoff

import (
	"errors"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestArgLayout(t *testing.T) {
	// struct sst_handoff is 128 bytes; the ioctl number encodes it.
	if got := unsafe.Sizeof(arg{}); got != 128 {
		t.Fatalf("sizeof(arg) = %d, want 128", got)
	}
	if want := uintptr(0xc080b501); iocHandoff != want {
		t.Fatalf("SST_IOC_HANDOFF = %#x, want %#x", iocHandoff, want)
	}
}

func TestRefusedBeforeTheKernel(t *testing.T) {
	os1 := netip.MustParseAddrPort("10.0.1.3:80")
	tests := []struct {
		name string
		req  []byte
		os   netip.AddrPort
	}{
		{"empty request", nil, os1},
		{"request too large", make([]byte, MaxRequest+1), os1},
		{"IPv6 OS", []byte("GET / HTTP/1.1\r\n\r\n"), netip.MustParseAddrPort("[fe80::1]:80")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := FD(-1, tt.req, tt.os, 0); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestErrnoMapping(t *testing.T) {
	os1 := netip.MustParseAddrPort("10.0.1.3:80")
	tests := []struct {
		errno unix.Errno
		is    error
	}{
		{unix.EHOSTUNREACH, ErrUnknownPeer},
		{unix.ETIMEDOUT, ErrTimeout},
		{unix.ECONNRESET, unix.ECONNRESET},
		{unix.ENOKEY, unix.ENOKEY},
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			err := mapErrno(tt.errno, os1)
			if !errors.Is(err, tt.is) || !errors.Is(err, tt.errno) {
				t.Fatalf("%v: errors.Is(%v) and errors.Is(%v) must hold", err, tt.is, tt.errno)
			}
		})
	}
}
