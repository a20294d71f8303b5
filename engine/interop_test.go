package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// Interoperability with the reference spiped 1.6.2: our engine plays one
// end of the tunnel (in process, Listen+Serve) and /usr/bin/spiped the
// other, in both arrangements, over TCP, IPv6 and Unix sockets.

// side describes one daemon of a tunnel.
type side struct {
	ref       bool // the reference binary, else our engine
	fast      bool // -f
	requireFS bool // -g
	key       string
}

// tunnel is a running -e -> -d pair in front of a target service.
type tunnel struct {
	addr string // where plaintext clients connect ("unix" if it starts with /)
}

func (tn tunnel) dial(t testing.TB) net.Conn {
	t.Helper()
	network := "tcp"
	if strings.HasPrefix(tn.addr, "/") {
		network = "unix"
	}
	c, err := net.DialTimeout(network, tn.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// addrKind chooses how the daemons' sockets are addressed.
type addrKind int

const (
	tcp4 addrKind = iota
	tcp6
	unixSock
)

// freeAddr returns a spiped address spec and a dialable address.
func freeAddr(t testing.TB, kind addrKind, name string) (spec, dial string) {
	t.Helper()
	switch kind {
	case unixSock:
		p := filepath.Join(t.TempDir(), name+".sock")
		return p, p
	case tcp6:
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return fmt.Sprintf("[::1]:%d", port), fmt.Sprintf("[::1]:%d", port)
	default:
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return fmt.Sprintf("[127.0.0.1]:%d", port), fmt.Sprintf("127.0.0.1:%d", port)
	}
}

func writeKey(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startOurs runs our engine in process until the test ends, listening on
// a free address of the given kind; it returns the server, the address in
// spiped's syntax and a dialable form. A port taken between choosing and
// binding (tests and other processes share the machine) means another try.
func startOurs(t testing.TB, cfg Config, kind addrKind, tgt string) (*Server, string, string) {
	t.Helper()
	cfg.Target = tgt
	if cfg.Warn == nil {
		cfg.Warn = func(msg string) { t.Logf("warning: %s", msg) }
	}
	var srv *Server
	var spec, dial string
	var err error
	for range 5 {
		spec, dial = freeAddr(t, kind, "ours")
		s, rerr := Resolve(spec)
		if rerr != nil {
			t.Fatal(rerr)
		}
		cfg.Source = s[0]
		if srv, err = Listen(cfg); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Shutdown()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	return srv, spec, dial
}

// startRef runs the reference daemon in the foreground until the test
// ends, like startOurs.
func startRef(t testing.TB, encrypt bool, sd side, kind addrKind, tgt string) (string, string) {
	t.Helper()
	mode := "-d"
	if encrypt {
		mode = "-e"
	}
	key := writeKey(t, sd.key)
	for range 5 {
		spec, dial := freeAddr(t, kind, "ref")
		args := []string{"-F", mode, "-s", spec, "-t", tgt, "-k", key}
		if sd.fast {
			args = append(args, "-f")
		}
		if sd.requireFS {
			args = append(args, "-g")
		}
		if startRefAt(t, args, spec, dial) {
			return spec, dial
		}
	}
	t.Fatalf("reference %s did not start listening", mode)
	return "", ""
}

// startRefAt starts the reference with args and reports whether it came to
// listen on spec (false: it exited, e.g. the port was taken meanwhile).
func startRefAt(t testing.TB, args []string, spec, dial string) bool {
	t.Helper()
	cmd := exec.Command(spipedtest.ReferenceSpiped, args...)
	var stderr spipedtest.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if s := stderr.String(); s != "" {
			t.Logf("reference stderr: %s", s)
		}
	})
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return false
		default:
		}
		network := "tcp"
		if strings.HasPrefix(spec, "/") {
			network = "unix"
		}
		if c, err := net.Dial(network, dial); err == nil {
			c.Close()
			// Connected: to the reference unless it has just died on a
			// port someone else holds.
			select {
			case <-exited:
				return false
			case <-time.After(20 * time.Millisecond):
				return true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// startSide starts one daemon of the chain.
func startSide(t testing.TB, encrypt bool, sd side, kind addrKind, tgt string) (spec, dial string) {
	t.Helper()
	if sd.ref {
		return startRef(t, encrypt, sd, kind, tgt)
	}
	_, spec, dial = startOurs(t, Config{Encrypt: encrypt, Key: sha256.Sum256([]byte(sd.key)),
		Fast: sd.fast, RequireFS: sd.requireFS, Timeout: 5 * time.Second}, kind, tgt)
	return spec, dial
}

// startTunnel builds client -> e -> d -> target and returns the client's
// address.
func startTunnel(t testing.TB, e, d side, kind addrKind, target string) tunnel {
	t.Helper()
	if e.key == "" {
		e.key = "interop key\n"
	}
	if d.key == "" {
		d.key = "interop key\n"
	}
	dspec, _ := startSide(t, false, d, kind, target)
	_, edial := startSide(t, true, e, kind, dspec)
	return tunnel{addr: edial}
}

// service is a target: each connection runs handle.
func service(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return fmt.Sprintf("[127.0.0.1]:%d", ln.Addr().(*net.TCPAddr).Port)
}

// echo copies the connection back and half-closes at EOF.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

// replyAfterEOF reads to EOF, then sends "got N bytes" and closes.
func replyAfterEOF(c net.Conn) {
	n, _ := io.Copy(io.Discard, c)
	fmt.Fprintf(c, "got %d bytes", n)
}

func closeWriteConn(t testing.TB, c net.Conn) {
	t.Helper()
	type cw interface{ CloseWrite() error }
	if err := c.(cw).CloseWrite(); err != nil {
		t.Fatal(err)
	}
}

// bulkEcho pushes size bytes through an echo tunnel and checks the SHA-256
// of what comes back.
func bulkEcho(t *testing.T, tn tunnel, size int) {
	t.Helper()
	c := tn.dial(t)
	defer c.Close()
	data := spipedtest.RandomBytes(uint64(size), "", size)
	go func() {
		c.Write(data)
		closeWriteConn(t, c)
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		t.Fatalf("after %d bytes: %v", n, err)
	}
	want := sha256.Sum256(data)
	if n != int64(size) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("echoed %d bytes with SHA-256 %x; sent %d with %x", n, h.Sum(nil), size, want)
	}
}

// smallExchanges does n request/response round trips on one connection.
func smallExchanges(t *testing.T, tn tunnel, n int) {
	t.Helper()
	c := tn.dial(t)
	defer c.Close()
	buf := make([]byte, 64)
	for i := range n {
		msg := []byte(fmt.Sprintf("%-64d", i))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
		if !bytes.Equal(buf, msg) {
			t.Fatalf("exchange %d: got %q", i, buf)
		}
	}
}

// halfClose sends, half-closes, and expects the reply sent after the EOF.
func halfClose(t *testing.T, tn tunnel) {
	t.Helper()
	c := tn.dial(t)
	defer c.Close()
	c.Write(bytes.Repeat([]byte("x"), 5000))
	closeWriteConn(t, c)
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "got 5000 bytes" {
		t.Fatalf("reply after half-close: %q, %v", got, err)
	}
}

// refused expects the tunnel to drop a connection without a byte.
func refused(t *testing.T, tn tunnel) {
	t.Helper()
	c := tn.dial(t)
	defer c.Close()
	c.Write([]byte("must not arrive"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if len(got) != 0 {
		t.Fatalf("a refused tunnel returned %q", got)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection was not dropped")
	}
}

var arrangements = []struct {
	name string
	e, d side
}{
	{"ours-e/ref-d", side{}, side{ref: true}},
	{"ref-e/ours-d", side{ref: true}, side{}},
}

func TestInteropEcho(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			tn := startTunnel(t, a.e, a.d, tcp4, service(t, echo))
			smallExchanges(t, tn, 200)
			bulkEcho(t, tn, 6<<20)
		})
	}
}

func TestInteropFast(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			e, d := a.e, a.d
			e.fast, d.fast = true, true
			tn := startTunnel(t, e, d, tcp4, service(t, echo))
			smallExchanges(t, tn, 20)
			bulkEcho(t, tn, 1<<20)
		})
	}
}

