package cipher

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// padStates must give the chaining words crypto/sha256 reaches after the
// same ipad and opad blocks.
func TestPadStatesMatchStdlib(t *testing.T) {
	for i := range 20 {
		var key [32]byte
		if i > 0 {
			rand.Read(key[:])
		}
		inner, outer := padStates(&key)
		for _, c := range []struct {
			name string
			got  [8]uint32
			pad  byte
		}{{"inner", inner, 0x36}, {"outer", outer, 0x5c}} {
			var block [sha256.BlockSize]byte
			padKey(block[:], &key, c.pad)
			d := sha256.New()
			d.Write(block[:])
			st, err := d.(sha256Digest).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			for w := range c.got {
				if want := binary.BigEndian.Uint32(st[4+4*w:]); c.got[w] != want {
					t.Fatalf("key %x: %s word %d = %#x, crypto/sha256 has %#x", key, c.name, w, c.got[w], want)
				}
			}
		}
	}
}

func TestPadStatesNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race the digest escapes to the heap; make test checks this without -race")
	}
	var key [32]byte
	if n := testing.AllocsPerRun(100, func() { padStates(&key) }); n != 0 {
		t.Fatalf("padStates allocates %v times", n)
	}
}
