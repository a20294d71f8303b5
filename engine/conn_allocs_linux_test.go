//go:build linux

package engine

import (
	"crypto/sha256"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// TestConnectionAllocs checks that a warm daemon pair allocates nothing per
// connection: a loop reuses ended connections with their ciphers and
// timers, and dials from its own room for an address. -e and -d run here in
// process, with -f (no worker); the client and the target make raw system
// calls into buffers made beforehand, so the process's count of heap
// allocations is the engine's.
func TestConnectionAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates; make test runs this without -race")
	}
	target := rawEchoOnce(t)
	key := sha256.Sum256([]byte("allocs"))
	cfg := Config{Target: "[127.0.0.1]:" + strconv.Itoa(target), Key: key, Fast: true, Timeout: 5 * time.Second,
		Warn: func(string) {}}
	_, dec := ServeForTest(t, cfg, "")
	cfg.Encrypt, cfg.Target = true, dec.Spec
	_, enc := ServeForTest(t, cfg, "")
	_, ps, _ := net.SplitHostPort(spipedtest.DialAddr(enc.Spec))
	port, _ := strconv.Atoi(ps)
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	buf := make([]byte, 1)
	ping := func(i int) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
		buf[0] = byte(i)
		if _, err := unix.Write(fd, buf); err != nil {
			t.Fatal(err)
		}
		if n, err := unix.Read(fd, buf); n != 1 || err != nil || buf[0] != byte(i) {
			t.Fatalf("connection %d: read %d bytes (%#x), %v", i, n, buf[0], err)
		}
	}
	for i := range 200 { // warm: kept connections, pools, the loops' tables
		ping(i)
	}
	const n = 1000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		ping(i)
	}
	runtime.ReadMemStats(&after)
	per := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.3f heap allocations per connection", per)
	if per > 0.02 {
		t.Fatalf("%.2f heap allocations per connection (%d bytes), want none", per, (after.TotalAlloc-before.TotalAlloc)/n)
	}
}

// rawEchoOnce listens on a loopback port and, one connection at a time,
// echoes one byte and reads to the end before closing: with raw system
// calls and one buffer, so it allocates nothing.
func rawEchoOnce(t *testing.T) int {
	lfd, sa := loopbackListener(t, 0)
	t.Cleanup(func() { unix.Shutdown(lfd, unix.SHUT_RDWR); unix.Close(lfd) })
	go func() {
		buf := make([]byte, 64)
		for {
			fd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
			if e != 0 {
				return
			}
			if n, _ := unix.Read(int(fd), buf[:1]); n == 1 {
				unix.Write(int(fd), buf[:1])
				for {
					if n, _ := unix.Read(int(fd), buf); n <= 0 {
						break
					}
				}
			}
			unix.Close(int(fd))
		}
	}()
	return sa.Port
}

// TestEarlyAllocs checks that bytes a handshake read past its message
// are kept in storage the loop gives back and hands out again.
func TestEarlyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates; make test runs this without -race")
	}
	r := newPipeRig(t)
	p := &r.c.fwd
	read := make([]byte, hsRead-1)
	for i := range read {
		read[i] = byte(i)
	}
	allocs := testing.AllocsPerRun(100, func() {
		p.keepEarly(read)
		if len(p.early) != len(read) || p.early[len(read)-1] != read[len(read)-1] {
			t.Fatalf("kept %d bytes, want %d", len(p.early), len(read))
		}
		p.dropEarly()
	})
	if allocs != 0 || p.early != nil || len(r.l.earlies) != 1 {
		t.Fatalf("%v allocations per early read; %d bytes still early, %d stores kept (want 0, 0, 1)", allocs, len(p.early), len(r.l.earlies))
	}
}
