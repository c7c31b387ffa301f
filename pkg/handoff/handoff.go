// Package handoff hands the server->client half of an accepted TCP
// connection to another node of a Split-Stack cluster, one request at a
// time.
//
// # What a handoff is
//
// A designated server (DS) accepts the client's connection and reads a
// request from it. Instead of answering it, it calls [Conn] with the raw
// request bytes and the address of the application on an optimal server
// (OS) that should answer. The splitstack module sends the request and
// the connection's TCP state to the OS in a SETUP message; the OS's
// application gets an ordinary established socket from accept(), reads
// the request, writes the response straight to the client and closes the
// socket. When the OS reports the response complete (DATA_DONE), Conn
// returns the number of bytes it sent and the DS owns the whole connection
// again: it reads the next request from it and serves it itself or hands
// it off again. The client->server half never moves, and the client sees
// one ordinary TCP connection.
//
// The request must be exactly the bytes read from the connection since the
// previous response: the OS acknowledges the client's data up to what the
// DS has received, so nothing past the request (a pipelined request) may
// have been read when Conn is called.
//
// # Blocking
//
// Conn blocks until the OS has sent the whole response, which can take as
// long as the response takes to send. The ioctl first waits until the DS
// itself has nothing left to send (and, in drain mode, until everything
// earlier is acknowledged); that wait ends early when ctx is done, with an
// error wrapping ctx.Err() and unix.EINTR that [Recoverable] accepts. (To
// end it, the package sends SIGURG, which the Go runtime uses itself and
// ignores when unexpected, to the thread blocked in the ioctl; any other
// signal during that wait makes it call the ioctl again.)
// Once the SETUP is out, the OS may own the connection's sequence space,
// and the kernel waits uninterruptibly: neither cancelling ctx nor a
// signal ends the call, only DATA_DONE, a failure or the progress bound
// do: [Options.Timeout] (the module's default of 60 s when 0, at most the
// time left before ctx's deadline) without the client acknowledging
// anything new.
//
// While a handoff is in progress the connection belongs to it: do not
// read, write or close it from another goroutine (a Close waits for the
// handoff to end).
//
// # After an error
//
// Errors fall into two classes, told apart by [Recoverable]:
//
//   - Nothing was sent and the connection is unchanged and still the
//     caller's, who may serve the request itself or try another OS:
//     [ErrNoModule], [ErrUnknownPeer], [ErrRefused], argument errors
//     (unix.EINVAL, unix.EAFNOSUPPORT), unix.ENOKEY, unix.EOPNOTSUPP,
//     unix.ENOMEM, ctx done before the SETUP was sent.
//   - The connection's byte stream is lost or not the caller's: close the
//     connection without writing to it. [ErrTimeout], [ErrConnLost],
//     [ErrBusy], unix.EBADF, unix.ENOTSOCK and anything unexpected.
//
// Every error from the kernel wraps its unix.Errno as well as the
// package's error, so errors.Is works with both.
//
// The argument layout mirrors struct sst_handoff of
// kmod/include/uapi/linux/splitstack.h, which documents every errno.
package handoff

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is the module's control device, created when splitstack.ko is
// loaded. It is opened on first use and kept open, which keeps the module
// loaded (rmmod fails) while the process lives.
const Device = "/dev/splitstack"

// MaxRequest is the largest request that can be handed off
// (SST_HANDOFF_MAX_REQ): it travels to the OS in one datagram.
const MaxRequest = 16 * 1024

const (
	// defaultTimeout is SST_HANDOFF_DEFAULT_TIMEOUT_MS.
	defaultTimeout = 60 * time.Second
	// maxTimeout is SST_HANDOFF_MAX_TIMEOUT_MS.
	maxTimeout = 600 * time.Second
)

// Options tunes a handoff.
type Options struct {
	// Timeout is a progress bound, not a deadline: the handoff fails
	// with [ErrTimeout] once the client has acknowledged nothing new for
	// that long (a response that keeps the client acknowledging takes as
	// long as it takes; an OS that falls silent fails it sooner, with
	// [ErrConnLost]). 0 is the module's default
	// (SST_HANDOFF_DEFAULT_TIMEOUT_MS, 60 s); a value above
	// SST_HANDOFF_MAX_TIMEOUT_MS (10 min) is clamped to it; a negative
	// value is an argument error. A context deadline shortens the bound
	// to the time left, no more.
	Timeout time.Duration
}

