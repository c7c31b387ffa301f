package nl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotLoaded is returned by Dial when the kernel has no "splitstack"
// generic netlink family, that is when splitstack.ko is not loaded.
var ErrNotLoaded = errors.New("splitstack module not loaded (run: modprobe splitstack or insmod splitstack.ko)")

// ErrInvalid is matched (with errors.Is) by the errors of the checks made
// before a request is sent to the kernel.
var ErrInvalid = errors.New("invalid argument")

// invalidError is a value refused by a client-side check.
type invalidError struct{ msg string }

func invalidf(format string, a ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, a...)}
}

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// An OpError is a request the kernel (or the netlink socket) refused.
//
// It wraps the error of package netlink, usually a *netlink.OpError holding
// a unix.Errno, so that errors.Is(err, unix.EEXIST), errors.Is(err,
// os.ErrNotExist), errors.Is(err, os.ErrPermission) and errors.As(err,
// **netlink.OpError) keep working.
type OpError struct {
	// Op describes the request, such as "add peer 10.0.1.2".
	Op string
	// Message is the kernel's extended acknowledgement message, if any.
	Message string
	// Err is the underlying error.
	Err error

	// desc is the human description of Err in the context of Op.
	desc string
}

// Error returns "<op>: <what went wrong>[: <kernel message>]". The kernel
// message is left out when it only repeats the description.
func (e *OpError) Error() string {
	s := e.Op + ": " + e.desc
	if e.Message != "" && !strings.Contains(strings.ToLower(e.desc), strings.ToLower(e.Message)) {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// errnoText maps an errno to a description for a given request. Entries
// override the generic descriptions of errnoDesc.
type errnoText map[unix.Errno]string

// errnoDesc holds the generic descriptions of the errors the kernel
// documents for this family.
var errnoDesc = errnoText{
	unix.EPERM:        "permission denied (needs CAP_NET_ADMIN)",
	unix.EACCES:       "permission denied (needs CAP_NET_ADMIN)",
	unix.ENOENT:       "not found",
	unix.EEXIST:       "already exists",
	unix.EINVAL:       "invalid argument",
	unix.ERANGE:       "value out of range",
	unix.EAFNOSUPPORT: "address family not supported (IPv4 only)",
	unix.EOPNOTSUPP:   "operation not supported by the kernel module",
}

// wrapError turns an error of package netlink into an *OpError for op,
// describing errnos with texts first, then errnoDesc.
func wrapError(op string, err error, texts errnoText) error {
	if err == nil {
		return nil
	}
	e := &OpError{Op: op, Err: err, desc: err.Error()}

	var nerr *netlink.OpError
	if errors.As(err, &nerr) {
		e.Message = nerr.Message
		e.desc = nerr.Err.Error()
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		e.desc = errno.Error()
		if d, ok := errnoDesc[errno]; ok {
			e.desc = d
		}
		if d, ok := texts[errno]; ok {
			e.desc = d
		}
	}
	return e
}
