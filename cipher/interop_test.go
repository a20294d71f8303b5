package cipher

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// These tests speak to the reference spiped 1.6 over loopback with this
// package alone: our handshake and packets against its -d (we are the
// client) and its -e (we are the server).

// writeKey writes a key file and returns its path and K.
func writeKey(t *testing.T) (string, [32]byte) {
	t.Helper()
	path := spipedtest.WriteKeyFile(t, t.TempDir(), "key", string(spipedtest.RandomBytes(1, t.Name(), 40)))
	k, err := ReadKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return path, k
}

// startReference runs the reference spiped with args on a fresh loopback
// port and returns that port's address once it listens.
func startReference(t *testing.T, args ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
	spipedtest.StartReferenceSpiped(t, "tcp", addr, args...)
	return addr
}

// dial connects to addr for at most 10 seconds of talk; the connection is
// closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn
}

// listen starts a loopback listener closed at the end of the test.
func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// startEcho serves an echo service on a fresh port and returns its address.
func startEcho(t *testing.T) string {
	return spipedtest.ServeConns(t, "tcp", "127.0.0.1:0", spipedtest.Echo)
}

// runHandshake drives h over a blocking connection, reading exactly what
// it needs so that no data-phase byte is taken.
func runHandshake(conn net.Conn, h *Handshake) error {
	var buf [dhMsgLen]byte
	for {
		switch h.Step() {
		case StepWrite:
			n, err := conn.Write(h.Output())
			h.Wrote(n)
			if err != nil {
				return err
			}
		case StepRead:
			n, err := io.ReadFull(conn, buf[:h.Need()])
			if err != nil {
				return err
			}
			if _, err := h.Input(buf[:n]); err != nil {
				return err
			}
		case StepCompute:
			h.Compute()
		case StepDone:
			return nil
		case StepFailed:
			return errors.New("handshake failed")
		}
	}
}

// packetConn is the data phase over a blocking connection.
type packetConn struct {
	conn net.Conn
	s    *Sealer
	o    *Opener
}

// newPacketConn starts the data phase with h's keys and wipes h.
func newPacketConn(conn net.Conn, h *Handshake) *packetConn {
	send, recv := h.Keys()
	pc := &packetConn{conn: conn, s: NewSealer(send), o: NewOpener(recv)}
	h.Wipe()
	return pc
}

// send seals msg as packets of at most MaxMessage bytes.
func (pc *packetConn) send(msg []byte) error {
	pkt := make([]byte, PacketSize)
	for len(msg) > 0 {
		n := copy(pkt[:MaxMessage], msg)
		msg = msg[n:]
		pc.s.Seal(pkt, n)
		if _, err := pc.conn.Write(pkt); err != nil {
			return err
		}
	}
	return nil
}

// recv opens packets until it holds n bytes of data.
func (pc *packetConn) recv(n int) ([]byte, error) {
	var got []byte
	pkt := make([]byte, PacketSize)
	for len(got) < n {
		if _, err := io.ReadFull(pc.conn, pkt); err != nil {
			return got, err
		}
		m, err := pc.o.Open(pkt)
		if err != nil {
			return got, err
		}
		got = append(got, pkt[:m]...)
	}
	return got, nil
}

// interopMessages are the payloads sent through the reference.
func interopMessages() [][]byte {
	big := make([]byte, 5000)
	rand.Read(big)
	return [][]byte{[]byte("hello"), {0}, bytes.Repeat([]byte{0xa5}, MaxMessage), big}
}

// interopCases pair our handshake options with the reference's flags,
// including the mixes the protocol allows.
var interopCases = []struct {
	name     string
	ours     HandshakeConfig
	refFlags []string
}{
	{"dh", HandshakeConfig{}, nil},
	{"dh-g", HandshakeConfig{RequireFS: true}, []string{"-g"}},
	{"-f", HandshakeConfig{Fast: true}, []string{"-f"}},
	{"ours -f, reference dh", HandshakeConfig{Fast: true}, nil},
	{"ours dh, reference -f", HandshakeConfig{}, []string{"-f"}},
}

