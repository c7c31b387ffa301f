// Command fakeds runs inside a test guest and exercises the passive layer
// of splitstack.ko (the optimal server, OS) without an active layer.
//
// "fakeds ds" plays the designated server (DS) in user space: it accepts
// client connections on the VIP, reads each HTTP request, puts the
// accepted socket into TCP_REPAIR (so the DS stays silent from then on),
// reads its TCP state, and sends a SETUP built with pkg/wire to the OS's
// module from the address and port the OS has configured for its DS peer.
// It then waits for DATA_DONE, checks it and sends RESET. Its sockets stay
// open (and silent) until it is told to stop, so that no RST for them
// reaches the client while the scenario watches.
//
// "fakeds inject" sends one forged TCP ACK (a late client segment) through
// a raw socket, to check what the node answers.
//
// "fakeds serve" is the OS application: it accepts connections on a
// listener, reads one request from each, writes a fixed response and
// closes (or shuts the sending side down first).
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/split-stack/splitstack/pkg/wire"
	"golang.org/x/sys/unix"
)

func logf(format string, a ...any) { fmt.Printf("fakeds: "+format+"\n", a...) }

func fatalf(format string, a ...any) {
	fmt.Printf("fakeds: FATAL: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fatalf("usage: fakeds ds|serve [flags]")
	}
	switch os.Args[1] {
	case "ds":
		runDS(os.Args[2:])
	case "serve":
		runServe(os.Args[2:])
	case "inject":
		runInject(os.Args[2:])
	default:
		fatalf("unknown mode %q", os.Args[1])
	}
}

// writeResult writes one number to dir/name.
func writeResult(dir, name string, v uint64) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(strconv.FormatUint(v, 10)+"\n"), 0o644); err != nil {
		fatalf("%v", err)
	}
}

// readRequest reads an HTTP request head (up to the blank line).
func readRequest(c net.Conn) ([]byte, error) {
	var req []byte
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for !bytes.Contains(req, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		if err != nil {
			return req, err
		}
		req = append(req, buf[:n]...)
	}
	c.SetReadDeadline(time.Time{})
	return req, nil
}

// ---------------------------------------------------------------- serve

func runServe(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "10.0.2.1:80", "listen address")
	file := fs.String("file", "", "response body")
	conns := fs.Int("conns", 1, "connections to serve")
	out := fs.String("out", "/tmp", "directory for served.N (bytes written)")
	lingerLast := fs.Bool("linger-last", true, "SO_LINGER{1,0} before close() on the last connection")
	shutEven := fs.Bool("shut-even", true, "shutdown(SHUT_WR) before close() on even connections")
	first := fs.Int("first", 1, "number of the first connection (served.N)")
	hold := fs.Bool("hold", false, "after the connections, keep listening (not accepting) until SIGTERM")
	fs.Parse(args)

	body, err := os.ReadFile(*file)
	if err != nil {
		fatalf("%v", err)
	}
	// No keepalive probes from the handed-off sockets.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp4", *listen)
	if err != nil {
		fatalf("listen: %v", err)
	}
	logf("serve: listening on %v", ln.Addr())
	for i := *first; i < *first+*conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			fatalf("accept: %v", err)
		}
		req, err := readRequest(c)
		if err != nil || !bytes.HasPrefix(req, []byte("GET ")) {
			fatalf("serve: conn %d from %v: bad request %q: %v", i, c.RemoteAddr(), req, err)
		}
		line, _, _ := bytes.Cut(req, []byte("\r\n"))
		resp := append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))), body...)
		n, err := c.Write(resp)
		if err != nil {
			fatalf("serve: conn %d: write: %v", i, err)
		}
		how := "close"
		last := i == *first+*conns-1
		if *shutEven && i%2 == 0 && !(last && *lingerLast) {
			how = "shutdown+close"
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				fatalf("serve: conn %d: shutdown: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if *lingerLast && last {
			how = "SO_LINGER{1,0}+close"
			c.(*net.TCPConn).SetLinger(0) // an RST on a plain socket
		}
		c.Close()
		writeResult(*out, fmt.Sprintf("served.%d", i), uint64(n))
		logf("serve: conn %d from %v: %q, wrote %d bytes, %s", i, c.RemoteAddr(), line, n, how)
	}
	if *hold {
		logf("serve: listening without accepting until SIGTERM")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		logf("serve: closing the listener")
	}
	ln.Close()
}

