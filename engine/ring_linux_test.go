//go:build linux

package engine

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestRingPollerWakes checks that a wake from another goroutine ends a
// wait with no time limit, every time.
func TestRingPollerWakes(t *testing.T) {
	p, err := newRingPoller()
	if err != nil {
		t.Skipf("io_uring refused here: %v", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer p.close()
	var evs [16]event
	for i := 0; i < 200; i++ {
		go func() {
			time.Sleep(100 * time.Microsecond)
			p.wake()
		}()
		var rescued atomic.Bool
		timer := time.AfterFunc(2*time.Second, func() {
			rescued.Store(true)
			p.wake()
		})
		if _, err := p.wait(evs[:], -1); err != nil {
			t.Fatal(err)
		}
		timer.Stop()
		if rescued.Load() {
			t.Fatalf("wake %d was lost", i)
		}
	}
}

// newPoller takes io_uring where the kernel allows it, and epoll where it
// does not or SPIPED_POLLER=epoll asks for it. CI runs where io_uring is
// allowed, so there a refusal is a failure.
func TestPollerChoice(t *testing.T) {
	want := "io_uring"
	if r, err := newRingPoller(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("io_uring refused under CI: %v", err)
		}
		t.Logf("io_uring refused here (%v): epoll expected", err)
		want = "epoll"
	} else {
		r.close()
	}
	t.Setenv("SPIPED_POLLER", "")
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	if p.name() != want {
		t.Errorf("poller %s, want %s", p.name(), want)
	}
	p.close()
	t.Setenv("SPIPED_POLLER", "epoll")
	if p, err = newPoller(); err != nil {
		t.Fatal(err)
	}
	if p.name() != "epoll" {
		t.Errorf("SPIPED_POLLER=epoll: poller %s", p.name())
	}
	p.close()
}
