// Package systemd speaks the two small protocols a service manager offers
// a daemon, without a library: readiness notification (sd_notify(3): a
// datagram such as "READY=1" sent to the Unix socket named by
// $NOTIFY_SOCKET) and socket activation (sd_listen_fds(3): listening
// sockets passed from descriptor 3 on, announced by $LISTEN_FDS for the
// process whose pid is $LISTEN_PID). Neither needs systemd itself: any
// manager that sets the variables will do, and without them both are
// silent no-ops.
package systemd

import (
	"net"
	"os"
	"strconv"
)

// ListenFDsStart is the first descriptor a manager passes.
const ListenFDsStart = 3

// Notifier sends state changes to the service manager.
type Notifier struct {
	addr *net.UnixAddr // nil: no manager listens
}

// NewNotifier reads $NOTIFY_SOCKET and removes it from the environment,
// so that no program started later speaks for this one. An absolute path
// names a socket in the file system; a leading '@' names an abstract one
// (Linux), which Go's net package maps to a leading NUL byte. Any other
// value, or none, gives a Notifier whose Notify does nothing.
func NewNotifier() *Notifier {
	path := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	if len(path) < 2 || (path[0] != '/' && path[0] != '@') {
		return &Notifier{}
	}
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// Enabled reports whether a manager asked to be notified.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends state, newline-separated assignments such as "READY=1", in
// one datagram. It returns nil when there is no manager to tell.
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// ListenFDs returns how many listening sockets the manager passed to this
// process (from descriptor 3 on), 0 if none. The variables count only
// when $LISTEN_PID is this process's pid, which keeps a child that
// inherited them from taking its parent's sockets; they are removed from
// the environment either way, with $LISTEN_FDNAMES.
func ListenFDs() int {
	pid, pidErr := strconv.Atoi(os.Getenv("LISTEN_PID"))
	n, nErr := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(v)
	}
	if pidErr != nil || nErr != nil || pid != os.Getpid() || n < 1 {
		return 0
	}
	return n
}