// ------------------------------------------------------------------- ds

// tcpState is what the DS reads from its repaired socket.
type tcpState struct {
	sndNxt, rcvNxt                         uint32
	sndWl1, sndWnd, maxWindow, rcvWnd, wup uint32
	mss                                    uint32
	opts, sndWscale, rcvWscale             uint8
	cwnd, ssthresh, rttUs, rttvarUs, rtoUs uint32
	tsval                                  uint32
}

func getInt(fd int, opt int) uint32 {
	v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, opt)
	if err != nil {
		fatalf("getsockopt %d: %v", opt, err)
	}
	return uint32(v)
}

func setInt(fd int, opt, v int) {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, opt, v); err != nil {
		fatalf("setsockopt %d=%d: %v", opt, v, err)
	}
}

func getRaw(fd, opt int, b []byte) int {
	l := uint32(len(b))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		fatalf("getsockopt %d: %v", opt, e)
	}
	return int(l)
}

const (
	tcpNoQueue   = 0
	tcpRecvQueue = 1
	tcpSendQueue = 2
)

// freeze puts the socket into repair mode and reads its state.
func freeze(c *net.TCPConn) tcpState {
	var st tcpState
	rc, err := c.SyscallConn()
	if err != nil {
		fatalf("%v", err)
	}
	rc.Control(func(ufd uintptr) {
		fd := int(ufd)
		setInt(fd, unix.TCP_REPAIR, 1)
		setInt(fd, unix.TCP_REPAIR_QUEUE, tcpSendQueue)
		st.sndNxt = getInt(fd, unix.TCP_QUEUE_SEQ)
		setInt(fd, unix.TCP_REPAIR_QUEUE, tcpRecvQueue)
		st.rcvNxt = getInt(fd, unix.TCP_QUEUE_SEQ)
		setInt(fd, unix.TCP_REPAIR_QUEUE, tcpNoQueue)
		w := make([]byte, 20)
		if getRaw(fd, unix.TCP_REPAIR_WINDOW, w) != 20 {
			fatalf("TCP_REPAIR_WINDOW: short")
		}
		le := binary.LittleEndian
		st.sndWl1, st.sndWnd, st.maxWindow = le.Uint32(w), le.Uint32(w[4:]), le.Uint32(w[8:])
		st.rcvWnd, st.wup = le.Uint32(w[12:]), le.Uint32(w[16:])
		st.mss = getInt(fd, unix.TCP_MAXSEG) // mss_clamp under repair
		ti := make([]byte, 232)
		if getRaw(fd, unix.TCP_INFO, ti) < 84 {
			fatalf("TCP_INFO: short")
		}
		st.opts = ti[5]
		st.sndWscale, st.rcvWscale = ti[6]&0xf, ti[6]>>4
		st.rtoUs = le.Uint32(ti[8:])
		st.rttUs, st.rttvarUs = le.Uint32(ti[68:]), le.Uint32(ti[72:])
		st.ssthresh, st.cwnd = le.Uint32(ti[76:]), le.Uint32(ti[80:])
		// 6.12: bit 0 is the usec flag (0 here: ms timestamps).
		st.tsval = getInt(fd, unix.TCP_TIMESTAMP)
	})
	return st
}

// tcpi_options bits (linux/tcp.h).
const (
	tcpiOptTimestamps = 1
	tcpiOptSACK       = 2
	tcpiOptWscale     = 4
)

// Wire constants of struct sst_wire_setup.
const (
	setupLen     = 72 // struct sst_wire_setup (wire.Layouts), checked in setupBody
	optSACK      = 0x01
	optTimestamp = 0x02
	optWscale    = 0x04
)

