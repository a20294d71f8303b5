package cipher

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestOpenKeepsMACField checks that Open and OpenBatch leave the received
// MAC in place: the generic path's GCM keystream writes a tag over it, which
// it must put back rather than leave key-derived bytes in the caller's
// buffer.
func TestOpenKeepsMACField(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, p := range testPaths() {
		k := randKeys(rng)
		pnum := randPnum(rng)
		buf, _ := sealedBatch(rng, k, 3, pnum)
		want := bytes.Clone(buf)
		if _, err := p.opener(k, pnum).Open(buf[:PacketSize]); err != nil {
			t.Fatalf("%s: Open: %v", p.name, err)
		}
		if err := p.opener(k, pnum+1).OpenBatch(buf[PacketSize:], make([]uint16, 2)); err != nil {
			t.Fatalf("%s: OpenBatch: %v", p.name, err)
		}
		for i := 0; i < 3; i++ {
			got := buf[i*PacketSize+plainSize : (i+1)*PacketSize]
			if !bytes.Equal(got, want[i*PacketSize+plainSize:(i+1)*PacketSize]) {
				t.Fatalf("%s: packet %d: MAC field after open = %x, want the received MAC", p.name, i, got)
			}
		}
	}
}
