// Command sst-ds is the designated-server (DS) front end of a Split-Stack
// cluster. It accepts HTTP/1.1 connections (keep-alive and pipelined),
// picks per request the node that serves it with a dispatch policy (round
// robin, consistent hashing, LARD or path rules; the DS itself is the node
// "local") and, for a request that another node serves, either hands the
// connection's server->client half-pipe to that node (handoff), writes the
// response head itself and hands off the body (hetero), or fetches the
// response from the node's back end and relays it (forward, the baseline
// without Split-Stack). See usageHead for the whole story:
//
//	sst-ds -listen 10.0.2.1:80 -root /srv/www -policy lard \
//		-node os1=10.0.1.3:80 -node os2=10.0.1.4:80
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/split-stack/splitstack/pkg/dispatch"
)

// localNode is the name of the DS itself among the nodes.
const localNode = "local"

// Modes of serving a request that another node serves.
const (
	modeHandoff = "handoff"
	modeHetero  = "hetero"
	modeForward = "forward"
)

var modes = []string{modeHandoff, modeHetero, modeForward}

// config is the command line.
type config struct {
	listen    string
	root      string
	nodes     nodeAddrs // -node: where handoffs go
	backends  nodeAddrs // -backend: where forward mode goes
	policy    string
	local     bool
	mode      string
	timeout   time.Duration
	idle      time.Duration
	unhealthy time.Duration
	accessLog string
	metrics   string
	quiet     bool
	tLow      int
	tHigh     int
	lardPaths int

	maxConns     int
	maxHandoffs  int
	writeTimeout time.Duration
}

// Defaults of the limits. A handoff holds an OS thread in its ioctl until
// the node has sent the response, and Go dies at 10000 threads: the
// handoffs under way must stay well below that.
const (
	defaultMaxConns    = 8192
	defaultMaxHandoffs = 1024
	maxMaxHandoffs     = 8000
)

// nodeAddrs is a repeatable NAME=ADDR:PORT flag, in the order given.
type nodeAddrs struct {
	names []string
	addrs map[string]netip.AddrPort
}

func (n *nodeAddrs) String() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for i, name := range n.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", name, n.addrs[name])
	}
	return b.String()
}

func (n *nodeAddrs) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" || addr == "" {
		return fmt.Errorf("want NAME=ADDR:PORT, got %q", v)
	}
	if name == localNode {
		return fmt.Errorf("%q is the DS itself: name the node otherwise", localNode)
	}
	if strings.ContainsAny(name, "/ \t") {
		return fmt.Errorf("node name %q: no slashes or spaces", name)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("node %s: %v (want an IPv4 ADDR:PORT such as 10.0.1.3:80)", name, err)
	}
	if !ap.Addr().Unmap().Is4() || ap.Port() == 0 {
		return fmt.Errorf("node %s: %v is not an IPv4 address with a port", name, ap)
	}
	if _, dup := n.addrs[name]; dup {
		return fmt.Errorf("node %s given twice", name)
	}
	if n.addrs == nil {
		n.addrs = map[string]netip.AddrPort{}
	}
	n.names = append(n.names, name)
	n.addrs[name] = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return nil
}

const usageHead = `usage: sst-ds [-listen ADDR] [-root DIR] [-node NAME=ADDR:PORT ...] [-policy P] [-mode M] [flags]

The designated-server (DS) front end of a Split-Stack cluster. It accepts
HTTP/1.1 connections (keep-alive, pipelining) on -listen and picks, per
request, the node that serves it with -policy. The DS is a node too, named
"local": it serves files from -root (the nodes hold the same content). A
request for another node is served, by -mode:

  handoff  the DS hands the connection's server->client half to the node
           (splitstack.ko): the node's sst-os gets the connection from
           accept(), reads the request, writes the response straight to the
           client and closes; the DS goes on reading the next request.
  hetero   the DS writes the response head itself (it stats its copy of the
           file; a missing file is answered 404 locally) and hands off the
           request with "X-Sst-Body-Only: 1": the node sends the body only.
  forward  no handoff (the baseline): the DS sends the request to the node's
           -backend over a pooled keep-alive connection and relays the
           response.

Policies (-policy):

  path  the first path element names the node: /os1/... goes to os1;
        anything else is served locally
  rr    round robin over the nodes
  hash  consistent hashing of the path (128 virtual nodes per node): a path
        always goes to the same node; a node leaving moves only its paths
  lard  locality-aware request distribution (Pai et al., ASPLOS '98): a path
        stays on the node it was first given (the least loaded one) until
        that node has more than -lard-high requests in progress while
        another has fewer than -lard-low, or 2x -lard-high

With -local (the default) rr, hash and lard count the DS among the nodes.

A request is handed off only when no pipelined request is buffered behind
it (the node would not see those bytes); otherwise the DS serves it. When a
node refuses a handoff or is unreachable (the connection is then still the
DS's), or its back end fails in forward mode, the DS marks it unhealthy for
-unhealthy, tries the next node of the policy and finally serves the request
itself: the client sees no error. A handoff that fails after the node
started sending closes the connection.

-node names the node's address (a splitstack peer, sstctl peers add) and
the port its sst-os listens on (on the service address, the VIP).

Limits: at most -max-conns client connections are served at once (more
are answered "503 Service Unavailable" with Retry-After: 1 and closed) and
at most -max-handoffs handoffs are under way (past it the DS serves the
request itself, or answers 503 if it has no such file). A connection is
closed when its next request takes longer than -idle-timeout to arrive, or
when the client accepts nothing of a response the DS writes for
-write-timeout. Header fields named X-Sst-* are the DS's own: a request
from a client with one is refused (400). -metrics counts each refusal:
refused_connections, handoff_limit_served_locally, refused_handoff_limit,
idle_timeouts, write_timeouts, refused_internal_header, and
backend_conns_not_pooled (forward mode: a back-end response that was not
exactly framed, whose connection is closed rather than kept).

Access log: one line per request:
  TIME CLIENT #N METHOD PATH node=NODE mode=MODE status=S bytes=B handoff=D dur=D fallback=F
(status "-": the node wrote the response; fallback: the nodes tried first
and why, e.g. os1:refused, or os2:pipelined).

flags:
`

