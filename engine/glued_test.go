package engine_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// A peer may send its handshake messages and its first packets in one
// segment. The daemons read the handshake in large reads (a short read
// means the socket is empty, so no read is spent on EAGAIN), keep what
// lies past the message in hand, and must give every byte of it to the
// next message or to the data phase.

// TestGluedDecrypt: the client reads the -d's nonce first, then sends its
// nonce and its DH message in one write; the -d reads both at once.
func TestGluedDecrypt(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			echo := spipedtest.NewEcho(t, "127.0.0.1:0")
			keyPath, key := spipedtest.KeyFile(t, []byte("glued key"))
			d := im.start(t, spipedtest.Opts{Target: echo.Spec(), KeyPath: keyPath, Key: key, MaxConns: -1})
			c, err := net.Dial("tcp4", d.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			p := spipedtest.NewPeer(c, true, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, t.Name())})
			p.NonceS = make([]byte, 32)
			if _, err := io.ReadFull(c, p.NonceS); err != nil {
				t.Fatalf("reading the daemon's nonce: %v", err)
			}
			p.NonceC = spipedtest.RandomBytes(seed, t.Name()+" nonce", 32)
			dk1 := spipedtest.PBKDF2SHA256(key, spipedtest.Cat(p.NonceC, p.NonceS), 64)
			p.DHMACC, p.DHMACS = dk1[:32], dk1[32:]
			if _, err := c.Write(spipedtest.Cat(p.NonceC, spipedtest.DHMessage(p.GenY(false), p.OurMACKey()))); err != nil {
				t.Fatal(err)
			}
			if err := p.ReadDH(); err != nil {
				t.Fatal(err)
			}
			p.KeysFrom(p.SharedSecret(p.PeerY))
			msg := spipedtest.RandomBytes(seed, t.Name()+" data", 3000)
			if err := p.SendData(msg); err != nil {
				t.Fatal(err)
			}
			spipedtest.CloseWrite(c)
			back, err := p.ReadData()
			if err != nil || !bytes.Equal(back, msg) {
				t.Errorf("echoed %d bytes (intact %v), end %v; want the %d sent and a clean EOF",
					len(back), bytes.Equal(back, msg), err, len(msg))
			}
		})
	}
}

// TestGluedEncrypt: the server sends its DH message and its first two
// packets in one write (a target that speaks first); the -e must deliver
// all of it to its client.
func TestGluedEncrypt(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			hs := spipedtest.NewHostileServer(t)
			keyPath, key := spipedtest.KeyFile(t, []byte("glued key"))
			e := im.start(t, spipedtest.Opts{Encrypt: true, Target: hs.Spec(), KeyPath: keyPath, Key: key, MaxConns: -1})
			plain, err := net.Dial("tcp4", e.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			plain.SetDeadline(time.Now().Add(10 * time.Second))
			sc := hs.Next(t)
			defer sc.Close()
			sc.SetDeadline(time.Now().Add(10 * time.Second))
			p := spipedtest.NewPeer(sc, false, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, t.Name())})
			if err := p.Nonces(); err != nil {
				t.Fatal(err)
			}
			if err := p.ReadDH(); err != nil {
				t.Fatal(err)
			}
			y := p.GenY(false)
			p.KeysFrom(p.SharedSecret(p.PeerY))
			banner := spipedtest.RandomBytes(seed, t.Name()+" banner", 1500)
			glued := spipedtest.Cat(spipedtest.DHMessage(y, p.OurMACKey()), p.SealNext(banner[:spipedtest.MaxMessage]), p.SealNext(banner[spipedtest.MaxMessage:]))
			if _, err := sc.Write(glued); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(banner))
			if _, err := io.ReadFull(plain, got); err != nil || !bytes.Equal(got, banner) {
				t.Fatalf("the client got %d bytes (intact %v), %v; want the %d-byte banner",
					len(got), bytes.Equal(got, banner), err, len(banner))
			}
			if _, err := plain.Write([]byte("reply")); err != nil {
				t.Fatal(err)
			}
			spipedtest.CloseWrite(plain)
			back, err := p.ReadData()
			if err != nil || string(back) != "reply" {
				t.Errorf("the server got %q, %v; want \"reply\" and a clean EOF", back, err)
			}
		})
	}
}
