//go:build arm64 && !purego

package cipher

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// hasAsm reports whether the CPU runs the ARMv8 AES + SHA-256 path. cpuid
// reads the Linux and FreeBSD hardware capabilities and assumes them on
// macOS (every Apple silicon CPU has them); elsewhere it reports nothing,
// and the portable path runs.
var hasAsm = cpuid.CPU.Supports(cpuid.AESARM, cpuid.SHA2)

// livePath is fixed at start-up; SPIPED_NOASM=1 forces the portable path
// (as does the purego build tag) so that it can be measured and trusted on
// the same machine.
var livePath = func() string {
	if hasAsm && os.Getenv("SPIPED_NOASM") != "1" {
		return asmPath
	}
	return "generic"
}()

const asmPath = "arm64-aes-sha2"

func newCipher(k *DirectionKeys) packetCipher {
	if livePath == asmPath {
		return newArm64Cipher(k)
	}
	return newGenericCipher(k)
}

// arm64Cipher holds what packet_arm64.s reads, through the offsets go_asm.h
// gives it (arm64Cipher_rk, arm64Cipher_inner, arm64Cipher_outer).
type arm64Cipher struct {
	rk [15][16]byte // AES-256 round keys, in FIPS-197 byte order
	// The SHA-256 chaining values after the HMAC ipad and opad blocks, a
	// to h: the lane order SHA256H works on.
	inner, outer [8]uint32
}

func newArm64Cipher(k *DirectionKeys) *arm64Cipher {
	c := new(arm64Cipher)
	c.rekey(k)
	return c
}

func (c *arm64Cipher) rekey(k *DirectionKeys) {
	expandKeyArm64(&k.Enc, &c.rk)
	c.inner, c.outer = padStates(&k.Mac)
}

// seal takes the packets two at a time (sealPairArm64), whose HMACs
// share the SHA-256 unit, and an odd one alone.
func (c *arm64Cipher) seal(buf []byte, n int, pnum uint64) {
	buf = buf[:n*PacketSize]
	for ; n >= 2; n -= 2 {
		sealPairArm64(c, &buf[0], pnum)
		buf = buf[2*PacketSize:]
		pnum += 2
	}
	if n == 1 {
		sealArm64(c, &buf[0], pnum)
	}
}

func (c *arm64Cipher) open(pkt []byte, pnum uint64) bool {
	var mac [macSize]byte
	openArm64(c, &pkt[:PacketSize][0], pnum, &mac)
	return macEqual(&mac, pkt[plainSize:PacketSize]) == 1
}

// openBatch opens the packets two at a time (openPairArm64) and an odd one
// alone. It opens every packet whatever the earlier ones gave, so its time
// does not depend on where a forgery sits.
func (c *arm64Cipher) openBatch(buf []byte, n int, pnum uint64) bool {
	buf = buf[:n*PacketSize]
	var macA, macB [macSize]byte
	ok := 1
	for ; n >= 2; n -= 2 {
		openPairArm64(c, &buf[0], pnum, &macA, &macB)
		ok &= macEqual(&macA, buf[plainSize:PacketSize])
		ok &= macEqual(&macB, buf[PacketSize+plainSize:2*PacketSize])
		buf = buf[2*PacketSize:]
		pnum += 2
	}
	if n == 1 && !c.open(buf, pnum) {
		ok = 0
	}
	return ok == 1
}

func (c *arm64Cipher) wipe() { *c = arm64Cipher{} }

// expandKeyArm64 writes the AES-256 key schedule of key (FIPS-197 §5.2).
//
//go:noescape
func expandKeyArm64(key *[32]byte, rk *[15][16]byte)

// sealArm64 encrypts the framed packet at pkt and writes its MAC, in one
// pass over the 1028 bytes.
//
//go:noescape
func sealArm64(c *arm64Cipher, pkt *byte, pnum uint64)

// openArm64 decrypts the packet at pkt in place and writes the HMAC it
// computed over the ciphertext into mac; the caller compares.
//
//go:noescape
func openArm64(c *arm64Cipher, pkt *byte, pnum uint64, mac *[macSize]byte)

// sealPairArm64 seals the framed packets at a and a+PacketSize (numbers
// pnum and pnum+1) in one pass, their SHA-256 chains interleaved.
//
//go:noescape
func sealPairArm64(c *arm64Cipher, a *byte, pnum uint64)

// openPairArm64 decrypts the packets at a and a+PacketSize (numbers pnum
// and pnum+1) in place in one pass and writes the HMACs it computed over
// their ciphertexts into macA and macB; the caller compares.
//
//go:noescape
func openPairArm64(c *arm64Cipher, a *byte, pnum uint64, macA, macB *[macSize]byte)
