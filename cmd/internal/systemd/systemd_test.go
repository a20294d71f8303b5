package systemd

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

// A path and an abstract name ('@') both receive the datagram as sent,
// and the variable is gone from the environment afterwards.
func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	abstract := "@spiped-test-" + strconv.Itoa(os.Getpid())
	for _, name := range []string{path, abstract} {
		c := listen(t, name)
		t.Setenv("NOTIFY_SOCKET", name)
		n := NewNotifier()
		if _, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
			t.Errorf("%s: NOTIFY_SOCKET left in the environment", name)
		}
		if !n.Enabled() {
			t.Fatalf("%s: not enabled", name)
		}
		for _, msg := range []string{"READY=1", "STOPPING=1\nSTATUS=draining"} {
			if err := n.Notify(msg); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := recv(t, c); got != msg {
				t.Fatalf("%s: received %q, want %q", name, got, msg)
			}
		}
	}
}

// Without a usable variable nothing is sent and nothing fails.
func TestNotifyDisabled(t *testing.T) {
	for _, v := range []string{"", "relative/path", "@", "x"} {
		t.Setenv("NOTIFY_SOCKET", v)
		n := NewNotifier()
		if n.Enabled() {
			t.Errorf("NOTIFY_SOCKET=%q: enabled", v)
		}
		if err := n.Notify("READY=1"); err != nil {
			t.Errorf("NOTIFY_SOCKET=%q: %v", v, err)
		}
	}
	// A socket nobody listens on is an error the caller may report.
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "absent"))
	if err := NewNotifier().Notify("READY=1"); err == nil {
		t.Error("sending to an absent socket succeeded")
	}
}

// The sockets count only for the process LISTEN_PID names.
func TestListenFDs(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		pid, fds string
		want     int
	}{
		{me, "1", 1},
		{me, "2", 2},
		{me, "0", 0},
		{me, "-1", 0},
		{me, "x", 0},
		{"1", "1", 0},
		{"", "1", 0},
		{me, "", 0},
	} {
		t.Setenv("LISTEN_PID", tc.pid)
		t.Setenv("LISTEN_FDS", tc.fds)
		t.Setenv("LISTEN_FDNAMES", "x")
		if got := ListenFDs(); got != tc.want {
			t.Errorf("LISTEN_PID=%q LISTEN_FDS=%q: %d, want %d", tc.pid, tc.fds, got, tc.want)
		}
		for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			if _, ok := os.LookupEnv(v); ok {
				t.Errorf("%s left in the environment", v)
			}
		}
	}
}
