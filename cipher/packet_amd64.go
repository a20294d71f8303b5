//go:build amd64 && !purego

package cipher

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// hasAsm reports whether the CPU runs the stitched AES-NI + SHA-NI path.
var hasAsm = cpuid.CPU.Supports(cpuid.AESNI, cpuid.SHA, cpuid.SSE4, cpuid.SSSE3)

// hasAVX512 reports whether it also runs the multi-buffer path. cpuid sets
// AVX512F only when the OS saves the ZMM and mask registers (XCR0).
var hasAVX512 = hasAsm && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.VAES)

// livePath is fixed at start-up; SPIPED_NOASM=1 forces the portable path
// (as does the purego build tag) so that it can be measured and trusted on
// the same machine.
var livePath = func() string {
	switch {
	case os.Getenv("SPIPED_NOASM") == "1":
		return "generic"
	case hasAVX512:
		return avx512Path
	case hasAsm:
		return asmPath
	}
	return "generic"
}()

const (
	asmPath    = "amd64-aesni-shani"
	avx512Path = "amd64-avx512-vaes"
)

func newCipher(k *DirectionKeys) packetCipher {
	switch livePath {
	case avx512Path:
		return newAVX512Cipher(k)
	case asmPath:
		return newAsmCipher(k)
	}
	return newGenericCipher(k)
}

// asmCipher holds what packet_amd64.s reads. The assembly finds the fields
// through the offsets go_asm.h gives it (asmCipher_rk, asmCipher_inner,
// asmCipher_outer), so they may move; renaming one breaks the asm build.
type asmCipher struct {
	rk [15][16]byte // AES-256 round keys
	// The SHA-256 chaining values after the HMAC ipad and opad blocks, in
	// the two-register order SHA256RNDS2 works on: {F, E, B, A} then
	// {H, G, D, C} (word 0 first).
	inner, outer [8]uint32
}

func newAsmCipher(k *DirectionKeys) *asmCipher {
	c := new(asmCipher)
	c.init(k)
	return c
}

// init schedules k into c in place, so that an embedding cipher leaves no
// copy of the keys behind.
func (c *asmCipher) init(k *DirectionKeys) {
	expandKeyAsm(&k.Enc, &c.rk)
	inner, outer := padStates(&k.Mac)
	c.inner = shaniOrder(&inner)
	c.outer = shaniOrder(&outer)
}

// shaniOrder reorders chaining words a to h for SHA256RNDS2, and clears
// the original.
func shaniOrder(h *[8]uint32) [8]uint32 {
	s := [8]uint32{h[5], h[4], h[1], h[0], h[7], h[6], h[3], h[2]}
	clear(h[:])
	return s
}

// seal takes the packets two at a time, whose HMACs share the SHA unit
// (macPairAsm), and an odd one alone in the stitched single-packet code.
func (c *asmCipher) seal(buf []byte, n int, pnum uint64) {
	buf = buf[:n*PacketSize]
	for ; n >= 2; n -= 2 {
		ctrAsm(c, &buf[0], 2, pnum)
		macPairAsm(c, &buf[0], &buf[PacketSize], pnum,
			(*[macSize]byte)(buf[plainSize:PacketSize]), (*[macSize]byte)(buf[PacketSize+plainSize:]))
		buf = buf[2*PacketSize:]
		pnum += 2
	}
	if n == 1 {
		sealAsm(c, &buf[0], pnum)
	}
}

func (c *asmCipher) open(pkt []byte, pnum uint64) bool {
	var mac [macSize]byte
	openAsm(c, &pkt[:PacketSize][0], pnum, &mac)
	return macEqual(&mac, pkt[plainSize:PacketSize]) == 1
}

// openBatch checks pairs of packets with macPairAsm and decrypts them with
// ctrAsm; an odd one goes through the stitched single-packet code.
func (c *asmCipher) openBatch(buf []byte, n int, pnum uint64) bool {
	buf = buf[:n*PacketSize]
	var macA, macB [macSize]byte
	ok := 1
	for ; n >= 2; n -= 2 {
		macPairAsm(c, &buf[0], &buf[PacketSize], pnum, &macA, &macB)
		ok &= macEqual(&macA, buf[plainSize:PacketSize])
		ok &= macEqual(&macB, buf[PacketSize+plainSize:2*PacketSize])
		ctrAsm(c, &buf[0], 2, pnum)
		buf = buf[2*PacketSize:]
		pnum += 2
	}
	if n == 1 && !c.open(buf, pnum) {
		ok = 0
	}
	return ok == 1
}

func (c *asmCipher) wipe() { *c = asmCipher{} }

func (c *asmCipher) rekey(k *DirectionKeys) { c.init(k) }

// expandKeyAsm writes the AES-256 key schedule of key (FIPS-197 §5.2).
//
//go:noescape
func expandKeyAsm(key *[32]byte, rk *[15][16]byte)

// sealAsm encrypts and MACs the framed packet at pkt in one pass, AES-CTR
// of the next 64 bytes running between the SHA-256 rounds of the current 64.
//
//go:noescape
func sealAsm(c *asmCipher, pkt *byte, pnum uint64)

// ctrAsm XORs the keystream into the first 1028 bytes of n consecutive
// packets at buf, numbered from pnum.
//
//go:noescape
func ctrAsm(c *asmCipher, buf *byte, n int, pnum uint64)

// macPairAsm writes the HMACs of the ciphertexts of packets a (number pnum)
// and b (number pnum+1) to macA and macB.
//
//go:noescape
func macPairAsm(c *asmCipher, a, b *byte, pnum uint64, macA, macB *[macSize]byte)

// openAsm decrypts the packet at pkt in place and writes the HMAC it
// computed over the ciphertext into mac; the caller compares.
//
//go:noescape
func openAsm(c *asmCipher, pkt *byte, pnum uint64, mac *[macSize]byte)
