package spipedtest

import (
	"io"
	"net"
	"testing"
	"time"
)

// timedDial connects and says how long the connect took.
func timedDial(t *testing.T, addr string) (*net.TCPConn, time.Duration) {
	t.Helper()
	start := time.Now()
	c := dial(t, addr)
	return c, time.Since(start)
}

// A connect begun during a hold completes at the first SYN retransmission
// (about 1 s) and then carries data; connects after the hold are immediate.
func TestSlowTargetHold(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a SYN retransmission: a timeout-bound test; make test runs it")
	}
	s := StartSlowTarget(t, SlowTargetConfig{Handle: func(c net.Conn) {
		defer c.Close()
		io.Copy(c, c)
	}})
	HoldFor(t, s, 300*time.Millisecond)
	c, took := timedDial(t, s.Addr())
	t.Logf("connect during the hold took %v", took.Round(time.Millisecond))
	if took < 700*time.Millisecond {
		t.Errorf("connect during the hold took %v; want about 1 s", took)
	}
	c.Write([]byte("after the wait"))
	c.CloseWrite()
	if got, err := io.ReadAll(c); err != nil || string(got) != "after the wait" {
		t.Errorf("echo through the held connection: %q, %v", got, err)
	}
	_, took = timedDial(t, s.Addr())
	if took > 300*time.Millisecond {
		t.Errorf("connect after the hold took %v; want immediate", took)
	}
	// The fillers were accepted and closed, not counted (the count may
	// trail the connect by an accept).
	for deadline := time.Now().Add(5 * time.Second); s.Accepted() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Accepted() != 2 {
		t.Errorf("Accepted() = %d, want 2", s.Accepted())
	}
	// A second hold works like the first.
	HoldFor(t, s, 100*time.Millisecond)
	if _, took = timedDial(t, s.Addr()); took < 700*time.Millisecond {
		t.Errorf("connect during the second hold took %v; want about 1 s", took)
	}
}

// Forwarding: the held connection reaches the upstream once the connect
// completes, with half-close carried across.
func TestSlowTargetUpstream(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a SYN retransmission: a timeout-bound test; make test runs it")
	}
	up := newServer(t, func(c *net.TCPConn) {
		n, _ := io.Copy(io.Discard, c)
		if n == 5 {
			c.Write([]byte("world"))
		}
	})
	s := StartSlowTarget(t, SlowTargetConfig{Upstream: up.Addr()})
	HoldFor(t, s, 200*time.Millisecond)
	c, took := timedDial(t, s.Addr())
	if took < 700*time.Millisecond {
		t.Errorf("connect during the hold took %v; want about 1 s", took)
	}
	c.Write([]byte("hello"))
	c.CloseWrite()
	if got, err := io.ReadAll(c); err != nil || string(got) != "world" {
		t.Errorf("through the slow target: %q, %v; want \"world\"", got, err)
	}
}

// Close during a hold ends it: the pending connect fails rather than hangs.
func TestSlowTargetCloseWhileHeld(t *testing.T) {
	s, err := NewSlowTarget(SlowTargetConfig{Handle: func(c net.Conn) { c.Close() }})
	if err != nil {
		t.Fatal(err)
	}
	HoldFor(t, s, time.Hour)
	res := make(chan error, 1)
	go func() {
		c, err := net.DialTimeout("tcp4", s.Addr(), 10*time.Second)
		if err == nil {
			c.Close()
		}
		res <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-res:
		if err == nil {
			t.Error("the connect pending at Close succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connect pending at Close did not end")
	}
}