const usageTail = `
examples:
  by path, as in the demo (/os1/... -> os1, /os2/... -> os2, the rest local):
    sst-ds -listen 10.0.2.1:80 -root /srv/www -node os1=10.0.1.3:80 -node os2=10.0.1.4:80
  LARD over the DS and two OSes, counters on :9090:
    sst-ds -listen 10.0.2.1:80 -root /srv/www -policy lard -metrics 127.0.0.1:9090 \
      -node os1=10.0.1.3:80 -node os2=10.0.1.4:80
  back-end forwarding to plain file servers (sst-os -listen 10.0.1.3:8080):
    sst-ds -mode forward -policy rr -root /srv/www \
      -backend os1=10.0.1.3:8080 -backend os2=10.0.1.4:8080
`

// parseFlags parses the command line; help and errors are written to out.
func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("sst-ds", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.listen, "listen", ":80", "accept clients on `ADDR` (the service address and port)")
	fs.StringVar(&c.root, "root", ".", "serve the files under `DIR` locally")
	fs.Var(&c.nodes, "node", "`NAME=ADDR:PORT`: node NAME is the OS at ADDR (a splitstack peer) whose sst-os listens on PORT (repeatable)")
	fs.Var(&c.nodes, "os", "the same as -node `NAME=ADDR:PORT` (its old name)")
	fs.Var(&c.backends, "backend", "`NAME=ADDR:PORT`: node NAME's plain keep-alive HTTP address for -mode forward (repeatable; default: its -node address); unhealthy nodes with one are probed there before they are used again")
	fs.StringVar(&c.policy, "policy", "path", "dispatch `POLICY`: "+strings.Join(dispatch.Kinds, ", "))
	fs.BoolVar(&c.local, "local", true, "count the DS itself (node \"local\") among the nodes of rr, hash and lard")
	fs.StringVar(&c.mode, "mode", modeHandoff, "how another node serves a request: "+strings.Join(modes, ", "))
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "progress bound of a handoff (it fails once the client has acknowledged nothing new for this long; no deadline: a long response takes as long as it takes) and bound on a back-end exchange")
	fs.DurationVar(&c.idle, "idle-timeout", 2*time.Minute, "close a client connection that takes this long to send its next request, keep-alive idle time included (0: never)")
	fs.DurationVar(&c.writeTimeout, "write-timeout", 30*time.Second, "close a client connection that accepts nothing of a response the DS writes (a head, a 256 KiB piece of a file, a relayed piece) for this long (0: never)")
	fs.IntVar(&c.maxConns, "max-conns", defaultMaxConns, "serve at most `N` client connections at once; more get \"503 Service Unavailable\" (Retry-After: 1) and are closed")
	fs.IntVar(&c.maxHandoffs, "max-handoffs", defaultMaxHandoffs, fmt.Sprintf("at most `N` handoffs at once (each holds an OS thread; at most %d); past it the DS serves the request itself, or answers 503 if it has no such file", maxMaxHandoffs))
	fs.DurationVar(&c.unhealthy, "unhealthy", 5*time.Second, "how long a node that refused a handoff or failed is left out")
	fs.StringVar(&c.accessLog, "access-log", "-", "append the access log to `FILE` (\"-\": standard error)")
	fs.StringVar(&c.metrics, "metrics", "", "serve counters as JSON over HTTP on `ADDR` (e.g. 127.0.0.1:9090)")
	fs.BoolVar(&c.quiet, "quiet", false, "no access log (errors are still logged)")
	fs.IntVar(&c.tLow, "lard-low", 25, "LARD's T_low: requests in progress below which a node takes a loaded node's paths")
	fs.IntVar(&c.tHigh, "lard-high", 65, "LARD's T_high: requests in progress above which a node's paths may move")
	fs.IntVar(&c.lardPaths, "lard-paths", dispatch.DefaultMaxPaths, "LARD remembers the node of at most this many paths (the least recently used idle one is forgotten first)")
	fs.Usage = func() {
		fmt.Fprint(out, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(out, usageTail)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintf(out, "sst-ds: %v\n", err)
		return nil, err
	}
	if err := c.check(); err != nil {
		fmt.Fprintf(out, "sst-ds: %v\n", err)
		return nil, err
	}
	return c, nil
}

