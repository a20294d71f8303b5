package engine

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// clientTarget starts a -d (ours or the reference) in front of handle and
// returns a ClientConfig aimed at it.
func clientTarget(t *testing.T, ref bool, key string, handle func(net.Conn)) ClientConfig {
	t.Helper()
	if ref {
		spipedtest.NeedReference(t)
	}
	spec, _ := startSide(t, false, side{ref: ref, key: "client key"}, tcp4, service(t, handle))
	addrs, err := Resolve(spec)
	if err != nil {
		t.Fatal(err)
	}
	return ClientConfig{Target: addrs, Key: sha256.Sum256([]byte(key)), Timeout: 5 * time.Second}
}

func TestRunClientEcho(t *testing.T) {
	for _, ref := range []bool{false, true} {
		t.Run(map[bool]string{false: "ours", true: "ref"}[ref], func(t *testing.T) {
			cfg := clientTarget(t, ref, "client key", spipedtest.EchoConn)
			data := spipedtest.RandomBytes(5, "", 3<<20+17)
			var out bytes.Buffer
			if err := RunClient(cfg, bytes.NewReader(data), &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("echoed %d bytes, differing from the %d sent", out.Len(), len(data))
			}
		})
	}
}

func TestRunClientHalfClose(t *testing.T) {
	for _, ref := range []bool{false, true} {
		t.Run(map[bool]string{false: "ours", true: "ref"}[ref], func(t *testing.T) {
			cfg := clientTarget(t, ref, "client key", replyAfterEOF)
			var out bytes.Buffer
			if err := RunClient(cfg, strings.NewReader(strings.Repeat("z", 3000)), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != "got 3000 bytes" {
				t.Fatalf("reply after EOF: %q", out.String())
			}
		})
	}
}

func TestRunClientErrors(t *testing.T) {
	// Nothing listens: Could not connect.
	spec := spipedtest.FreeSpec(t)
	addrs, _ := Resolve(spec)
	err := RunClient(ClientConfig{Target: addrs, Timeout: time.Second}, strings.NewReader(""), io.Discard)
	if !errors.Is(err, ErrConnect) || err.Error() != "Could not connect" {
		t.Fatalf("no listener: %v", err)
	}
	// Another key: Handshake failed.
	cfg := clientTarget(t, false, "not the key", spipedtest.EchoConn)
	err = RunClient(cfg, strings.NewReader("x"), io.Discard)
	if !errors.Is(err, ErrHandshake) || err.Error() != "Handshake failed" {
		t.Fatalf("wrong key: %v", err)
	}
	// -g against a -f server: Handshake failed.
	dspec, _ := startSide(t, false, side{fast: true, key: "k"}, tcp4, service(t, spipedtest.EchoConn))
	addrs, _ = Resolve(dspec)
	err = RunClient(ClientConfig{Target: addrs, Key: sha256.Sum256([]byte("k")), RequireFS: true,
		Timeout: 5 * time.Second}, strings.NewReader("x"), io.Discard)
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("-g client, -f server: %v", err)
	}
}

// A packet corrupted on the way from the server: Connection error.
func TestRunClientBadPacket(t *testing.T) {
	cfg := clientTarget(t, false, "client key", spipedtest.EchoConn)
	server := cfg.Target[0]
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", server.AddrPort.Port()))
		if err != nil {
			return
		}
		defer s.Close()
		go func() {
			io.Copy(s, c)
			s.Close()
		}()
		// The server's nonce and DH message pass; the first packet is hit.
		io.CopyN(c, s, 32+288)
		pkt := make([]byte, 1060)
		if _, err := io.ReadFull(s, pkt); err != nil {
			return
		}
		pkt[10] ^= 0x40
		c.Write(pkt)
		io.Copy(io.Discard, s)
	}()
	cfg.Target, _ = Resolve(fmt.Sprintf("[127.0.0.1]:%d", ln.Addr().(*net.TCPAddr).Port))
	r, w := io.Pipe()
	defer w.Close()
	go w.Write([]byte("echo me"))
	err = RunClient(cfg, r, io.Discard)
	if !errors.Is(err, ErrConn) || err.Error() != "Connection error" {
		t.Fatalf("corrupted packet: %v", err)
	}
}

func TestClientKeepsScope(t *testing.T) {
	addrs, err := Resolve("fe80::1%lo:80")
	if err != nil {
		t.Fatal(err)
	}
	sa, _, err := addrs[0].sockaddr()
	if err != nil {
		t.Fatal(err)
	}
	if s6, ok := sa.(*unix.SockaddrInet6); !ok || s6.ZoneId != 1 || s6.Port != 80 {
		t.Fatalf("spipe would dial %#v, want fe80::1 scope 1 (lo) port 80", sa)
	}
}

// -b with a Unix-socket target fails in spipe as it does in spiped (a Unix
// socket cannot be bound to an IP address): the same dial path.
func TestClientBindWithUnixTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "target.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	bind := IPAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0))
	cfg := ClientConfig{Target: []Addr{UnixAddr(path)}, Bind: &bind, Timeout: time.Second}
	if err := RunClient(cfg, strings.NewReader("x"), io.Discard); err != ErrConnect {
		t.Errorf("spipe -b with a Unix target: %v, want %v", err, ErrConnect)
	}

	// spiped -e with the same -b and target drops the connection.
	_, _, dial := startOurs(t, Config{Encrypt: true, Bind: &bind, Timeout: time.Second}, tcp4, path)
	c, err := net.Dial("tcp", dial)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil || n != 0 {
		t.Errorf("spiped -e -b with a Unix target: read %d, %v; want the connection dropped", n, err)
	}
}
