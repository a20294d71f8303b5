package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// The tunnel rig of the in-package tests (client -> -e -> -d -> target,
// each daemon ours in process or the reference), and the interoperability
// tests with the reference spiped 1.6.2: our engine plays one end of the
// tunnel and /usr/bin/spiped the other, in both arrangements, over TCP,
// IPv6 and Unix sockets.

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
	h := spipedtest.NewDigest()
	if n, err := io.Copy(h, c); err != nil {
		t.Fatalf("after %d bytes: %v", n, err)
	}
	if err := h.Check(data); err != nil {
		t.Fatalf("echo: %v", err)
	}
}

// exchanges does n request/response round trips on one connection, then
// pushes size bytes through in bulk.
func exchanges(n, size int) func(*testing.T, tunnel) {
	return func(t *testing.T, tn tunnel) {
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
		bulkEcho(t, tn, size)
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

// TestInterop runs each case in both arrangements (ours -e with the
// reference -d, and the other way round). The subtests run in parallel:
// none counts this process's descriptors.
func TestInterop(t *testing.T) {
	spipedtest.NeedReference(t)
	arrangements := []struct {
		name string
		e, d side
	}{
		{"ours-e/ref-d", side{}, side{ref: true}},
		{"ref-e/ours-d", side{ref: true}, side{}},
	}
	cases := []struct {
		name   string
		kind   addrKind
		tweak  func(e, d *side)
		handle func(net.Conn)
		check  func(*testing.T, tunnel)
	}{
		{"echo", tcp4, nil, spipedtest.EchoConn, exchanges(200, 6<<20)},
		{"fast", tcp4, func(e, d *side) { e.fast, d.fast = true, true }, spipedtest.EchoConn, exchanges(20, 1<<20)},
		{"half-close", tcp4, nil, replyAfterEOF, halfClose},
		// -g on either end refuses a -f peer.
		{"g-on-e-refuses-fast", tcp4, func(e, d *side) { e.requireFS, d.fast = true, true }, spipedtest.EchoConn, refused},
		{"g-on-d-refuses-fast", tcp4, func(e, d *side) { e.fast, d.requireFS = true, true }, spipedtest.EchoConn, refused},
		{"wrong-key", tcp4, func(e, d *side) { e.key, d.key = "one key", "another key" }, spipedtest.EchoConn, refused},
		{"unix-sockets", unixSock, nil, spipedtest.EchoConn, exchanges(20, 1<<20)},
		{"ipv6", tcp6, nil, spipedtest.EchoConn, exchanges(20, 1<<20)},
	}
	for _, a := range arrangements {
		for _, c := range cases {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				e, d := a.e, a.d
				if c.tweak != nil {
					c.tweak(&e, &d)
				}
				c.check(t, startTunnel(t, e, d, c.kind, service(t, c.handle)))
			})
		}
	}
}

// side describes one daemon of a tunnel.
type side struct {
	ref       bool // the reference binary, else our engine
	fast      bool // -f
	requireFS bool // -g
	key       string
}

// startSide starts one daemon of a chain; it returns its address in
// spiped's syntax and a dialable form.
func startSide(t testing.TB, encrypt bool, sd side, kind addrKind, tgt string) (spec, dial string) {
	t.Helper()
	if sd.key == "" {
		sd.key = "interop key\n"
	}
	if !sd.ref {
		_, spec, dial = startOurs(t, Config{Encrypt: encrypt, Key: sha256.Sum256([]byte(sd.key)),
			Fast: sd.fast, RequireFS: sd.requireFS, Timeout: 5 * time.Second}, kind, tgt)
		return spec, dial
	}
	path, key := spipedtest.KeyFile(t, []byte(sd.key))
	d := spipedtest.StartReference(t, spipedtest.Opts{Encrypt: encrypt, Target: tgt, KeyPath: path, Key: key,
		Fast: sd.fast, RequireFS: sd.requireFS, MaxConns: -1, Source: sourceFor(t, kind, "ref")})
	return d.Spec, d.Addr()
}

// tunnel is a running -e -> -d pair in front of a target service.
type tunnel struct {
	addr string // where plaintext clients connect ("unix" if it starts with /)
}

// startTunnel builds client -> e -> d -> target and returns the client's
// address.
func startTunnel(t testing.TB, e, d side, kind addrKind, target string) tunnel {
	t.Helper()
	dspec, _ := startSide(t, false, d, kind, target)
	_, edial := startSide(t, true, e, kind, dspec)
	return tunnel{addr: edial}
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

// service is a target running handle on each connection; it returns the
// target's address in spiped's syntax.
func service(t testing.TB, handle func(net.Conn)) string {
	return spipedtest.NewService(t, "", handle).Spec()
}

// replyAfterEOF reads to EOF, then sends "got N bytes" and closes.
func replyAfterEOF(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	n, _ := io.Copy(io.Discard, c)
	fmt.Fprintf(c, "got %d bytes", n)
}
