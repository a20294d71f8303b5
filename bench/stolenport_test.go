package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

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
	keyPath := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyPath, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
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
