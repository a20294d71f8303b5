//go:build arm64 && !purego

package cipher

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// testPaths lists every implementation this machine can run.
func testPaths() []testPath {
	paths := []testPath{{"generic", func(k *DirectionKeys) packetCipher { return newGenericCipher(k) }}}
	if hasAsm {
		paths = append(paths, testPath{asmPath, func(k *DirectionKeys) packetCipher { return newArm64Cipher(k) }})
	}
	return paths
}

func needArm64Asm(t *testing.T) {
	t.Helper()
	if !hasAsm {
		t.Skip("CPU lacks the ARMv8 AES or SHA-256 instructions")
	}
}

func TestPathIsLive(t *testing.T) {
	want := "generic"
	if hasAsm && os.Getenv("SPIPED_NOASM") != "1" {
		want = asmPath
	}
	if Path() != want {
		t.Fatalf("Path() = %q, want %q", Path(), want)
	}
	_, isAsm := NewSealer(&DirectionKeys{}).c.(*arm64Cipher)
	if isAsm != (want == asmPath) {
		t.Fatalf("NewSealer uses the arm64 path: %v; Path() = %q", isAsm, Path())
	}
}

// TestArm64KeySchedule compares the assembly key expansion with FIPS-197
// Appendix A.3 (the AES-256 example key).
func TestArm64KeySchedule(t *testing.T) {
	needArm64Asm(t)
	var key [32]byte
	copy(key[:], pktHex(t, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"))
	var rk [15][16]byte
	expandKeyArm64(&key, &rk)
	want := map[int]string{
		0:  "603deb1015ca71be2b73aef0857d7781",
		1:  "1f352c073b6108d72d9810a30914dff4",
		2:  "9ba354118e6925afa51a8b5f2067fcde",
		14: "fe4890d1e6188d0b046df344706c631e",
	}
	for i, w := range want {
		if !bytes.Equal(rk[i][:], pktHex(t, w)) {
			t.Errorf("round key %d = %x, want %s", i, rk[i], w)
		}
	}
}

// TestArm64Differential checks the arm64 path against the generic path and
// the straightforward standard-library way on random keys, packet numbers,
// message lengths and batch sizes, and that it rejects every tampered
// packet of a batch.
func TestArm64Differential(t *testing.T) {
	needArm64Asm(t)
	rng := rand.New(rand.NewPCG(51, 52))
	asm := testPath{asmPath, func(k *DirectionKeys) packetCipher { return newArm64Cipher(k) }}
	gen := testPath{"generic", func(k *DirectionKeys) packetCipher { return newGenericCipher(k) }}
	for iter := 0; iter < 200; iter++ {
		k := randKeys(rng)
		pnum := randPnum(rng)
		n := 1 + rng.IntN(9)
		total := (n-1)*MaxMessage + 1 + rng.IntN(MaxMessage)
		stream := randBytes(rng, total)
		bufs := make([][]byte, 2)
		for i, p := range []testPath{asm, gen} {
			buf := randBytes(rng, n*PacketSize) // stale padding must not matter
			for j := 0; j < n; j++ {
				copy(buf[j*PacketSize:][:MaxMessage], stream[j*MaxMessage:min((j+1)*MaxMessage, total)])
			}
			if w := p.sealer(k, pnum).SealBatch(buf, total); w != n*PacketSize {
				t.Fatalf("%s: SealBatch = %d, want %d", p.name, w, n*PacketSize)
			}
			bufs[i] = buf
		}
		for j := 0; j < n; j++ {
			msg := stream[j*MaxMessage : min((j+1)*MaxMessage, total)]
			want := stdSeal(k, pnum+uint64(j), msg)
			for i, name := range []string{asmPath, "generic"} {
				if got := bufs[i][j*PacketSize : (j+1)*PacketSize]; !bytes.Equal(got, want) {
					t.Fatalf("%s: packet %d of %d (pnum %#x) differs from the standard library", name, j, n, pnum+uint64(j))
				}
			}
		}
		sealed := bytes.Clone(bufs[0])
		lens := make([]uint16, n)
		if err := asm.opener(k, pnum).OpenBatch(bufs[0], lens); err != nil {
			t.Fatalf("OpenBatch of %d: %v", n, err)
		}
		for j := 0; j < n; j++ {
			msg := stream[j*MaxMessage : min((j+1)*MaxMessage, total)]
			if int(lens[j]) != len(msg) || !bytes.Equal(bufs[0][j*PacketSize:][:lens[j]], msg) {
				t.Fatalf("OpenBatch packet %d of %d: wrong message", j, n)
			}
		}
		one := bytes.Clone(sealed[(n-1)*PacketSize:])
		if m, err := asm.opener(k, pnum+uint64(n-1)).Open(one); err != nil || !bytes.Equal(one[:m], stream[(n-1)*MaxMessage:]) {
			t.Fatalf("Open of the last packet = %d, %v", m, err)
		}
		bad := bytes.Clone(sealed)
		bit := rng.IntN(len(bad) * 8)
		bad[bit/8] ^= 1 << (bit % 8)
		if err := asm.opener(k, pnum).OpenBatch(bad, lens); err == nil {
			t.Fatalf("OpenBatch accepted a batch of %d with bit %d flipped", n, bit)
		}
		if !bytes.Equal(bad, make([]byte, len(bad))) {
			t.Fatal("a rejected batch left bytes behind")
		}
	}
}

func TestArm64Wipe(t *testing.T) {
	needArm64Asm(t)
	c := newArm64Cipher(&DirectionKeys{Enc: [32]byte{1}, Mac: [32]byte{2}})
	if *c == (arm64Cipher{}) {
		t.Fatal("key schedule is empty")
	}
	c.wipe()
	if *c != (arm64Cipher{}) {
		t.Fatal("wipe left key material")
	}
}