func TestInteropHalfClose(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			halfClose(t, startTunnel(t, a.e, a.d, tcp4, service(t, replyAfterEOF)))
		})
	}
}

func TestInteropRequireFSRefusesFast(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			// -g on either end refuses a -f peer.
			for _, gOnE := range []bool{true, false} {
				e, d := a.e, a.d
				if gOnE {
					e.requireFS, d.fast = true, true
				} else {
					e.fast, d.requireFS = true, true
				}
				refused(t, startTunnel(t, e, d, tcp4, service(t, echo)))
			}
		})
	}
}

func TestInteropWrongKey(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			e, d := a.e, a.d
			e.key, d.key = "one key", "another key"
			refused(t, startTunnel(t, e, d, tcp4, service(t, echo)))
		})
	}
}

func TestInteropUnixSockets(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			tn := startTunnel(t, a.e, a.d, unixSock, service(t, echo))
			smallExchanges(t, tn, 20)
			bulkEcho(t, tn, 1<<20)
		})
	}
}

func TestInteropIPv6(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, a := range arrangements {
		t.Run(a.name, func(t *testing.T) {
			tn := startTunnel(t, a.e, a.d, tcp6, service(t, echo))
			smallExchanges(t, tn, 20)
			bulkEcho(t, tn, 1<<20)
		})
	}
}