func setupBody(client, vip netip.AddrPort, osPort uint16, st tcpState, cwnd uint32, req []byte) []byte {
	be := binary.BigEndian
	b := make([]byte, 0, setupLen+len(req))
	c4, v4 := client.Addr().As4(), vip.Addr().As4()
	b = append(b, c4[:]...)
	b = append(b, v4[:]...)
	b = be.AppendUint16(b, client.Port())
	b = be.AppendUint16(b, vip.Port())
	b = be.AppendUint16(b, osPort)
	b = be.AppendUint16(b, uint16(st.mss))
	var opts uint8
	if st.opts&tcpiOptSACK != 0 {
		opts |= optSACK
	}
	if st.opts&tcpiOptTimestamps != 0 {
		opts |= optTimestamp
	}
	sws, rws := st.sndWscale, st.rcvWscale
	if st.opts&tcpiOptWscale != 0 {
		opts |= optWscale
	} else {
		sws, rws = 0, 0
	}
	b = append(b, sws, rws, opts, 0)
	if cwnd == 0 {
		cwnd = st.cwnd
	}
	for _, v := range []uint32{
		st.sndNxt, st.sndWnd, st.maxWindow, st.rcvNxt, st.rcvWnd,
		st.tsval + 2, // already past anything the DS sent
		0,            // ts_recent: not readable from user space
		cwnd, st.ssthresh, st.rttUs << 3, st.rttvarUs << 2, st.rtoUs / 1000,
		uint32(len(req)),
	} {
		b = be.AppendUint32(b, v)
	}
	if want := wire.Layouts["sst_wire_setup"][""].Size; len(b) != want {
		fatalf("setup body is %d bytes, the header's struct %d", len(b), want)
	}
	return append(b, req...)
}

type ds struct {
	key   []byte
	conn  *net.UDPConn
	mod   *net.UDPAddr
	epoch uint32
	mu    sync.Mutex
	seq   uint32
	rx    chan wire.Message
}

func (d *ds) send(t wire.Type, flags wire.Flags, connID uint64, body []byte) uint32 {
	d.mu.Lock()
	d.seq++
	seq := d.seq
	d.mu.Unlock()
	d.sendSeq(t, flags, seq, connID, body)
	return seq
}

func (d *ds) sendSeq(t wire.Type, flags wire.Flags, seq uint32, connID uint64, body []byte) {
	m := wire.New(t, flags, d.epoch, seq, connID, body)
	local := d.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, err := d.conn.WriteToUDP(m.Seal(d.key, local, d.mod.AddrPort()), d.mod); err != nil {
		fatalf("send %v: %v", t, err)
	}
}

func (d *ds) readLoop() {
	buf := make([]byte, 70000)
	for {
		n, from, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if !from.IP.Equal(d.mod.IP) {
			continue
		}
		local := d.conn.LocalAddr().(*net.UDPAddr).AddrPort()
		m, err := wire.Open(d.key, append([]byte(nil), buf[:n]...), from.AddrPort(), local)
		if err != nil {
			logf("bad datagram from the module: %v", err)
			continue
		}
		if m.Type == wire.TypeKeepalive {
			continue
		}
		if m.Flags&wire.FlagReliable != 0 {
			d.send(wire.TypeAck, 0, m.ConnID, wire.Ack{Epoch: m.Epoch, Seq: m.Seq}.Marshal())
		}
		d.rx <- m
	}
}

// reliable sends a reliable message until the module acknowledges it.
// Other messages that arrive meanwhile are returned.
func (d *ds) reliable(t wire.Type, connID uint64, body []byte) []wire.Message {
	d.mu.Lock()
	d.seq++
	seq := d.seq
	d.mu.Unlock()
	var other []wire.Message
	for try := 0; try < 10; try++ {
		d.sendSeq(t, wire.FlagReliable, seq, connID, body)
		deadline := time.After(300 * time.Millisecond)
	wait:
		for {
			select {
			case m := <-d.rx:
				if m.Type == wire.TypeAck {
					a, err := wire.ParseAck(m.Body)
					if err == nil && a.Epoch == d.epoch && a.Seq == seq {
						return other
					}
					continue
				}
				other = append(other, m)
			case <-deadline:
				break wait
			}
		}
	}
	fatalf("%v (conn %#x) never acknowledged", t, connID)
	return nil
}

