package warnp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestWarnFormat(t *testing.T) {
	var buf bytes.Buffer
	w := New("spiped", &buf)
	w.Warn("Maximum number of connections (3) reached")
	w.Warnf("Error resolving socket address: %s", "x")
	want := "spiped: Maximum number of connections (3) reached\nspiped: Error resolving socket address: x\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestUseSyslogLeavesStderr(t *testing.T) {
	var buf bytes.Buffer
	w := New("spiped", &buf)
	w.UseSyslog()
	w.Warn("to syslog, or nowhere without a syslog daemon")
	if buf.Len() != 0 {
		t.Fatalf("after UseSyslog, %q went to standard error", buf.String())
	}
}

func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{syscall.EADDRINUSE, "Address already in use"},
		{fmt.Errorf("Error binding socket: %w", syscall.EADDRINUSE), "Error binding socket: Address already in use"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, "open /x: No such file or directory"},
		{syscall.ERANGE, "Numerical result out of range"},
		{syscall.EINVAL, "Invalid argument"},
		{errors.New("Address must contain port number: x"), "Address must contain port number: x"},
	} {
		if got := Strerror(tc.err); got != tc.want {
			t.Errorf("Strerror(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
