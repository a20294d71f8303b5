package spipedtest

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestWaitListeningWantsTheOwner: a listener on the daemon's port counts
// only if the daemon holds it; another process's (one that took the port
// FreeSpec freed) must not pass for it.
func TestWaitListeningWantsTheOwner(t *testing.T) {
	NeedProc(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	spec := SpecOf(ln.Addr())
	never := make(chan struct{})
	if !waitListening(spec, os.Getpid(), never, 2*time.Second) {
		t.Fatal("the listener this process holds was not found")
	}
	other := exec.Command("sleep", "10")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	if waitListening(spec, other.Process.Pid, never, 200*time.Millisecond) {
		t.Fatal("a listener of another process passed for the daemon's")
	}
}
