package main

import (
	"fmt"
	"io"
)

// A command is a node of the command tree: a group of subcommands or a
// leaf that runs.
type command struct {
	name    string
	aliases []string
	// args is the argument synopsis of a leaf, e.g. "ADDR [port N]".
	args string
	// summary is a one-line description.
	summary string
	// help is the detailed description: arguments, defaults, examples.
	help string
	// subs are the subcommands of a group.
	subs []*command
	// def names the subcommand a group runs when given none; "" means the
	// group needs a subcommand.
	def string
	// run runs a leaf with its arguments.
	run func(e *env, args []string) error

	parent *command
}

// path returns the full command, e.g. "sstctl peers add".
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return c.parent.path() + " " + c.name
}

// lookup returns the subcommand called name, or nil.
func (c *command) lookup(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
		for _, a := range s.aliases {
			if a == name {
				return s
			}
		}
	}
	return nil
}

// synopses returns one synopsis line per leaf under c, e.g.
// "sstctl peers add ADDR [port N]"; the default subcommand of a group is
// shown in brackets.
func (c *command) synopses() []string {
	if c.subs == nil {
		s := c.path()
		if c.args != "" {
			s += " " + c.args
		}
		return []string{s}
	}
	var lines []string
	for _, s := range c.subs {
		for _, l := range s.synopses() {
			if s.name == c.def && l == s.path() {
				l = c.path() + " [" + s.name + "]"
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// leaves returns the leaf commands under c, in order.
func (c *command) leaves() []*command {
	if c.subs == nil {
		return []*command{c}
	}
	var l []*command
	for _, s := range c.subs {
		l = append(l, s.leaves()...)
	}
	return l
}

// writeUsage prints the synopsis lines of c.
func (c *command) writeUsage(w io.Writer) {
	for i, l := range c.synopses() {
		if i == 0 {
			fmt.Fprintf(w, "Usage: %s\n", l)
		} else {
			fmt.Fprintf(w, "       %s\n", l)
		}
	}
}

// writeHelp prints the full help of c; options lists the global options,
// shown in the help of the root.
func (c *command) writeHelp(w io.Writer, options string) {
	switch {
	case c.parent == nil:
		fmt.Fprintf(w, "Usage: %s [OPTIONS] COMMAND [ARGUMENTS]\n", c.path())
	case c.subs == nil:
		c.writeUsage(w)
	case c.def != "":
		fmt.Fprintf(w, "Usage: %s [COMMAND]\n", c.path())
	default:
		fmt.Fprintf(w, "Usage: %s COMMAND\n", c.path())
	}
	fmt.Fprintf(w, "\n%s\n", c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s", c.help)
	}
	if c.subs != nil {
		leaves, syn := c.leaves(), c.synopses()
		fmt.Fprintf(w, "\nCommands:\n")
		for i, l := range leaves {
			fmt.Fprintf(w, "  %s\n      %s\n", syn[i], l.summary)
		}
		fmt.Fprintf(w, "\nRun 'sstctl help COMMAND' or 'sstctl COMMAND --help' for details.\n")
	}
	if c.parent == nil {
		fmt.Fprintf(w, "\nOptions:\n%s", options)
		fmt.Fprintf(w, "\nExit status: 0 on success, 1 on error, 2 on usage error.\n")
	}
}

// newRoot builds the command tree.
func newRoot() *command {
	root := &command{
		name:    "sstctl",
		summary: "Configure and inspect splitstack.ko, the Split-Stack TCP connection handoff module.",
		help: `All requests act on the network namespace sstctl runs in. Listing peers
and half-pipes (client addresses, sequence numbers) and changing anything
need CAP_NET_ADMIN in the namespace's user namespace, as "wg show" does;
"show stats" and "config" are open to everyone.
`,
		subs: []*command{
			{
				name:    "peers",
				aliases: []string{"peer"},
				summary: "Manage the trusted peer nodes. Without a command, list them.",
				def:     "list",
				subs: []*command{
					{
						name:    "list",
						aliases: []string{"show", "ls"},
						summary: "List the trusted peers.",
						help: `Prints one line per peer, in the form "sstctl peers add" accepts, with
a comment telling when a valid control message last came from the peer:

  10.0.1.2 port 4795  # heard 250ms ago
  10.0.1.3 port 4795  # never heard

With --json, prints an array of
{"addr": "10.0.1.2", "port": 4795, "last_heard_ms": 250} (null if never).
Needs CAP_NET_ADMIN.

Example:
  sstctl peers
`,
						run: peersList,
					},
					{
						name:    "add",
						args:    "ADDR [port N]",
						summary: "Trust a peer node.",
						help: `Control messages are accepted only from trusted peers.

Arguments:
  ADDR     the peer's IPv4 address, like 10.0.1.2
  port N   the peer's control UDP port, 1..65535 (default 4795)

Fails if ADDR is already a peer, or past 1024 peers. Needs CAP_NET_ADMIN.

Example:
  sstctl peers add 10.0.1.2 port 4795
`,
						run: peersAdd,
					},
					{
						name:    "del",
						aliases: []string{"delete"},
						args:    "ADDR",
						summary: "Forget a peer node.",
						help: `Arguments:
  ADDR   the peer's IPv4 address

Fails if ADDR is not a peer. Needs CAP_NET_ADMIN.

Example:
  sstctl peers del 10.0.1.2
`,
						run: peersDel,
					},
				},
			},
			{
				name:    "show",
				summary: "Show run-time state.",
				subs: []*command{
					{
						name:    "halfpipes",
						aliases: []string{"halfpipe", "hp"},
						summary: "List the half-pipes waiting for garbage collection.",
						help: `Columns: connection id, client and VIP (server) ends of the TCP
connection, the optimal server (OS) sending the response, the sequence
range of the half-pipe, its state (setup, sending, done, reset), the bytes
the client has not acknowledged, and the time since SETUP. With --json,
the age is "age_ms" in milliseconds. Needs CAP_NET_ADMIN (client
addresses and sequence numbers are not for every local user).

Example:
  sstctl show halfpipes
`,
						run: showHalfPipes,
					},
					{
						name:    "stats",
						aliases: []string{"statistics"},
						summary: "Show the protocol counters.",
						help:    statsHelp(),
						run:     showStats,
					},
				},
			},
			{
				name:    "monitor",
				args:    "[count N]",
				summary: "Print the module's events as they happen.",
				help: `One line per event of this namespace, as "ip monitor" prints them, until
interrupted (or after N events):

  handoff conn 7 os 10.0.1.3 seq 3415232542..3415238872 sent 6330 in 19.7ms
  handoff conn 9 os 10.0.1.3 failed after 4s: connection timed out
  reset conn 7 os 10.0.1.3 seq 3415232542..3415238872
  abort conn 12 ds 10.0.1.2 seq 90..90
  gc-timeout conn 13 ds 10.0.1.2 seq 4000

handoff: a handoff call ended on this DS (the ioctl's result: bytes the OS
sent and how long it took, or why it failed); reset: a half-pipe the
client fully acknowledged, its OS told to let go; abort: this OS refused
a SETUP or lost a half-pipe before DATA_DONE; gc-timeout: this OS
collected a half-pipe whose DS fell silent. With --json, one object per
line: {"type", "conn_id", "peer", "seq_start", "seq_end", "error",
"errno", "sent", "duration_us"}. Events a slow reader has no room for
are lost, and sstctl says so. Needs CAP_NET_ADMIN. The tracepoints
(docs/tracing.md) show more, on every namespace.

Example:
  sstctl monitor
  sstctl -j monitor count 10
`,
				run: monitor,
			},
			{
				name:    "config",
				summary: "Show or change the configuration. Without a command, show it.",
				def:     "show",
				subs: []*command{
					{
						name:    "show",
						aliases: []string{"list", "ls"},
						summary: "Show the configuration.",
						help: `Prints the values with the keywords of "sstctl config set":

  port 4795
  keepalive 1s
  mode split
  key unset

The key is never shown, only whether one is set.

Example:
  sstctl config
`,
						run: configShow,
					},
					{
						name:    "set",
						args:    "[port N] [keepalive DURATION|MS] [mode split|drain] [key HEX|key-file PATH]",
						summary: "Change the configuration.",
						help: `Arguments (at least one; all are checked before any is applied):
  port N                 the local control UDP port, 1..65535 (default 4795)
  keepalive DURATION|MS  the keepalive interval, a duration like 500ms or 2s,
                         or a number of milliseconds, 100ms..60s (default 1s)
  mode split|drain       split: a handoff may start while data is in flight
                         (default); drain: it waits until all is acknowledged
  key HEX                the 32-byte authentication key as 64 hex characters;
                         prefer key-file: arguments are visible to other users
  key-file PATH          read the key from PATH ("-" for standard input):
                         32 raw bytes or 64 hex characters

Needs CAP_NET_ADMIN.

Examples:
  sstctl config set keepalive 500ms mode drain
  head -c 32 /dev/urandom > /etc/splitstack.key
  sstctl config set key-file /etc/splitstack.key
`,
						run: configSet,
					},
				},
			},
			{
				name:    "help",
				args:    "[COMMAND...]",
				summary: "Show help on a command.",
				help: `Example:
  sstctl help peers add
`,
			},
		},
	}
	setParents(root)
	return root
}

func setParents(c *command) {
	for _, s := range c.subs {
		s.parent = c
		setParents(s)
	}
}

// The leaf commands. Each parses its arguments before talking to the
// kernel, so that usage errors need no module.

func peersList(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	peers, err := c.Peers()
	if err != nil {
		return err
	}
	return e.render(peersView(peers))
}

func peersAdd(e *env, args []string) error {
	p, err := parsePeerAdd(args)
	if err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	return c.AddPeer(p)
}

func peersDel(e *env, args []string) error {
	addr, err := parsePeerDel(args)
	if err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	return c.DeletePeer(addr)
}

func showHalfPipes(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	hps, err := c.HalfPipes()
	if err != nil {
		return err
	}
	return e.render(halfPipesView(hps))
}

func showStats(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	s, err := c.Stats()
	if err != nil {
		return err
	}
	return e.render(statsView(s))
}

func configShow(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	cfg, err := c.Config()
	if err != nil {
		return err
	}
	return e.render(configView(cfg))
}

func configSet(e *env, args []string) error {
	ch, err := parseConfigSet(args, e.stdin)
	if err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	return c.SetConfig(ch)
}