// await waits for a message of type t for connID.
func (d *ds) await(t wire.Type, connID uint64, pending []wire.Message, timeout time.Duration) (wire.Message, error) {
	for _, m := range pending {
		if m.Type == t && m.ConnID == connID {
			return m, nil
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case m := <-d.rx:
			if m.Type == t && m.ConnID == connID {
				return m, nil
			}
			if m.Type != wire.TypeAck {
				logf("ignoring %v for conn %#x", m.Type, m.ConnID)
			}
		case <-deadline:
			return wire.Message{}, fmt.Errorf("no %v for conn %#x within %v", t, connID, timeout)
		}
	}
}

func runDS(args []string) {
	fs := flag.NewFlagSet("ds", flag.ExitOnError)
	listen := fs.String("listen", "10.0.2.1:80", "the VIP the client connects to")
	ctrl := fs.String("ctrl", "10.0.1.2:4795", "this DS's control address (a configured peer of the OS)")
	osAddr := fs.String("os", "10.0.1.3:4795", "the OS module's control address")
	osPort := fs.Uint("os-port", 80, "the OS application's port")
	keyHex := fs.String("key", "", "the shared key, hex")
	epoch := fs.Uint("epoch", 0, "this fake peer's epoch (default: 5 minutes ago)")
	conns := fs.Int("conns", 1, "connections to hand off")
	forgotten := fs.Int("forgotten", 0, "connection whose SETUP gets no DATA_DONE (its listener is closed before accept): RESET it once out/reset.N exists")
	gcLast := fs.Bool("gc-last", false, "do not RESET the last connection, stop KEEPALIVEs: the OS must collect it")
	checks := fs.Bool("checks", true, "on connection 1, also send a duplicate, a conflicting and a malformed SETUP")
	cwnd := fs.Uint("cwnd", 0, "cwnd to send in SETUP (0: the socket's)")
	out := fs.String("out", "/tmp", "directory for done.N (bytes the OS sent)")
	doneTimeout := fs.Duration("done-timeout", 20*time.Second, "how long to wait for DATA_DONE")
	fs.Parse(args)

	key, err := hex.DecodeString(*keyHex)
	if err != nil || len(key) != 32 {
		fatalf("-key: 64 hex digits needed")
	}
	laddr, err := net.ResolveUDPAddr("udp4", *ctrl)
	if err != nil {
		fatalf("%v", err)
	}
	mod, err := net.ResolveUDPAddr("udp4", *osAddr)
	if err != nil {
		fatalf("%v", err)
	}
	uc, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		fatalf("%v", err)
	}
	if *epoch == 0 {
		*epoch = uint(time.Now().Unix() - 300)
	}
	d := &ds{key: key, conn: uc, mod: mod, epoch: uint32(*epoch), rx: make(chan wire.Message, 64)}
	go d.readLoop()
	stopKA := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		for {
			select {
			case <-t.C:
				d.send(wire.TypeKeepalive, 0, 0, nil)
			case <-stopKA:
				return
			}
		}
	}()

	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp4", *listen)
	if err != nil {
		fatalf("listen: %v", err)
	}
	logf("ds: listening on %v, control %v -> %v", ln.Addr(), uc.LocalAddr(), mod)
	var keep []net.Conn
	for i := 1; i <= *conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			fatalf("accept: %v", err)
		}
		keep = append(keep, c)
		tc := c.(*net.TCPConn)
		writeResult(*out, fmt.Sprintf("port.%d", i), uint64(tc.RemoteAddr().(*net.TCPAddr).Port))
		req, err := readRequest(c)
		if err != nil {
			fatalf("conn %d: reading the request: %v", i, err)
		}
		st := freeze(tc)
		client := netip.MustParseAddrPort(c.RemoteAddr().String())
		vip := netip.MustParseAddrPort(c.LocalAddr().String())
		connID := uint64(0x5e70000) + uint64(i)
		body := setupBody(client, vip, uint16(*osPort), st, uint32(*cwnd), req)
		logf("conn %d: %v -> %v, request %d bytes, snd_nxt %d rcv_nxt %d snd_wnd %d rcv_wnd %d mss %d ws %d/%d opts %#x cwnd %d rtt %dus tsval %d",
			i, client, vip, len(req), st.sndNxt, st.rcvNxt, st.sndWnd, st.rcvWnd, st.mss,
			st.sndWscale, st.rcvWscale, st.opts, st.cwnd, st.rttUs, st.tsval)
		t0 := time.Now()
		pending := d.reliable(wire.TypeSetup, connID, body)
		be := binary.BigEndian
		if i == *forgotten {
			resetFile := filepath.Join(*out, fmt.Sprintf("reset.%d", i))
			for t := 0; ; t++ {
				if _, err := os.Stat(resetFile); err == nil {
					break
				}
				if t == 600 {
					fatalf("conn %d: no %s after 30s", i, resetFile)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// The module must say the half-pipe died, before it sent anything.
			m, err := d.await(wire.TypeAbort, connID, pending, 10*time.Second)
			if err != nil {
				fatalf("conn %d: no ABORT after its listener closed: %v", i, err)
			}
			if len(m.Body) != 8 || be.Uint32(m.Body) != st.sndNxt || be.Uint32(m.Body[4:]) != st.sndNxt {
				fatalf("conn %d: ABORT body %x, want seq_start = seq_end = %d", i, m.Body, st.sndNxt)
			}
			d.reliable(wire.TypeReset, connID, be.AppendUint32(nil, st.sndNxt))
			logf("conn %d: ABORT (nothing sent) after its listener closed before accept, RESET acknowledged", i)
			continue
		}
		m, err := d.await(wire.TypeDataDone, connID, pending, *doneTimeout)
		if err != nil {
			fatalf("conn %d: %v", i, err)
		}
		if len(m.Body) != 28 {
			fatalf("conn %d: DATA_DONE body of %d bytes", i, len(m.Body))
		}
		start, end := be.Uint32(m.Body), be.Uint32(m.Body[4:])
		if start != st.sndNxt {
			fatalf("conn %d: DATA_DONE seq_start %d, SETUP had %d", i, start, st.sndNxt)
		}
		sent := end - start
		logf("conn %d: DATA_DONE after %v: seq %d..%d (%d bytes), tsval %d cwnd %d ssthresh %d srtt_us %d mdev_us %d",
			i, time.Since(t0).Round(time.Millisecond), start, end, sent, be.Uint32(m.Body[8:]),
			be.Uint32(m.Body[12:]), be.Uint32(m.Body[16:]), be.Uint32(m.Body[20:]), be.Uint32(m.Body[24:]))
		writeResult(*out, fmt.Sprintf("done.%d", i), uint64(sent))

		if i == 1 && *checks {
			negativeChecks(d, connID, body, st.sndNxt)
		}
		if i == *conns && *gcLast {
			close(stopKA)
			logf("conn %d: no RESET, KEEPALIVEs stopped: the OS must collect it", i)
			continue
		}
		rst := be.AppendUint32(nil, start)
		d.reliable(wire.TypeReset, connID, rst)
		logf("conn %d: RESET acknowledged", i)
	}
	logf("ds: all %d connections handed off; holding the sockets until SIGTERM", *conns)
	if err := os.WriteFile(filepath.Join(*out, "ds.done"), nil, 0o644); err != nil {
		fatalf("%v", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	// The sockets are still in repair mode: closing them is silent.
	for _, c := range keep {
		c.Close()
	}
}

// negativeChecks: a duplicate SETUP (same connection id and start) is
// acknowledged but ignored; a SETUP for the same 4-tuple under another id
// is refused with an ABORT (and acknowledged); a malformed one is dropped
// and not acknowledged.
func negativeChecks(d *ds, connID uint64, body []byte, start uint32) {
	pending := d.reliable(wire.TypeSetup, connID, body)
	if _, err := d.await(wire.TypeAbort, connID, pending, 300*time.Millisecond); err == nil {
		fatalf("a duplicate SETUP was refused, want it ignored")
	}
	pending = d.reliable(wire.TypeSetup, connID+0x1000, body)
	m, err := d.await(wire.TypeAbort, connID+0x1000, pending, 3*time.Second)
	if err != nil {
		fatalf("SETUP for a live 4-tuple: %v", err)
	}
	if len(m.Body) != 8 || binary.BigEndian.Uint32(m.Body) != start ||
		binary.BigEndian.Uint32(m.Body[4:]) != start {
		fatalf("ABORT body %x, want seq_start = seq_end = %d (nothing sent)", m.Body, start)
	}
	// Malformed, or carrying congestion state no TCP of ours could have
	// (a cwnd negative as an int WARNs in tcp_snd_cwnd_set): dropped.
	setup := wire.Layouts["sst_wire_setup"]
	for i, bad := range []struct {
		what  string
		field string
		v     uint32
	}{
		{"req_len disagrees", "req_len", uint32(len(body))},
		{"cwnd 2^31", "cwnd", 1 << 31},
		{"cwnd 2^20+1", "cwnd", 1<<20 + 1},
		{"srtt above 120 s", "srtt_us", 120000001 << 3},
		{"rto above 120 s", "rto_ms", 120001},
		{"client 0.0.0.0", "client_addr", 0},
		{"client 224.0.0.1", "client_addr", 0xe0000001},
	} {
		b := append([]byte(nil), body...)
		binary.BigEndian.PutUint32(b[setup[bad.field].Off:], bad.v)
		seq := d.send(wire.TypeSetup, wire.FlagReliable, connID+0x2000+uint64(i), b)
		deadline := time.After(time.Second)
		for wait := true; wait; {
			select {
			case m := <-d.rx:
				if a, err := wire.ParseAck(m.Body); m.Type == wire.TypeAck && err == nil && a.Seq == seq {
					fatalf("malformed SETUP (%s) acknowledged", bad.what)
				}
			case <-deadline:
				wait = false
			}
		}
	}
	// A client address of the OS's own host: refused with an ABORT (a
	// SETUP must not make a connection appear to come from the machine
	// itself, to a loopback-only service say).
	for i, addr := range []netip.Addr{
		netip.MustParseAddr("127.0.0.1"), d.mod.AddrPort().Addr().Unmap(),
	} {
		b := append([]byte(nil), body...)
		copy(b[setup["client_addr"].Off:], addr.AsSlice())
		id := connID + 0x3000 + uint64(i)
		pending := d.reliable(wire.TypeSetup, id, b)
		m, err := d.await(wire.TypeAbort, id, pending, 3*time.Second)
		if err != nil {
			fatalf("SETUP from client %s: %v, want an ABORT", addr, err)
		}
		if len(m.Body) != 8 || binary.BigEndian.Uint32(m.Body) != start {
			fatalf("ABORT body %x for client %s, want seq_start %d", m.Body, addr, start)
		}
	}
	logf("duplicate SETUP ignored, conflicting SETUP refused with ABORT, malformed SETUP not acknowledged, loopback and local client addresses refused with ABORT")
}

// ------------------------------------------------------------- inject

func csum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func runInject(args []string) {
	fs := flag.NewFlagSet("inject", flag.ExitOnError)
	src := fs.String("src", "10.0.0.2:1", "forged source")
	dst := fs.String("dst", "10.0.2.1:80", "destination")
	fs.Parse(args)
	s, d := netip.MustParseAddrPort(*src), netip.MustParseAddrPort(*dst)
	be := binary.BigEndian
	tcp := make([]byte, 20)
	be.PutUint16(tcp[0:], s.Port())
	be.PutUint16(tcp[2:], d.Port())
	be.PutUint32(tcp[4:], 12345)
	be.PutUint32(tcp[8:], 67890)
	tcp[12] = 5 << 4
	tcp[13] = 0x10 // ACK
	be.PutUint16(tcp[14:], 1000)
	s4, d4 := s.Addr().As4(), d.Addr().As4()
	ph := append(append(append([]byte{}, s4[:]...), d4[:]...), 0, unix.IPPROTO_TCP, 0, 20)
	be.PutUint16(tcp[16:], csum(append(ph, tcp...), 0))
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_TCP
	be.PutUint16(ip[2:], 40)
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	be.PutUint16(ip[10:], csum(ip, 0))
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		fatalf("raw socket: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, append(ip, tcp...), 0, &unix.SockaddrInet4{Addr: d4}); err != nil {
		fatalf("sendto: %v", err)
	}
	logf("inject: ACK %v -> %v sent", s, d)
}
