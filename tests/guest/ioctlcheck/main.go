// Command ioctlcheck runs inside a test guest and checks that the
// SST_IOC_HANDOFF ioctl of /dev/splitstack refuses every bad argument with
// the errno the uapi header documents. It prints one line per case and
// exits 1 if any case got another answer.
//
// It expects the module loaded and 127.0.0.2 configured as a peer of the
// current network namespace, and nothing else.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// handoff mirrors struct sst_handoff of kmod/include/uapi/linux/splitstack.h.
type handoff struct {
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

// iowr builds _IOWR(0xB5, nr, size) as <asm-generic/ioctl.h> does.
func iowr(nr, size uintptr) uintptr {
	const dirRW = 3
	return dirRW<<30 | size<<16 | 0xB5<<8 | nr
}

var iocHandoff = iowr(1, unsafe.Sizeof(handoff{}))

func ioctl(dev int, h *handoff) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(dev), iocHandoff, uintptr(unsafe.Pointer(h)))
	runtime.KeepAlive(h)
	if e != 0 {
		return e
	}
	return nil
}

type fds struct {
	tcpConn   int // connected TCP over loopback (ESTABLISHED)
	tcpListen int // listening TCP
	tcpFresh  int // TCP socket never connected
	udp       int
	pipe      int
	closed    int
	tcp6Conn  int // connected TCP over IPv6 loopback, -1 if no IPv6
}

func mustSocket(domain, typ int) int {
	fd, err := unix.Socket(domain, typ, 0)
	if err != nil {
		fatal("socket: %v", err)
	}
	return fd
}

func connectedPair(network, addr string) int {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return -1
	}
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		fatal("dial %s: %v", network, err)
	}
	if _, err := ln.Accept(); err != nil {
		fatal("accept: %v", err)
	}
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		fatal("file: %v", err)
	}
	return int(f.Fd())
}

func setup() fds {
	var f fds
	f.tcpConn = connectedPair("tcp4", "127.0.0.1:0")
	f.tcp6Conn = connectedPair("tcp6", "[::1]:0")
	f.tcpFresh = mustSocket(unix.AF_INET, unix.SOCK_STREAM)
	f.tcpListen = mustSocket(unix.AF_INET, unix.SOCK_STREAM)
	if err := unix.Bind(f.tcpListen, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		fatal("bind: %v", err)
	}
	if err := unix.Listen(f.tcpListen, 1); err != nil {
		fatal("listen: %v", err)
	}
	f.udp = mustSocket(unix.AF_INET, unix.SOCK_DGRAM)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		fatal("pipe: %v", err)
	}
	f.pipe = p[0]
	f.closed = mustSocket(unix.AF_INET, unix.SOCK_STREAM)
	unix.Close(f.closed)
	return f
}

var request = []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")

// valid returns an argument that passes every check for the connected socket.
func valid(fd int) handoff {
	h := handoff{
		FD:       int32(fd),
		Req:      uint64(uintptr(unsafe.Pointer(&request[0]))),
		ReqLen:   uint32(len(request)),
		OSFamily: unix.AF_INET,
		OSPort:   8080,
	}
	copy(h.OSAddr[:], []byte{127, 0, 0, 2})
	return h
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "ioctlcheck: "+format+"\n", a...)
	os.Exit(2)
}

func main() {
	dev, err := unix.Open("/dev/splitstack", unix.O_RDWR, 0)
	if err != nil {
		fatal("open /dev/splitstack: %v", err)
	}
	f := setup()

	cases := []struct {
		name string
		mod  func(h *handoff)
		want unix.Errno
	}{
		{"unknown flag", func(h *handoff) { h.Flags = 1 }, unix.EINVAL},
		{"reserved0 set", func(h *handoff) { h.Reserved0 = 1 }, unix.EINVAL},
		{"reserved[8] set", func(h *handoff) { h.Reserved[8] = 1 }, unix.EINVAL},
		{"empty request", func(h *handoff) { h.ReqLen = 0 }, unix.EINVAL},
		{"request too long", func(h *handoff) { h.ReqLen = 16*1024 + 1 }, unix.EINVAL},
		{"os port 0", func(h *handoff) { h.OSPort = 0 }, unix.EINVAL},
		{"timeout too long", func(h *handoff) { h.TimeoutMS = 600001 }, unix.EINVAL},
		{"os family inet6", func(h *handoff) { h.OSFamily = unix.AF_INET6 }, unix.EAFNOSUPPORT},
		{"os family bogus", func(h *handoff) { h.OSFamily = 99 }, unix.EAFNOSUPPORT},
		{"os addr tail not zero", func(h *handoff) { h.OSAddr[15] = 1 }, unix.EINVAL},
		{"request pointer bad", func(h *handoff) { h.Req = 8 }, unix.EFAULT},
		{"fd closed", func(h *handoff) { h.FD = int32(f.closed) }, unix.EBADF},
		{"fd negative", func(h *handoff) { h.FD = -1 }, unix.EBADF},
		{"fd is a pipe", func(h *handoff) { h.FD = int32(f.pipe) }, unix.ENOTSOCK},
		{"fd is udp", func(h *handoff) { h.FD = int32(f.udp) }, unix.EPROTONOSUPPORT},
		{"fd never connected", func(h *handoff) { h.FD = int32(f.tcpFresh) }, unix.ENOTCONN},
		{"fd listening", func(h *handoff) { h.FD = int32(f.tcpListen) }, unix.ENOTCONN},
		{"os not a peer", func(h *handoff) { copy(h.OSAddr[:], []byte{127, 0, 0, 3}) }, unix.EHOSTUNREACH},
		// Every check passes; no auth key is configured.
		{"valid argument, no key", func(h *handoff) {}, unix.ENOKEY},
	}
	if f.tcp6Conn >= 0 {
		cases = append(cases, struct {
			name string
			mod  func(h *handoff)
			want unix.Errno
		}{"fd is tcp6", func(h *handoff) { h.FD = int32(f.tcp6Conn) }, unix.EAFNOSUPPORT})
	}

	failed := 0
	for _, c := range cases {
		h := valid(f.tcpConn)
		c.mod(&h)
		err := ioctl(dev, &h)
		var got unix.Errno
		if !errors.As(err, &got) {
			got = 0
		}
		if got != c.want {
			failed++
			fmt.Printf("FAIL %-24s got %v (%d), want %v (%d)\n", c.name, err, got, c.want, c.want)
			continue
		}
		fmt.Printf("ok   %-24s %v\n", c.name, c.want)
	}
	// A bad argument pointer and an unknown command.
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(dev), iocHandoff, 8); e != unix.EFAULT {
		failed++
		fmt.Printf("FAIL %-24s got %v, want EFAULT\n", "argument pointer bad", e)
	} else {
		fmt.Printf("ok   %-24s %v\n", "argument pointer bad", e)
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(dev), iowr(99, 8), 0); e != unix.ENOTTY {
		failed++
		fmt.Printf("FAIL %-24s got %v, want ENOTTY\n", "unknown ioctl", e)
	} else {
		fmt.Printf("ok   %-24s %v\n", "unknown ioctl", e)
	}
	if failed > 0 {
		fmt.Printf("ioctlcheck: %d case(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("ioctlcheck: all cases passed")
}
