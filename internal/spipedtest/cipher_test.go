package spipedtest

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/cipher"
)

// past its end (the start of the data phase).
func driveHandshake(c net.Conn, h *cipher.Handshake) ([]byte, error) {
	buf := make([]byte, 4096)
	var pending []byte
	for {
		switch h.Step() {
		case cipher.StepWrite:
			n, err := c.Write(h.Output())
			if err != nil {
				return nil, err
			}
			h.Wrote(n)
		case cipher.StepRead:
			if len(pending) == 0 {
				n, err := c.Read(buf)
				if err != nil {
					return nil, err
				}
				pending = buf[:n]
			}
			k, err := h.Input(pending)
			if err != nil {
				return nil, err
			}
			pending = pending[k:]
		case cipher.StepCompute:
			h.Compute()
		case cipher.StepDone:
			return append([]byte(nil), pending...), nil
		default:
			return nil, errors.New("handshake failed")
		}
	}
}

// The hostile peer speaks the same protocol as package cipher: an honest
// handshake between them agrees on keys, and packets cross both ways.
func TestHarnessInteropsWithCipher(t *testing.T) {
	seed := Seed(t)
	_, key := KeyFile(t, []byte("interop"))
	var k32 [32]byte
	copy(k32[:], key)
	for _, fast := range []bool{false, true} {
		for _, role := range []cipher.Role{cipher.Client, cipher.Server} {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			accepted := make(chan net.Conn, 1)
			go func() { c, _ := ln.Accept(); accepted <- c }()
			a, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			b := <-accepted
			ln.Close()
			a.SetDeadline(time.Now().Add(10 * time.Second))
			b.SetDeadline(time.Now().Add(10 * time.Second))
			// The cipher side plays role on a; the peer the other role on b.
			p := NewPeer(b, role == cipher.Server, key, &LockedRand{R: NewRand(seed, "interop")})
			perr := make(chan error, 1)
			go func() { perr <- p.Handshake(fast) }()
			h, err := cipher.NewHandshake(cipher.HandshakeConfig{Key: &k32, Role: role, Fast: fast})
			if err != nil {
				t.Fatal(err)
			}
			rest, err := driveHandshake(a, h)
			if err != nil {
				t.Fatalf("fast=%v role=%v: cipher side: %v", fast, role, err)
			}
			if err := <-perr; err != nil {
				t.Fatalf("fast=%v role=%v: hostile peer: %v", fast, role, err)
			}
			send, recv := h.Keys()
			// cipher -> peer
			pkt := make([]byte, cipher.PacketSize)
			copy(pkt, "from cipher")
			cipher.NewSealer(send).Seal(pkt, len("from cipher"))
			if m, err := OpenPacket(p.Recv, 0, pkt); err != nil || string(m) != "from cipher" {
				t.Errorf("fast=%v role=%v: peer opened %q, %v", fast, role, m, err)
			}
			// peer -> cipher
			wire := p.SealNext([]byte("from peer"))
			if !bytes.Equal(SealPacket(DirKeys{recv.Enc[:], recv.Mac[:]}, 0, []byte("from peer")), wire) {
				t.Errorf("fast=%v role=%v: keys disagree", fast, role)
			}
			n, err := cipher.NewOpener(recv).Open(wire)
			if err != nil || string(wire[:n]) != "from peer" {
				t.Errorf("fast=%v role=%v: cipher opened %q, %v", fast, role, wire[:n], err)
			}
			if len(rest) != 0 {
				t.Errorf("unexpected %d bytes after the handshake", len(rest))
			}
			h.Wipe()
			a.Close()
			b.Close()
		}
	}
}
