//go:build linux

package engine

import (
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// faultySends is a poller whose sends of n bytes are reported as fault
// instead of their real outcome. The kernel did send the bytes whole, so
// the peer cannot tell: what follows is the daemon's handling of the
// outcome alone.
type faultySends struct {
	poller
	n, fault int32
	hits     atomic.Int32
}

func (f *faultySends) wait(evs []event, timeoutMs int) (int, error) {
	n, err := f.poller.wait(evs, timeoutMs)
	for i := range evs[:n] {
		if evs[i].flags&evSent != 0 && evs[i].res == f.n {
			evs[i].res = f.fault
			f.hits.Add(1)
		}
	}
	return n, err
}

// -d hands its last handshake message to the poller and moves on at once.
// If the send then reports less than the whole message (a partial send,
// or an error), the client can never have had it whole, so the connection
// is dropped: nothing the client sends reaches the target, and the end is
// a failed handshake. Neither outcome can be caused from outside (the
// kernel takes 288 bytes whole, and a reset is seen first by the reading
// pipe), so the poller's report is rewritten.
func TestLastHandshakeMessageSendFails(t *testing.T) {
	key := sha256.Sum256([]byte("behaviour key"))
	for _, tc := range []struct {
		name  string
		fault int32
	}{
		{"short", 287},
		{"error", -int32(unix.EPIPE)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached := make(chan []byte, 4)
			target := service(t, func(c net.Conn) {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				b, _ := io.ReadAll(c)
				reached <- b
			})
			var ends endLog
			spec := spipedtest.FreeSpec(t)
			src, err := Resolve(spec)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := Listen(Config{Key: key, Fast: true, Loops: 1, Source: src[0], Target: target,
				OnEnd: ends.add, Warn: func(msg string) { t.Logf("warning: %s", msg) }})
			if err != nil {
				t.Fatal(err)
			}
			if name := srv.loops[0].p.name(); name != "io_uring" {
				srv.loops[0].p.close()
				if os.Getenv("SPIPED_POLLER") != "epoll" && os.Getenv("CI") != "" {
					t.Fatalf("poller %s under CI: io_uring was refused", name)
				}
				t.Skipf("poller %s writes the last message itself: no outcome to rewrite", name)
			}
			f := &faultySends{poller: srv.loops[0].p, n: 288, fault: tc.fault}
			srv.loops[0].p = f
			d := serveListening(t, srv, spec)

			c := dialTCP(t, d.Addr())
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			send := fastClientHandshake(t, c, &key)
			pkt := make([]byte, cipher.PacketSize)
			copy(pkt, "must not reach the target")
			send.Seal(pkt, len("must not reach the target"))
			c.Write(pkt)
			n, err := c.Read(make([]byte, 1))
			if n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("client read %d bytes, %v; want the connection dropped", n, err)
			}
			ends.wait(t, "d", CauseHandshakeFailed)
			if hits := f.hits.Load(); hits != 1 {
				t.Fatalf("%d sends of 288 bytes rewritten, want 1 (the server's DH message)", hits)
			}
			select {
			case b := <-reached:
				if len(b) > 0 {
					t.Fatalf("the target got %q", b)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the target's connection was not closed within 5 s")
			}
		})
	}
}

// fastClientHandshake runs a -f client's handshake on c to its end and returns
// the sealer of what the client sends.
func fastClientHandshake(t *testing.T, c net.Conn, key *[32]byte) *cipher.Sealer {
	t.Helper()
	hs, err := cipher.NewHandshake(cipher.HandshakeConfig{Key: key, Role: cipher.Client, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Wipe()
	for {
		switch hs.Step() {
		case cipher.StepWrite:
			n, err := c.Write(hs.Output())
			if err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			hs.Wrote(n)
		case cipher.StepRead:
			buf := make([]byte, hs.Need())
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			if _, err := hs.Input(buf); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
		case cipher.StepDone:
			send, _ := hs.Keys()
			return cipher.NewSealer(send)
		default:
			t.Fatalf("client handshake at step %v", hs.Step())
		}
	}
}
