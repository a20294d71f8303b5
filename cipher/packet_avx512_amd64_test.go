//go:build amd64 && !purego

package cipher

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// mbAllPath is the AVX-512 path with every batch, even one packet, in the
// 16-lane code, so that the masked partial groups are tested (and fuzzed
// through testPaths) as well as whole ones.
func mbAllPath(k *DirectionKeys) packetCipher {
	c := newAVX512Cipher(k)
	c.mbMin = 1
	return c
}

func needAVX512(t testing.TB) {
	t.Helper()
	if !hasAVX512 {
		t.Skip("CPU lacks AVX-512 or VAES")
	}
}

// mbPnums are packet numbers whose batches carry across 2^32 and wrap
// 2^64 inside a 16-lane group.
var mbPnums = []uint64{0, 1<<32 - 7, math.MaxUint64 - 5, math.MaxUint64}

// TestAVX512SealBatch seals batches of every size 1..64, at several buffer
// alignments and edge packet numbers, with both thresholds, and compares
// every byte with the standard library and the SHA-NI path; bytes past the
// batch must stay untouched. Then OpenBatch must return the messages.
func TestAVX512SealBatch(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(41, 42))
	paths := []testPath{{avx512Path, func(k *DirectionKeys) packetCipher { return newAVX512Cipher(k) }}, {"mb-all", mbAllPath}}
	for n := 1; n <= 64; n++ {
		k := randKeys(rng)
		pnum := mbPnums[n%len(mbPnums)]
		if n%5 == 0 {
			pnum = rng.Uint64()
		}
		msgs := make([][]byte, n)
		var want []byte
		for i := range msgs {
			msgs[i] = randBytes(rng, randLen(rng, rng.IntN(4)))
			want = append(want, stdSeal(k, pnum+uint64(i), msgs[i])...)
		}
		for _, p := range append(paths, testPath{asmPath, func(k *DirectionKeys) packetCipher { return newAsmCipher(k) }}) {
			off := n % 7
			mem := randBytes(rng, off+n*PacketSize+64)
			tail := bytes.Clone(mem[off+n*PacketSize:])
			buf := mem[off : off+n*PacketSize]
			for i, m := range msgs {
				copy(buf[i*PacketSize:], m)
				frame(buf[i*PacketSize:], len(m))
			}
			p.new(k).seal(buf, n, pnum)
			if !bytes.Equal(buf, want) {
				t.Fatalf("%s: seal of %d packets from %#x differs from the standard library", p.name, n, pnum)
			}
			if !bytes.Equal(mem[off+n*PacketSize:], tail) {
				t.Fatalf("%s: seal of %d packets wrote past the batch", p.name, n)
			}
			lens := make([]uint16, n)
			if err := p.opener(k, pnum).OpenBatch(buf, lens); err != nil {
				t.Fatalf("%s: OpenBatch of %d from %#x: %v", p.name, n, pnum, err)
			}
			for i, m := range msgs {
				if !bytes.Equal(buf[i*PacketSize:][:lens[i]], m) {
					t.Fatalf("%s: OpenBatch of %d: message %d differs", p.name, n, i)
				}
			}
			if !bytes.Equal(mem[off+n*PacketSize:], tail) {
				t.Fatalf("%s: OpenBatch of %d packets wrote past the batch", p.name, n)
			}
		}
	}
}

// TestAVX512OpenBatchRejects tampers with one packet at a time in every
// lane position of 16-lane groups (ciphertext, length field, MAC): the
// batch must fail and its buffer must hold no plaintext of the genuine
// packets around it.
func TestAVX512OpenBatchRejects(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(43, 44))
	for _, p := range []testPath{{avx512Path, func(k *DirectionKeys) packetCipher { return newAVX512Cipher(k) }}, {"mb-all", mbAllPath}} {
		for _, n := range []int{9, 16, 17, 40} {
			k := randKeys(rng)
			pnum := mbPnums[rng.IntN(len(mbPnums))]
			sealed, _ := sealedBatch(rng, k, n, pnum)
			if err := p.opener(k, pnum).OpenBatch(bytes.Clone(sealed), make([]uint16, n)); err != nil {
				t.Fatalf("%s: genuine batch of %d: %v", p.name, n, err)
			}
			for bad := 0; bad < n; bad++ {
				pos := bad*PacketSize + []int{rng.IntN(MaxMessage), MaxMessage + rng.IntN(4), plainSize + rng.IntN(macSize)}[bad%3]
				buf := bytes.Clone(sealed)
				buf[pos] ^= 1 << rng.IntN(8)
				if err := p.opener(k, pnum).OpenBatch(buf, make([]uint16, n)); err == nil {
					t.Fatalf("%s: batch of %d accepted packet %d tampered at %d", p.name, n, bad, pos)
				}
				if !bytes.Equal(buf, make([]byte, len(buf))) {
					t.Fatalf("%s: rejected batch of %d was not cleared", p.name, n)
				}
				if c := newAVX512Cipher(k); c.openBatch(buf, n, pnum) {
					t.Fatalf("%s: openBatch of %d accepted zeroes", p.name, n)
				}
			}
			// Packet numbers off by one in either direction fail too.
			for _, pn := range []uint64{pnum + 1, pnum - 1} {
				if err := p.opener(k, pn).OpenBatch(bytes.Clone(sealed), make([]uint16, n)); err == nil {
					t.Fatalf("%s: batch of %d from %#x opened as %#x", p.name, n, pnum, pn)
				}
			}
		}
	}
}

