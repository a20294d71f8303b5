//go:build linux

package engine

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

// Every poller's tune sets the data phase's options by the end of the next
// wait: the ring through the kernel (where it can) and directly.
func TestPollerTune(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pollers := map[string]func() (poller, error){
		"epoll": func() (poller, error) { return newEpoller() },
	}
	if !ringSetsockoptWorks(new(int32)) && os.Getenv("CI") != "" {
		t.Error("this kernel does not set socket options through io_uring")
	}
	for _, through := range []bool{true, false} {
		pollers["io_uring, through the ring "+strconv.FormatBool(through)] = func() (poller, error) {
			p, err := newRingPoller()
			if err != nil {
				t.Skipf("io_uring refused here: %v", err)
			}
			p.sockopts = p.sockopts && through
			return p, err
		}
	}
	for name, newP := range pollers {
		for _, keepalive := range []bool{true, false} {
			p, err := newP()
			if err != nil {
				t.Fatal(err)
			}
			fd, err := newSocket(unix.AF_INET)
			if err != nil {
				t.Fatal(err)
			}
			p.tune(fd, keepalive)
			var evs [8]event
			if _, err := p.wait(evs[:], 0); err != nil {
				t.Fatal(err)
			}
			nodelay, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
			ka, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
			unix.Close(fd)
			p.close()
			if want := map[bool]int{true: 1, false: 0}[keepalive]; nodelay != 1 || ka != want {
				t.Errorf("%s, keepalive %v: TCP_NODELAY %d, SO_KEEPALIVE %d; want 1, %d", name, keepalive, nodelay, ka, want)
			}
		}
	}
}

// Closing the poller closes the descriptors whose close it had prepared
// but not handed over, and never one whose close the kernel already did:
// that number may belong to a new descriptor by then.
func TestRingPollerCloseHandsOverOnce(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := newRingPoller()
	if err != nil {
		t.Skipf("io_uring refused here: %v", err)
	}
	open := func(fd int) bool {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil
	}
	handed, kept := socketpair(t), socketpair(t)
	defer unix.Close(handed[1])
	defer unix.Close(kept[1])
	for _, fd := range []int{handed[0], kept[0]} {
		p.add(fd, fdConnected)
	}
	p.closeFd(handed[0])
	var evs [8]event
	if _, err := p.wait(evs[:], 0); err != nil {
		t.Fatal(err)
	}
	if open(handed[0]) {
		t.Fatal("a close handed over did not close")
	}
	// The number comes back for a new descriptor, not the poller's.
	reused, err := unix.Dup(handed[1])
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(reused)
	if reused != handed[0] {
		t.Logf("dup gave %d, not the closed %d: the reuse is not tested", reused, handed[0])
	}
	p.closeFd(kept[0])
	p.close()
	if open(kept[0]) {
		t.Error("a close prepared but not handed over was lost")
	}
	if !open(reused) {
		t.Error("the poller closed a descriptor it no longer owned")
	}
}

// TestRingWaitIsIdle checks that a loop's wait, with requests in flight,
// is counted as idle time and not as waiting for I/O, where the kernel can
// be told (Linux 6.15): the same wait without the flag, the control, shows
// this kernel counts it otherwise. Both are read off /proc/stat, which
// the machine's other work can add iowait to, so a clean pair in three
// will do.
func TestRingWaitIsIdle(t *testing.T) {
	p := newRecvPoller(t)
	if p.r.waitFlags&enterNoIOWait == 0 {
		t.Skip("this kernel counts a ring's wait as iowait: IORING_FEAT_NO_IOWAIT is Linux 6.15's")
	}
	var evs [4]event
	// iowait is the ticks of iowait, all CPUs together, during a wait
	// of 400 ms on the wake-up eventfd's poll request, which nothing
	// completes.
	iowait := func() int64 {
		before := statIOWait(t)
		if _, err := p.wait(evs[:], 400); err != nil {
			t.Fatal(err)
		}
		return statIOWait(t) - before
	}
	var with, without int64
	for range 3 {
		with = iowait()
		p.r.waitFlags &^= enterNoIOWait
		without = iowait()
		p.r.waitFlags |= enterNoIOWait
		if without >= 20 && with <= without/4 {
			return
		}
	}
	t.Fatalf("iowait ticks in a 400 ms wait: %d with NO_IOWAIT, %d without (want under a quarter of it, and at least 20 without)", with, without)
}

// statIOWait reads the iowait ticks of all CPUs from /proc/stat.
func statIOWait(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	// cpu  user nice system idle iowait ...
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	if len(f) < 6 || f[0] != "cpu" {
		t.Fatalf("/proc/stat begins %q", f)
	}
	v, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
