//go:build amd64 && !purego

package cipher

import (
	"bytes"
	"math/rand/v2"
	"syscall"
	"testing"
)

// TestAVX512ReadsOnlyTheBatch puts batches of 1..16 packets right before
// an inaccessible page: the masked loads of a partial 16-lane group must
// not touch the packets the mask leaves out.
func TestAVX512ReadsOnlyTheBatch(t *testing.T) {
	needAVX512(t)
	page := syscall.Getpagesize()
	size := (16*PacketSize + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(51, 52))
	k := randKeys(rng)
	for n := 1; n <= 16; n++ {
		sealed, msgs := sealedBatch(rng, k, n, 7)
		buf := mem[size-n*PacketSize : size]
		copy(buf, sealed)
		lens := make([]uint16, n)
		if err := (&Opener{c: mbAllPath(k), pnum: 7}).OpenBatch(buf, lens); err != nil {
			t.Fatalf("OpenBatch of %d: %v", n, err)
		}
		for i, m := range msgs {
			if !bytes.Equal(buf[i*PacketSize:][:lens[i]], m) {
				t.Fatalf("OpenBatch of %d: message %d differs", n, i)
			}
		}
		for i, m := range msgs {
			copy(buf[i*PacketSize:], m)
			frame(buf[i*PacketSize:], len(m))
		}
		mbAllPath(k).seal(buf, n, 7)
		if !bytes.Equal(buf, sealed) {
			t.Fatalf("seal of %d differs", n)
		}
	}
}