// Errors a handoff fails with. Test them with errors.Is; the unix.Errno
// the kernel returned is wrapped too.
var (
	// ErrNoModule: the device cannot be opened because splitstack.ko is
	// not loaded (ENOENT, ENODEV, ENXIO). Nothing was sent; the next call
	// tries to open the device again.
	ErrNoModule = errors.New("splitstack module not loaded")

	// ErrUnknownPeer (EHOSTUNREACH): the OS address is not a configured
	// peer (sstctl peers add), or it did not acknowledge the SETUP while
	// the client acknowledged nothing past the DS's own data. The
	// connection is unchanged and still the caller's.
	ErrUnknownPeer = errors.New("not a configured peer, or it did not acknowledge the SETUP")

	// ErrRefused (ECONNREFUSED): the OS refused the half-pipe before
	// sending anything: no listener on the port, the 4-tuple still live
	// there, or no memory. The connection is unchanged and still the
	// caller's, who may serve the request itself or try another OS.
	ErrRefused = errors.New("the OS refused the half-pipe")

	// ErrTimeout (ETIMEDOUT): the client acknowledged nothing new for the
	// progress bound ([Options.Timeout]): the client is gone or stuck.
	// Close the connection.
	ErrTimeout = errors.New("the client made no progress for the handoff's progress bound")

	// ErrConnLost (ECONNRESET, ENOTCONN, EPIPE): the connection died, the
	// OS's half-pipe died after sending, or an earlier handoff on the
	// connection failed after its SETUP. Close the connection.
	ErrConnLost = errors.New("connection lost")

	// ErrBusy (EBUSY): another handoff is in progress on this socket, or
	// the socket belongs to another connection's handoff. The connection
	// is not the caller's to use: close it.
	ErrBusy = errors.New("a handoff is already in progress on this connection")
)

// errnoInfo is what the package knows of one errno: the sentinel it maps
// to (nil for none), a hint for the message, and whether the connection
// is still usable after it.
type errnoInfo struct {
	sentinel    error
	hint        string
	recoverable bool
}

// errnos covers every errno of the uapi header, the open(2) errors of the
// device and the few the module returns without documenting them. An
// errno not listed is not recoverable.
var errnos = map[unix.Errno]errnoInfo{
	// open(2) of the device.
	unix.ENOENT: {ErrNoModule, "", true},
	unix.ENODEV: {ErrNoModule, "", true},
	unix.ENXIO:  {ErrNoModule, "", true},
	unix.EACCES: {nil, "the device is mode 0600: run as root", true},
	unix.EPERM:  {nil, "the device is mode 0600: run as root", true},

	// Refused before the SETUP: nothing sent, connection unchanged.
	unix.EFAULT:          {nil, "the module could not read the argument", true},
	unix.EINVAL:          {nil, "invalid argument", true},
	unix.EAFNOSUPPORT:    {nil, "only IPv4 connections and OSes are supported", true},
	unix.EPROTONOSUPPORT: {nil, "not a TCP socket", true},
	unix.ENOKEY:          {nil, "no auth key is configured (sstctl config set key-file FILE)", true},
	unix.EOPNOTSUPP:      {nil, "the connection uses microsecond TCP timestamps", true},
	unix.ENOMEM:          {nil, "the module is out of memory", true},
	unix.ENOBUFS:         {nil, "the control plane's send queue is full", true},
	unix.ENETDOWN:        {nil, "the control plane of this namespace is not running (sstctl config set key/port)", true},
	unix.ENOTTY:          {nil, "the module does not know SST_IOC_HANDOFF (version mismatch?)", true},
	unix.EINTR:           {nil, "interrupted before the SETUP was sent", true},
	unix.EHOSTUNREACH:    {ErrUnknownPeer, "", true},
	unix.ECONNREFUSED:    {ErrRefused, "", true},

	// No usable connection, or the byte stream is lost.
	unix.EBADF:      {nil, "not an open file descriptor", false},
	unix.ENOTSOCK:   {nil, "not a socket", false},
	unix.EBUSY:      {ErrBusy, "", false},
	unix.ETIMEDOUT:  {ErrTimeout, "", false},
	unix.ECONNRESET: {ErrConnLost, "", false},
	unix.ENOTCONN:   {ErrConnLost, "", false},
	unix.EPIPE:      {ErrConnLost, "", false},
}

