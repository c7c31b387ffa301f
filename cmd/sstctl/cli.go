package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the request failed
	exitUsage = 2 // the command line is wrong
)

// env is what a command runs with.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	json   bool
	dial   func() (client, error)
	c      client
}

// client connects to the kernel on first use.
func (e *env) client() (client, error) {
	if e.c == nil {
		c, err := e.dial()
		if err != nil {
			return nil, err
		}
		e.c = c
	}
	return e.c, nil
}

// render prints v in the output format chosen on the command line.
func (e *env) render(v *view) error {
	return v.render(e.stdout, e.json)
}

// run runs sstctl with the arguments args (without the program name) and
// returns the exit status. dial connects to the kernel; it is only called
// once the command line is known to be good.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, dial func() (client, error)) int {
	root := newRoot()

	fs := pflag.NewFlagSet("sstctl", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	asJSON := fs.BoolP("json", "j", false, "print JSON instead of text")
	help := fs.BoolP("help", "h", false, "show help (also: sstctl help COMMAND)")
	if err := fs.Parse(args); err != nil {
		return usageFail(stderr, root, err)
	}

	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "help" && !*help {
		*help = true
		rest = rest[1:]
	}
	cmd, cmdArgs, err := resolve(root, rest, *help)
	if err != nil {
		return usageFail(stderr, cmd, err)
	}
	if *help || cmd.run == nil {
		cmd.writeHelp(stdout, flagUsages(fs))
		return exitOK
	}

	e := &env{stdin: stdin, stdout: stdout, json: *asJSON, dial: dial}
	err = cmd.run(e, cmdArgs)
	if e.c != nil {
		_ = e.c.Close()
	}
	switch {
	case err == nil:
		return exitOK
	case isUsage(err):
		return usageFail(stderr, cmd, err)
	}
	fmt.Fprintf(stderr, "sstctl: %v\n", err)
	return exitError
}

// resolve finds the command named by the leading words of args and returns
// it with the remaining arguments. A group given no subcommand resolves to
// its default one, except for help (forHelp), which shows the group. On
// error, the command returned is the one whose usage to show.
func resolve(root *command, args []string, forHelp bool) (*command, []string, error) {
	cmd := root
	for cmd.subs != nil {
		if len(args) == 0 {
			switch {
			case forHelp:
				return cmd, nil, nil
			case cmd.def != "":
				return cmd.lookup(cmd.def), nil, nil
			case cmd == root:
				return cmd, nil, usagef("missing command")
			}
			return cmd, nil, usagef("%q needs a command", cmd.path())
		}
		sub := cmd.lookup(args[0])
		if sub == nil {
			if cmd == root {
				return cmd, nil, usagef("unknown command %q", args[0])
			}
			return cmd, nil, usagef("unknown command %q for %q", args[0], cmd.path())
		}
		cmd, args = sub, args[1:]
	}
	// With help, the arguments of a leaf are ignored.
	return cmd, args, nil
}

// flagUsages lists the flags of fs, one per line. (pflag's FlagUsages
// decorates boolean flags with "[=true|false]".)
func flagUsages(fs *pflag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		fmt.Fprintf(&b, "  -%s, --%-6s  %s\n", f.Shorthand, f.Name, f.Usage)
	})
	return b.String()
}

// usageFail reports a usage error with the usage of cmd and returns
// exitUsage.
func usageFail(w io.Writer, cmd *command, err error) int {
	msg := err.Error()
	var u *usageError
	if !errors.As(err, &u) {
		// pflag's errors, like "unknown flag: --foo".
		msg = strings.TrimPrefix(msg, "sstctl: ")
	}
	fmt.Fprintf(w, "sstctl: %s\n", msg)
	cmd.writeUsage(w)
	fmt.Fprintf(w, "Run '%s --help' for more information.\n", cmd.path())
	return exitUsage
}