// TestInteropClient: we are spiped -e; the reference -d forwards our data
// to an echo service and seals the echo back.
func TestInteropClient(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, c := range interopCases {
		t.Run(c.name, func(t *testing.T) {
			keyPath, key := writeKey(t)
			conn := dial(t, startReference(t, append([]string{"-d", "-t", startEcho(t), "-k", keyPath}, c.refFlags...)...))
			cfg := c.ours
			cfg.Key, cfg.Role = &key, Client
			h, err := NewHandshake(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := runHandshake(conn, h); err != nil {
				t.Fatalf("handshake with the reference: %v", err)
			}
			pc := newPacketConn(conn, h)
			for _, msg := range interopMessages() {
				if err := pc.send(msg); err != nil {
					t.Fatal(err)
				}
				got, err := pc.recv(len(msg))
				if err != nil {
					t.Fatalf("echo of %d bytes: %v", len(msg), err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("echo of %d bytes came back as %d different bytes", len(msg), len(got))
				}
			}
		})
	}
}

// TestInteropServer: we are spiped -d behind the reference -e; a plain
// client talks through it to us.
func TestInteropServer(t *testing.T) {
	spipedtest.NeedReference(t)
	for _, c := range interopCases {
		t.Run(c.name, func(t *testing.T) {
			keyPath, key := writeKey(t)
			ours := listen(t)
			addr := startReference(t, append([]string{"-e", "-t", ours.Addr().String(), "-k", keyPath}, c.refFlags...)...)

			// Our side: handshake, then answer each message with its reverse.
			msgs := interopMessages()
			done := make(chan error, 1)
			go func() {
				done <- serveReversed(ours, key, c.ours, msgs)
			}()

			plain := dial(t, addr)
			for _, msg := range msgs {
				if _, err := plain.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(plain, got); err != nil {
					t.Fatalf("reply to %d bytes: %v", len(msg), err)
				}
				if !bytes.Equal(got, reversed(msg)) {
					t.Fatalf("reply to %d bytes is wrong", len(msg))
				}
			}
			plain.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, c := range b {
		r[len(b)-1-i] = c
	}
	return r
}

// serveReversed accepts the reference's connections and answers each
// expected message with its reverse. The reference also opens a connection
// for our readiness probe, which may or may not complete its handshake, so
// every connection is served and the first one that carries data decides.
func serveReversed(l net.Listener, key [32]byte, cfg HandshakeConfig, msgs [][]byte) error {
	cfg.Key, cfg.Role = &key, Server
	result := make(chan error, 1)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				pc, err := serverHandshake(conn, cfg)
				if err != nil {
					return
				}
				if started, err := answerReversed(pc, msgs); started {
					result <- err
				}
			}()
		}
	}()
	return <-result
}

func serverHandshake(conn net.Conn, cfg HandshakeConfig) (*packetConn, error) {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	h, err := NewHandshake(cfg)
	if err != nil {
		return nil, err
	}
	if err := runHandshake(conn, h); err != nil {
		return nil, err
	}
	return newPacketConn(conn, h), nil
}

// answerReversed checks that msgs arrive in order and answers each with its
// reverse; started says whether any data arrived at all.
func answerReversed(pc *packetConn, msgs [][]byte) (started bool, err error) {
	for _, msg := range msgs {
		got, err := pc.recv(len(msg))
		started = started || len(got) > 0
		if err != nil {
			return started, fmt.Errorf("reading %d bytes: %w", len(msg), err)
		}
		if !bytes.Equal(got, msg) {
			return true, fmt.Errorf("received %d bytes, not the %d sent", len(got), len(msg))
		}
		if err := pc.send(reversed(msg)); err != nil {
			return true, err
		}
	}
	return true, nil
}

// TestInteropRefusals: a -g reference drops our -f handshake where the
// protocol says, and our -g side drops a -f reference.
func TestInteropRefusals(t *testing.T) {
	spipedtest.NeedReference(t)
	keyPath, key := writeKey(t)

	// Reference -d -g against our -f client: it reads our y = 1 and closes
	// without sending y_S.
	conn := dial(t, startReference(t, "-d", "-g", "-t", startEcho(t), "-k", keyPath))
	h, _ := NewHandshake(HandshakeConfig{Key: &key, Role: Client, Fast: true})
	err := runHandshake(conn, h)
	if !errors.Is(err, io.EOF) || h.Step() != StepRead || h.Need() != dhMsgLen {
		t.Fatalf("-g reference server vs our -f client: %v, step %v, need %d", err, h.Step(), h.Need())
	}

	// Reference -d -f against our -g client: we refuse its y_S = 1.
	conn2 := dial(t, startReference(t, "-d", "-f", "-t", startEcho(t), "-k", keyPath))
	h, _ = NewHandshake(HandshakeConfig{Key: &key, Role: Client, RequireFS: true})
	if err := runHandshake(conn2, h); !errors.Is(err, ErrNoForwardSecrecy) {
		t.Fatalf("our -g client vs the -f reference: %v", err)
	}

	// A wrong key: the reference drops us after our MAC.
	conn3 := dial(t, startReference(t, "-d", "-t", startEcho(t), "-k", keyPath))
	wrong := key
	wrong[0] ^= 1
	h, _ = NewHandshake(HandshakeConfig{Key: &wrong, Role: Client})
	if err := runHandshake(conn3, h); !errors.Is(err, io.EOF) {
		t.Fatalf("wrong key: %v", err)
	}
}
