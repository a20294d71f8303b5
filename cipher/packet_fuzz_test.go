package cipher

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

var fuzzKeys = &DirectionKeys{Enc: [32]byte{0xe1}, Mac: [32]byte{0x4d}}

// FuzzOpen feeds arbitrary bytes and packet numbers to every Open path. It
// must never panic, every path must agree, and a packet may only be
// accepted if it is exactly what the standard library seals for the
// plaintext it decrypts to (a forgery would be a MAC break). Inputs of
// several packets also go through OpenBatch. Minimizing a new multi-packet
// input takes long; -fuzzminimizetime 3s keeps a run moving.
func FuzzOpen(f *testing.F) {
	for _, pnum := range []uint64{0, 1, math.MaxUint64} {
		pkt := stdSeal(fuzzKeys, pnum, []byte("hello"))
		f.Add(pkt, pnum)
		f.Add(pkt, pnum+1)
		f.Add(pkt[:PacketSize-1], pnum)
		bad := bytes.Clone(pkt)
		bad[PacketSize-1] ^= 0x80
		f.Add(bad, pnum)
		plain := make([]byte, plainSize)
		binary.BigEndian.PutUint32(plain[MaxMessage:], MaxMessage+1)
		f.Add(stdSealPlain(fuzzKeys, pnum, plain), pnum)
		if pnum < 2 {
			two := append(bytes.Clone(pkt), stdSeal(fuzzKeys, pnum+1, []byte("world"))...)
			f.Add(two, pnum)
			f.Add(append(two, stdSeal(fuzzKeys, pnum+2, []byte("!"))...), pnum)
		}
	}
	// The key schedules hold no per-packet state, so each path's is made
	// once; every input gets fresh Openers around them.
	paths := testPaths()
	ciphers := make([]packetCipher, len(paths))
	for i, p := range paths {
		ciphers[i] = p.new(fuzzKeys)
	}
	f.Fuzz(func(t *testing.T, pkt []byte, pnum uint64) {
		var first []byte
		for i, p := range paths {
			c := ciphers[i]
			buf := bytes.Clone(pkt)
			n, err := (&Opener{c: c, pnum: pnum}).Open(buf)
			if err != nil {
				if n != 0 {
					t.Fatalf("%s: Open failed with n = %d", p.name, n)
				}
				buf = nil
			} else {
				if n < 1 || n > MaxMessage {
					t.Fatalf("%s: Open accepted length %d", p.name, n)
				}
				if !bytes.Equal(stdSealPlain(fuzzKeys, pnum, buf[:plainSize]), pkt[:PacketSize]) {
					t.Fatalf("%s: Open accepted a packet that is not a genuine seal", p.name)
				}
				buf = buf[:n]
			}
			if i == 0 {
				first = buf
			} else if !bytes.Equal(buf, first) || (buf == nil) != (first == nil) {
				t.Fatalf("%s disagrees with %s", p.name, paths[0].name)
			}
			checkOpenBatch(t, p.name, c, pkt, pnum)
		}
	})
}

// checkOpenBatch opens the whole packets of pkt with OpenBatch and with
// consecutive Opens, which must agree.
func checkOpenBatch(t *testing.T, name string, c packetCipher, pkt []byte, pnum uint64) {
	n := len(pkt) / PacketSize
	batch := bytes.Clone(pkt)
	lens := make([]uint16, n)
	batchErr := (&Opener{c: c, pnum: pnum}).OpenBatch(batch, lens)
	one := bytes.Clone(pkt)
	o := &Opener{c: c, pnum: pnum}
	var oneErr error
	for i := 0; i < n; i++ {
		var m int
		if m, oneErr = o.Open(one[i*PacketSize:]); oneErr != nil {
			break
		}
		if batchErr == nil && (m != int(lens[i]) || !bytes.Equal(one[i*PacketSize:][:m], batch[i*PacketSize:][:m])) {
			t.Fatalf("%s: OpenBatch and Open differ on packet %d", name, i)
		}
	}
	if (batchErr == nil) != (oneErr == nil) {
		t.Fatalf("%s: OpenBatch error %v, Open error %v", name, batchErr, oneErr)
	}
}
