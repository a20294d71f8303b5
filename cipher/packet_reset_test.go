package cipher

import (
	"bytes"
	"testing"
)

// sealOne seals the message m as the next packet of s.
func sealOne(s *Sealer, m string) []byte {
	pkt := make([]byte, PacketSize)
	copy(pkt, m)
	s.Seal(pkt, len(m))
	return pkt
}

// Every path's rekey leaves it exactly as a cipher made for the new keys,
// whatever it held before: a reused connection seals and opens as a new one.
func TestRekeyIsNew(t *testing.T) {
	a := &DirectionKeys{Enc: [32]byte{1}, Mac: [32]byte{2}}
	b := &DirectionKeys{Enc: [32]byte{3}, Mac: [32]byte{4}}
	for _, p := range testPaths() {
		t.Run(p.name, func(t *testing.T) {
			for _, wiped := range []bool{false, true} {
				old := p.new(a)
				sealOne(&Sealer{c: old}, "before") // the old keys in use
				if wiped {
					old.wipe()
				}
				old.rekey(b)
				got := sealOne(&Sealer{c: old, pnum: 7}, "after")
				want := sealOne(p.sealer(b, 7), "after")
				if !bytes.Equal(got, want) {
					t.Fatalf("wiped %v: rekeyed cipher seals differently from a new one", wiped)
				}
				if !old.open(want, 7) {
					t.Fatalf("wiped %v: rekeyed cipher does not open a new one's packet", wiped)
				}
			}
		})
	}
}

// Reset starts a Sealer and an Opener over: packet number 0, the new keys,
// a failure forgotten. A wiped Sealer refuses to seal until then.
func TestResetStartsOver(t *testing.T) {
	a := &DirectionKeys{Enc: [32]byte{5}, Mac: [32]byte{6}}
	b := &DirectionKeys{Enc: [32]byte{7}, Mac: [32]byte{8}}
	s, o := NewSealer(a), NewOpener(a)
	for i := 0; i < 3; i++ {
		if _, err := o.Open(sealOne(s, "x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.Open(make([]byte, PacketSize)); err == nil {
		t.Fatal("a zero packet opened")
	}
	s.Wipe()
	o.Wipe()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a wiped Sealer sealed")
			}
		}()
		sealOne(s, "x")
	}()
	s.Reset(b)
	o.Reset(b)
	pkt := sealOne(s, "hello")
	if want := sealOne(NewSealer(b), "hello"); !bytes.Equal(pkt, want) {
		t.Fatal("a reset Sealer seals differently from a new one")
	}
	if n, err := o.Open(pkt); err != nil || string(pkt[:n]) != "hello" {
		t.Fatalf("a reset Opener: %q, %v", pkt[:n], err)
	}
	// Reset without a wipe, too.
	s.Reset(a)
	if got, want := sealOne(s, "again"), sealOne(NewSealer(a), "again"); !bytes.Equal(got, want) {
		t.Fatal("a Sealer reset in use seals differently from a new one")
	}
}

// On the assembly paths a reset reuses the cipher's memory: a loop that
// reuses ended connections makes no garbage for their keys.
func TestResetAllocs(t *testing.T) {
	if Path() == "generic" {
		t.Skip("the portable path allocates its crypto/aes and crypto/sha256 state")
	}
	if raceEnabled {
		t.Skip("under -race the pads' digests escape to the heap; make test checks this without -race")
	}
	k := &DirectionKeys{Enc: [32]byte{9}, Mac: [32]byte{10}}
	s, o := NewSealer(k), NewOpener(k)
	if n := testing.AllocsPerRun(100, func() {
		s.Wipe()
		s.Reset(k)
		o.Wipe()
		o.Reset(k)
	}); n != 0 {
		t.Fatalf("%v allocations per wipe and reset", n)
	}
}
