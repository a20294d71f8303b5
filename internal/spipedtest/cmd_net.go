package spipedtest

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// WaitUntil polls cond every 10 ms until it holds; after 5 seconds it fails
// t, saying it was waiting for what.
func WaitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Accepting reports whether something accepts connections at addr: the
// readiness rule for a daemon started without a notify socket.
func Accepting(network, addr string) bool {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// handedOut is every port FreeTCPPort has returned in this process.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreeTCPPort returns a port on 127.0.0.1 that was free a moment ago and
// that no earlier call in this process returned. Once a probe's listener
// has closed, the kernel may give the same port to the next probe (about 7
// in 100 do, in a row of a thousand), and a test that asks for a daemon's
// port and its metrics port in turn would get one port for both.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = make(map[int]bool)
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no loopback port in 100 probes that was not handed out before")
	return 0
}

// WriteKeyFile writes content to dir/name, readable by its owner only, and
// returns the path.
func WriteKeyFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ServeConns listens on addr ("127.0.0.1:0" for a fresh port, or a Unix
// path) and runs handle on each connection, closing it afterwards. It
// returns the address it listens on; the test's cleanup closes the
// listener and every connection and waits for the handlers.
func ServeConns(t testing.TB, network, addr string, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				handle(c)
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			})
		}
	})
	return l.Addr().String()
}

// Echo sends everything c reads back, then half-closes it: the target the
// command tests tunnel to.
func Echo(c net.Conn) {
	// Not io.Copy(c, c): between TCP sockets it splices through pooled
	// pipes that outlive the connection (see EchoConn).
	io.CopyBuffer(c, struct{ io.Reader }{c}, make([]byte, 32<<10))
	if hc, ok := c.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
	}
}

// StartReferenceSpiped runs the reference spiped in the foreground (-F)
// with source as -s and the other args, waits until it accepts
// connections there, and stops it when the test ends, logging its output
// if the test failed. Where the reference is missing it skips t (see
// NeedReference).
func StartReferenceSpiped(t testing.TB, network, source string, args ...string) {
	t.Helper()
	NeedReference(t)
	p := StartExec(t, exec.Command(ReferenceSpiped, append([]string{"-F", "-s", source}, args...)...))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reference spiped %q output: %q", args, p.Output())
		}
	})
	WaitUntil(t, "the reference spiped to listen on "+source, func() bool { return Accepting(network, source) })
}
