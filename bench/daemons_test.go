package main

import (
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

func TestProcSampling(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	kb, err := rssKB(os.Getpid())
	if err != nil || kb <= 0 {
		t.Fatalf("rssKB = %d, %v", kb, err)
	}
}

func TestListening(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if !listening(port) {
		t.Fatalf("port %d listens but was not found", port)
	}
	ln.Close()
	if listening(port) {
		t.Fatalf("port %d closed but still found", port)
	}
}

func TestTailKeepsEnd(t *testing.T) {
	tl := &tail{max: 4}
	tl.Write([]byte("abc"))
	tl.Write([]byte("defg"))
	if got := tl.String(); got != "defg" {
		t.Fatalf("tail = %q", got)
	}
}

func TestSpipedAddr(t *testing.T) {
	if got := spipedAddr(loopback(8025)); got != "[127.0.0.1]:8025" {
		t.Fatalf("spipedAddr = %q", got)
	}
}

// TestPostmortemShowsStall stalls a byte in a target that never reads and
// checks that the postmortem finds it queued there and dumps both of our
// daemons' goroutines.
func TestPostmortemShowsStall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	spipedtest.NeedCommand(t, "ss", "the postmortem lists sockets with ss")
	keyPath, err := writeKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stuck := &service{life: time.Minute}
	release := make(chan struct{})
	stuck.handle = func(net.Conn) { <-release }
	if err := stuck.listen(); err != nil {
		t.Fatal(err)
	}
	defer stuck.close()
	defer close(release)
	p := newProcs()
	defer p.killAll()
	pr, err := startPair(p, spipedtest.OurBinary(t), keyPath, stuck.addr(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.stop()
	c, err := net.Dial("tcp4", pr.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := ping(c, 1, time.Now().Add(300*time.Millisecond)); err == nil {
		t.Fatal("a target that never reads answered")
	}
	got := pr.postmortem(stuck.port(), true)
	// The byte waits, unread, in the target's accepted socket: a Recv-Q of 1
	// on a line whose local port is the target's.
	want := regexp.MustCompile(`(?m)^ESTAB\s+1\s+0\s+\S+:` + strconv.Itoa(stuck.port()) + `\s`)
	if !want.MatchString(got) {
		t.Errorf("postmortem does not show the byte queued at the target:\n%s", got)
	}
	for _, role := range []string{"-e", "-d"} {
		if !strings.Contains(got, "spiped "+role+" after SIGQUIT:\nSIGQUIT") ||
			!strings.Contains(got, "engine.(*loop).run") {
			t.Errorf("no goroutine dump of spiped %s:\n%s", role, got)
		}
	}
}

// TestStolenPortFailsClearly: when the port freePort handed to -d is bound
// by someone else before -d binds it (freePort closes its socket and only
// returns a number), -d exits with EADDRINUSE. waitListening used to take
// the other listener for -d's; -e then connected to a listener that never
// answers, and the first ping through the "fresh pair" timed out after 5 s
// with nothing saying that -d had died: the stall of RELIABILITY.md's
// first open question. Now the pair fails to start, at once, naming the
// dead daemon and why.
func TestStolenPortFailsClearly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	keyPath, err := writeKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	echo, err := newEcho(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else (another process's net.Listen("127.0.0.1:0"), or a
	// daemon's own --metrics 127.0.0.1:0) holds the port; it never answers.
	thief, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	stolen := thief.Addr().(*net.TCPAddr).Port
	real := freePort
	calls := 0
	freePort = func() (int, error) {
		calls++
		if calls == 1 { // portD
			return stolen, nil
		}
		return real()
	}
	defer func() { freePort = real }()

	r := &runner{procs: newProcs(), key: keyPath}
	defer r.procs.killAll()
	s := side{name: "ours", bin: spipedtest.OurBinary(t), ours: true}
	var aliveErr error
	start := time.Now()
	err = r.withPair(s, echo, nil, func(pr *pair) error {
		h, err := openHeld(pr.addr, 1, 60*time.Second)
		defer closeAll(h.conns)
		aliveErr = pr.alive()
		return err
	})
	t.Logf("withPair after %v returned: %v", time.Since(start).Round(time.Millisecond), err)
	if aliveErr != nil {
		t.Logf("pr.alive() inside f: %v", aliveErr)
	}
	if err == nil {
		t.Fatal("a pair whose -d never started passed")
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("withPair does not say that -d died of EADDRINUSE: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the failure took %v: it waited on the silent listener", elapsed)
	}
}
