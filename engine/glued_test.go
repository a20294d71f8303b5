package engine_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// A peer may send its handshake messages and its first packets in one
// segment. The daemons read the handshake in large reads (a short read
// means the socket is empty, so no read is spent on EAGAIN), keep what
// lies past the message in hand, and must give every byte of it to the
// next message or to the data phase.

// TestGluedDecrypt: the client reads the -d's nonce first, then sends its
// nonce and its DH message in one write; the -d reads both at once.
func TestGluedDecrypt(t *testing.T) {
	seed := testSeed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			echo := newEcho(t, "127.0.0.1:0")
			keyPath, key := keyFile(t, []byte("glued key"))
			d := im.start(t, daemonOpts{target: echo.spec(), keyPath: keyPath, key: key, maxConns: -1})
			c, err := net.Dial("tcp4", d.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			p := newPeer(c, true, key, &lockedRand{r: newRand(seed, t.Name())})
			p.nonceS = make([]byte, 32)
			if _, err := io.ReadFull(c, p.nonceS); err != nil {
				t.Fatalf("reading the daemon's nonce: %v", err)
			}
			p.nonceC = randBytes(newRand(seed, t.Name()+" nonce"), 32)
			dk1 := pbkdf2SHA256(key, cat(p.nonceC, p.nonceS), 64)
			p.dhmacC, p.dhmacS = dk1[:32], dk1[32:]
			if _, err := c.Write(cat(p.nonceC, dhMessage(p.genY(false), p.ourMACKey()))); err != nil {
				t.Fatal(err)
			}
			if err := p.readDH(); err != nil {
				t.Fatal(err)
			}
			p.keysFrom(p.sharedSecret(p.peerY))
			msg := randBytes(newRand(seed, t.Name()+" data"), 3000)
			if err := p.sendData(msg); err != nil {
				t.Fatal(err)
			}
			closeWrite(c)
			back, err := p.readData()
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
	seed := testSeed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			hs := newHostileServer(t)
			keyPath, key := keyFile(t, []byte("glued key"))
			e := im.start(t, daemonOpts{encrypt: true, target: hs.spec(), keyPath: keyPath, key: key, maxConns: -1})
			plain, err := net.Dial("tcp4", e.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			plain.SetDeadline(time.Now().Add(10 * time.Second))
			sc := hs.next(t)
			defer sc.Close()
			sc.SetDeadline(time.Now().Add(10 * time.Second))
			p := newPeer(sc, false, key, &lockedRand{r: newRand(seed, t.Name())})
			if err := p.nonces(); err != nil {
				t.Fatal(err)
			}
			if err := p.readDH(); err != nil {
				t.Fatal(err)
			}
			y := p.genY(false)
			p.keysFrom(p.sharedSecret(p.peerY))
			banner := randBytes(newRand(seed, t.Name()+" banner"), 1500)
			if _, err := sc.Write(cat(dhMessage(y, p.ourMACKey()), p.sealNext(banner[:maxMsg]), p.sealNext(banner[maxMsg:]))); err != nil {
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
			closeWrite(plain)
			back, err := p.readData()
			if err != nil || string(back) != "reply" {
				t.Errorf("the server got %q, %v; want \"reply\" and a clean EOF", back, err)
			}
		})
	}
}