// Recoverable reports whether err, returned by [Conn] or [FD], left the
// connection unchanged and still the caller's: nothing was sent and the
// caller may serve the request itself, try another OS, or go on reading
// requests. It is true for [ErrNoModule], [ErrUnknownPeer], [ErrRefused],
// argument errors (EINVAL, EAFNOSUPPORT), ENOKEY, EOPNOTSUPP, ENOMEM,
// EINTR and a ctx that was done before the SETUP was sent. It is false for
// nil, [ErrTimeout], [ErrConnLost], [ErrBusy], EBADF, ENOTSOCK and any
// error it does not know: then the connection must be closed without
// writing to it.
func Recoverable(err error) bool {
	if err == nil {
		return false
	}
	for _, s := range []error{ErrTimeout, ErrConnLost, ErrBusy} {
		if errors.Is(err, s) {
			return false
		}
	}
	for _, s := range []error{ErrNoModule, ErrUnknownPeer, ErrRefused} {
		if errors.Is(err, s) {
			return true
		}
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return errnos[e].recoverable
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// wrapErrno turns an errno of the device or the ioctl into the package's
// error, wrapping both its sentinel (if any) and the errno.
func wrapErrno(op string, e unix.Errno) error {
	info := errnos[e]
	switch {
	case info.sentinel != nil:
		return fmt.Errorf("%s: %w (%w)", op, info.sentinel, e)
	case info.hint != "":
		return fmt.Errorf("%s: %s (%w)", op, info.hint, e)
	default:
		return fmt.Errorf("%s: %w", op, e)
	}
}

// mapErrno is the error for the ioctl's errno e in a handoff to os.
func mapErrno(e unix.Errno, os netip.AddrPort) error {
	return wrapErrno(fmt.Sprintf("handoff to %v", os), e)
}

// arg mirrors struct sst_handoff (128 bytes).
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

// iowr is _IOWR(type, nr, size) of <asm-generic/ioctl.h>.
func iowr(typ, nr, size uintptr) uintptr {
	const (
		dirRead  = 2
		dirWrite = 1
	)
	return (dirRead|dirWrite)<<30 | size<<16 | typ<<8 | nr
}

// iocHandoff is SST_IOC_HANDOFF, _IOWR(0xB5, 1, struct sst_handoff).
var iocHandoff = iowr(0xB5, 1, unsafe.Sizeof(arg{}))

// newArg checks the arguments that need no kernel and fills in everything
// but Req and TimeoutMS.
func newArg(fd int, req []byte, os netip.AddrPort) (*arg, error) {
	if fd < 0 || fd > 1<<31-1 {
		return nil, fmt.Errorf("handoff: file descriptor %d: %w", fd, unix.EBADF)
	}
	if len(req) == 0 || len(req) > MaxRequest {
		return nil, fmt.Errorf("handoff: request of %d bytes, want 1..%d: %w", len(req), MaxRequest, unix.EINVAL)
	}
	ip := os.Addr().Unmap()
	if !ip.Is4() {
		return nil, fmt.Errorf("handoff: OS address %v is not IPv4: %w", os.Addr(), unix.EAFNOSUPPORT)
	}
	if os.Port() == 0 {
		return nil, fmt.Errorf("handoff: OS port 0 in %v: %w", os, unix.EINVAL)
	}
	a := &arg{
		FD:       int32(fd),
		ReqLen:   uint32(len(req)),
		OSFamily: unix.AF_INET,
		OSPort:   os.Port(),
	}
	ip4 := ip.As4()
	copy(a.OSAddr[:], ip4[:])
	return a, nil
}

// budget returns when the handoff must be over, for a call at now with the
// option timeout opt and the context deadline (if hasDeadline): the zero
// time for the module's default, otherwise now plus the timeout (the
// module's default for 0, clamped to its maximum), or the deadline if it
// is earlier. A deadline already past is context.DeadlineExceeded.
func budget(opt time.Duration, deadline time.Time, hasDeadline bool, now time.Time) (time.Time, error) {
	if opt < 0 {
		return time.Time{}, fmt.Errorf("negative timeout %v: %w", opt, unix.EINVAL)
	}
	if opt == 0 && !hasDeadline {
		return time.Time{}, nil
	}
	t := opt
	if t == 0 {
		t = defaultTimeout
	}
	t = min(t, maxTimeout)
	end := now.Add(t)
	if hasDeadline && deadline.Before(end) {
		end = deadline
	}
	if !end.After(now) {
		return time.Time{}, context.DeadlineExceeded
	}
	return end, nil
}

// timeoutMS is the timeout_ms field for a call at now that must be over
// at end (the zero time: the module's default, 0), rounded up so that a
// fraction of a millisecond does not become the default. ok is false once
// end has passed.
func timeoutMS(end, now time.Time) (ms uint32, ok bool) {
	if end.IsZero() {
		return 0, true
	}
	d := end.Sub(now)
	if d <= 0 {
		return 0, false
	}
	d = min(d, maxTimeout)
	return uint32((d + time.Millisecond - 1) / time.Millisecond), true
}

// devicePath is Device; tests point it elsewhere.
var devicePath = Device

// devFD is the open device's descriptor plus one, 0 until it is open.
var (
	devFD atomic.Int64
	devMu sync.Mutex
)

// device returns the device's descriptor, opening it on first use. A
// failure is not remembered: the module may be loaded later.
func device() (int, error) {
	if fd := devFD.Load(); fd > 0 {
		return int(fd - 1), nil
	}
	devMu.Lock()
	defer devMu.Unlock()
	if fd := devFD.Load(); fd > 0 {
		return int(fd - 1), nil
	}
	fd, err := unix.Open(devicePath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		var e unix.Errno
		if errors.As(err, &e) {
			return -1, wrapErrno("handoff: open "+devicePath, e)
		}
		return -1, fmt.Errorf("handoff: open %s: %w", devicePath, err)
	}
	devFD.Store(int64(fd) + 1)
	return fd, nil
}

// Conn hands the cluster->client half-pipe of conn, with the request bytes
// req just read from it, to the application listening on the OS address
// os, and returns the number of response bytes the OS sent. It blocks
// until the OS has sent the whole response (see the package documentation
// for what ctx can interrupt) and then conn is the caller's again, ready
// for the next request.
//
// Argument errors (an empty request or one above [MaxRequest], an OS
// address that is not IPv4, a negative timeout) and a ctx already done are
// returned before anything reaches the kernel. On any error sent is 0;
// [Recoverable] tells whether conn can still be used.
func Conn(ctx context.Context, conn *net.TCPConn, req []byte, os netip.AddrPort, opts Options) (sent int64, err error) {
	if conn == nil {
		return 0, fmt.Errorf("handoff: nil connection: %w", unix.EBADF)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("handoff: %w", err)
	}
	if cerr := rc.Control(func(fd uintptr) {
		sent, err = FD(ctx, int(fd), req, os, opts)
	}); cerr != nil {
		return 0, fmt.Errorf("handoff: %w", cerr)
	}
	return sent, err
}

// FD is [Conn] for the raw descriptor fd of a connected TCP socket. The
// caller must keep fd open until FD returns.
func FD(ctx context.Context, fd int, req []byte, os netip.AddrPort, opts Options) (int64, error) {
	a, err := newArg(fd, req, os)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("handoff to %v: %w", os, err)
	}
	deadline, hasDeadline := ctx.Deadline()
	end, err := budget(opts.Timeout, deadline, hasDeadline, time.Now())
	if err != nil {
		return 0, fmt.Errorf("handoff to %v: %w", os, err)
	}
	dev, err := device()
	if err != nil {
		return 0, err
	}

	// The kernel reads the request through this address: it must not move.
	var pin runtime.Pinner
	pin.Pin(&req[0])
	defer pin.Unpin()
	a.Req = uint64(uintptr(unsafe.Pointer(&req[0])))
	for {
		ms, ok := timeoutMS(end, time.Now())
		if !ok {
			// Only after EINTR: the kernel would have said the same.
			return 0, mapErrno(unix.ETIMEDOUT, os)
		}
		a.TimeoutMS = ms
		e := interruptible(ctx, func() unix.Errno {
			_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(dev), iocHandoff, uintptr(unsafe.Pointer(a)))
			return e
		})
		switch {
		case e == 0:
			return int64(a.Sent), nil
		case e == unix.EINTR && ctx.Err() != nil:
			return 0, fmt.Errorf("handoff to %v: %w before the SETUP was sent (%w)", os, ctx.Err(), e)
		case e == unix.EINTR:
			// A signal that is not ours, before the SETUP: try again.
			continue
		default:
			return 0, mapErrno(e, os)
		}
	}
}

// interruptSignal ends the kernel's interruptible wait before the SETUP.
// SIGURG is the Go runtime's own preemption signal: the runtime expects
// spurious ones and ignores them.
const interruptSignal = unix.SIGURG

// interruptible runs call, a blocking system call, on a locked thread and,
// once ctx is done, sends that thread interruptSignal until call returns,
// so that an interruptible sleep in it ends with EINTR. Repeating the
// signal covers one that arrives just before the thread enters the
// kernel; an uninterruptible sleep merely keeps the signal pending.
func interruptible(ctx context.Context, call func() unix.Errno) unix.Errno {
	done := ctx.Done()
	if done == nil {
		return call()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := unix.Getpid(), unix.Gettid()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-stop:
			return
		case <-done:
		}
		for d := time.Millisecond; ; d = min(2*d, 100*time.Millisecond) {
			// The thread outlives this goroutine: it stays locked
			// until wg.Wait returns.
			_ = unix.Tgkill(pid, tid, interruptSignal)
			t := time.NewTimer(d)
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	})
	e := call()
	close(stop)
	wg.Wait()
	return e
}
