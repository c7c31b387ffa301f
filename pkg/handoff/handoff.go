// Package handoff calls the Split-Stack handoff ioctl: it hands the
// cluster->client half of an accepted TCP connection to the application
// listening on an optimal server (OS), which sends the response straight
// to the client. The call returns when the OS has sent it; the caller then
// reads the next request from the same connection.
//
// The argument layout mirrors struct sst_handoff of
// kmod/include/uapi/linux/splitstack.h.
package handoff

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is the module's control device.
const Device = "/dev/splitstack"

// MaxRequest is the largest request that can be handed off.
const MaxRequest = 16 * 1024

// Errors a handoff can fail with; test with errors.Is. The wrapped errno
// stays available too.
var (
	ErrNoModule    = errors.New("splitstack module not loaded (" + Device + " missing)")
	ErrUnknownPeer = errors.New("not a configured peer (sstctl peers add)")
	ErrTimeout     = errors.New("handoff timed out")
)

type arg struct {
	FD        int32
	Flags     uint32
	Req       uint64
	ReqLen    uint32
	OSFamily  uint16
	OSPort    uint16
	OSAddr    [16]byte
	TimeoutMS uint32
	Reserved0 uint32
	Sent      uint64
	Reserved  [9]uint64
}

var iocHandoff = uintptr(3<<30 | unsafe.Sizeof(arg{})<<16 | 0xB5<<8 | 1)

var (
	devOnce sync.Once
	dev     *os.File
	devErr  error
)

func device() (*os.File, error) {
	devOnce.Do(func() {
		dev, devErr = os.OpenFile(Device, os.O_RDWR, 0)
		if errors.Is(devErr, os.ErrNotExist) {
			devErr = ErrNoModule
		}
	})
	return dev, devErr
}

// Conn hands off the connection conn (a *net.TCPConn) with the request
// bytes req to the application listening on os. A timeout of 0 means the
// module's default. It returns the number of bytes the OS sent.
func Conn(conn *net.TCPConn, req []byte, os netip.AddrPort, timeout time.Duration) (int64, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var sent int64
	var herr error
	if err := rc.Control(func(fd uintptr) {
		sent, herr = FD(int(fd), req, os, timeout)
	}); err != nil {
		return 0, err
	}
	return sent, herr
}

// FD is Conn for a raw socket descriptor.
func FD(fd int, req []byte, osAddr netip.AddrPort, timeout time.Duration) (int64, error) {
	if len(req) == 0 || len(req) > MaxRequest {
		return 0, fmt.Errorf("handoff: request of %d bytes (want 1..%d)", len(req), MaxRequest)
	}
	if !osAddr.Addr().Unmap().Is4() {
		return 0, fmt.Errorf("handoff: %v is not an IPv4 address", osAddr.Addr())
	}
	d, err := device()
	if err != nil {
		return 0, err
	}
	a := arg{
		FD:        int32(fd),
		Req:       uint64(uintptr(unsafe.Pointer(&req[0]))),
		ReqLen:    uint32(len(req)),
		OSFamily:  unix.AF_INET,
		OSPort:    osAddr.Port(),
		TimeoutMS: uint32(timeout / time.Millisecond),
	}
	ip := osAddr.Addr().Unmap().As4()
	copy(a.OSAddr[:], ip[:])
	_, _, e := unix.Syscall(unix.SYS_IOCTL, d.Fd(), iocHandoff, uintptr(unsafe.Pointer(&a)))
	runtime.KeepAlive(req)
	if e != 0 {
		return 0, mapErrno(e, osAddr)
	}
	return int64(a.Sent), nil
}

func mapErrno(e unix.Errno, osAddr netip.AddrPort) error {
	switch e {
	case unix.EHOSTUNREACH:
		return fmt.Errorf("handoff to %v: %w: %w", osAddr, ErrUnknownPeer, e)
	case unix.ETIMEDOUT:
		return fmt.Errorf("handoff to %v: %w: %w", osAddr, ErrTimeout, e)
	default:
		return fmt.Errorf("handoff to %v: %w", osAddr, e)
	}
}