// check refuses inconsistent flags.
func (c *config) check() error {
	if c.listen == "" {
		return errors.New("-listen must not be empty")
	}
	if !slices.Contains(dispatch.Kinds, c.policy) {
		return fmt.Errorf("unknown -policy %q (want one of %s)", c.policy, strings.Join(dispatch.Kinds, ", "))
	}
	if !slices.Contains(modes, c.mode) {
		return fmt.Errorf("unknown -mode %q (want one of %s)", c.mode, strings.Join(modes, ", "))
	}
	if c.timeout < 0 || c.idle < 0 || c.unhealthy < 0 {
		return errors.New("durations must not be negative")
	}
	if c.writeTimeout < 0 {
		return errors.New("-write-timeout must not be negative")
	}
	if c.maxConns < 1 {
		return fmt.Errorf("-max-conns %d: want at least 1", c.maxConns)
	}
	if c.maxHandoffs < 1 || c.maxHandoffs > maxMaxHandoffs {
		return fmt.Errorf("-max-handoffs %d: want 1 to %d (each handoff holds an OS thread; Go allows 10000)", c.maxHandoffs, maxMaxHandoffs)
	}
	if c.lardPaths < 1 {
		return fmt.Errorf("-lard-paths %d: LARD must remember at least one path", c.lardPaths)
	}
	if c.mode != modeForward {
		for _, n := range c.backends.names {
			if _, ok := c.nodes.addrs[n]; !ok {
				return fmt.Errorf("node %s has a -backend but no -node address, which -mode %s needs", n, c.mode)
			}
		}
	}
	if len(c.nodeNames()) == 0 && !c.local && c.policy != "path" {
		return errors.New("no nodes: give -node (or -backend) or -local")
	}
	return nil
}

// nodeNames returns the names of the other nodes: those of -node, then
// those only given with -backend.
func (c *config) nodeNames() []string {
	names := slices.Clone(c.nodes.names)
	for _, n := range c.backends.names {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// backend returns node's back-end address: its -backend, or its -node.
func (c *config) backend(node string) (netip.AddrPort, bool) {
	if a, ok := c.backends.addrs[node]; ok {
		return a, true
	}
	a, ok := c.nodes.addrs[node]
	return a, ok
}

// policyNodes returns the nodes the policy picks among: the DS first with
// -local (rr, hash, lard), then the other nodes; for a path policy without
// other nodes, the DS alone.
func (c *config) policyNodes() []string {
	nodes := c.nodeNames()
	if c.policy != "path" && c.local {
		nodes = append([]string{localNode}, nodes...)
	}
	if len(nodes) == 0 {
		nodes = []string{localNode}
	}
	return nodes
}

// newPolicy builds the dispatch policy of c.
func (c *config) newPolicy() (dispatch.Policy, error) {
	return dispatch.New(c.policy, c.policyNodes(), dispatch.Options{Default: localNode, TLow: c.tLow, THigh: c.tHigh, MaxPaths: c.lardPaths})
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	errlog := log.New(os.Stderr, "sst-ds: ", log.LstdFlags)
	var access io.Writer
	if !c.quiet {
		access = os.Stderr
		if c.accessLog != "-" {
			f, err := os.OpenFile(c.accessLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				errlog.Fatalf("access log: %v", err)
			}
			defer f.Close()
			access = f
		}
	}
	s, err := newServer(c, errlog, access)
	if err != nil {
		errlog.Fatal(err)
	}
	defer s.close()
	ln, err := net.Listen("tcp4", c.listen)
	if err != nil {
		errlog.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.metrics != "" {
		mln, err := net.Listen("tcp", c.metrics)
		if err != nil {
			errlog.Fatalf("metrics: %v", err)
		}
		go s.serveMetrics(ctx, mln)
		errlog.Printf("counters as JSON on http://%s/", mln.Addr())
	}
	errlog.Printf("listening on %s, serving %s; policy %s over %v, mode %s; nodes: %v",
		ln.Addr(), c.root, c.policy, c.policyNodes(), c.mode, c.nodes.String())
	if err := s.serve(ctx, ln); err != nil {
		errlog.Fatal(err)
	}
}