// TestMacX16Lanes checks macX16Asm lane by lane against the standard
// library: masked lanes write nothing, and the MACs land at any stride.
func TestMacX16Lanes(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(45, 46))
	k := randKeys(rng)
	c := newAsmCipher(k)
	buf := randBytes(rng, 16*PacketSize)
	for _, mask := range []uint16{0xffff, 1, 0x8000, 0x5a5a, 0x00ff} {
		pnum := mbPnums[int(mask)%len(mbPnums)]
		const stride = 40
		out := randBytes(rng, 16*stride)
		before := bytes.Clone(out)
		macX16Asm(c, &buf[0], pnum, mask, &out[0], stride)
		for i := 0; i < 16; i++ {
			got := out[i*stride:][:stride]
			want := bytes.Clone(before[i*stride:][:stride])
			if mask&(1<<i) != 0 {
				copy(want, stdMAC(k, pnum+uint64(i), buf[i*PacketSize:][:plainSize]))
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("mask %#04x, lane %d: %x, want %x", mask, i, got, want)
			}
		}
	}
}

// TestCtrVAES compares ctrVAESAsm with the standard library for batch
// sizes around its groups of four block 64s; bytes outside the 1028-byte
// plaintexts stay as they were.
func TestCtrVAES(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(47, 48))
	for n := 1; n <= 18; n++ {
		k := randKeys(rng)
		pnum := mbPnums[n%len(mbPnums)]
		buf := randBytes(rng, n*PacketSize+5)
		want := bytes.Clone(buf)
		for i := 0; i < n; i++ {
			p := want[i*PacketSize:][:plainSize]
			stdCTR(k, pnum+uint64(i)).XORKeyStream(p, p)
		}
		ctrVAESAsm(newAsmCipher(k), &buf[0], n, pnum)
		if !bytes.Equal(buf, want) {
			t.Fatalf("%d packets from %#x differ from the standard library", n, pnum)
		}
	}
}

// TestAVX512FuzzSeeds runs the FuzzOpen check on batches big enough for
// the default threshold, with one packet of a group replaced by a
// non-genuine one.
func TestAVX512FuzzSeeds(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(49, 50))
	c := newAVX512Cipher(fuzzKeys)
	for _, n := range []int{8, 16, 23} {
		for _, pnum := range mbPnums {
			sealed, _ := sealedBatch(rng, fuzzKeys, n, pnum)
			checkOpenBatch(t, avx512Path, c, sealed, pnum)
			bad := bytes.Clone(sealed)
			binary.BigEndian.PutUint32(bad[(n/2)*PacketSize+plainSize:], 0)
			checkOpenBatch(t, avx512Path, c, bad, pnum)
		}
	}
}

// BenchmarkMAC16 is the HMAC alone of 16 packets (288 SHA-256 blocks): in
// the 16 lanes of macX16Asm and as eight SHA-NI pairs. It reports CPU
// nanoseconds per packet and per SHA-256 block of one packet.
func BenchmarkMAC16(b *testing.B) {
	needAVX512(b)
	c := newAsmCipher(benchKeys)
	buf := make([]byte, 16*PacketSize)
	var macs [16][macSize]byte
	for _, v := range []struct {
		name string
		mac  func()
	}{
		{"x16", func() { macX16Asm(c, &buf[0], 0, 0xffff, &macs[0][0], macSize) }},
		{"shani-pairs", func() {
			for i := 0; i < 16; i += 2 {
				macPairAsm(c, &buf[i*PacketSize], &buf[(i+1)*PacketSize], uint64(i), &macs[i], &macs[i+1])
			}
		}},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(16 * plainSize)
			t := processCPU(b)
			for b.Loop() {
				v.mac()
			}
			ns := float64(processCPU(b)-t) / float64(b.N)
			b.ReportMetric(ns/16, "cpu-ns/packet")
			b.ReportMetric(ns/(16*18), "cpu-ns/block")
		})
	}
}

func TestAVX512Wipe(t *testing.T) {
	needAVX512(t)
	c := newAVX512Cipher(&DirectionKeys{Enc: [32]byte{1}, Mac: [32]byte{2}})
	if c.asmCipher == (asmCipher{}) {
		t.Fatal("key schedule is empty")
	}
	c.wipe()
	if c.asmCipher != (asmCipher{}) {
		t.Fatal("wipe left key material")
	}
}
