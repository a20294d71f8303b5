package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// ctrBlocks is the number of AES blocks of keystream one packet uses.
const ctrBlocks = (plainSize + aes.BlockSize - 1) / aes.BlockSize

// genericCipher is the portable packet transform on the standard library:
// crypto/aes for the keystream and crypto/sha256 for an HMAC whose ipad and
// opad states are saved once. Every buffer lives in the struct so that no
// packet allocates.
//
// crypto/cipher's CTR stream cannot be re-seeded, and a new one per packet
// allocates, while one Block.Encrypt call per counter block is slow where
// crypto/aes has assembly. GCM's keystream, however, is AES-CTR over
// nonce || be32(2), be32(3), ...: with the 12-byte nonce be64(pnum) || 0
// that is exactly this packet's keystream from block 2 on, so GCM-sealing
// bytes 32..1027 of the packet in place encrypts them in one fast call
// (its tag, written over the first 16 bytes of the MAC field, is
// discarded); blocks 0 and 1 use Block.Encrypt. Where the standard library
// has no AES-GCM assembly (the purego tag, other architectures) GCM is a
// slow generic GHASH on top of the same per-block AES, so stdGCMAsm turns
// the trick off and every block goes through Block.Encrypt.
type genericCipher struct {
	block          stdcipher.Block
	gcm            stdcipher.AEAD
	inner, outer   sha256Digest
	istate, ostate []byte // marshaled states after the ipad and opad blocks
	ctr            [aes.BlockSize]byte
	ks             [ctrBlocks * aes.BlockSize]byte // keystream of the blocks GCM does not make
	pn             [8]byte
	sum            [sha256.Size]byte
}

// gcmFirstBlock is the first counter value GCM uses for data.
const gcmFirstBlock = 2

func newGenericCipher(k *DirectionKeys) *genericCipher {
	g := new(genericCipher)
	g.rekey(k)
	return g
}

// rekey sets g up for k in place. Unlike the assembly paths it allocates:
// crypto/aes and crypto/sha256 make their own state.
func (g *genericCipher) rekey(k *DirectionKeys) {
	b, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		panic(err) // unreachable: the key is always 32 bytes
	}
	g.block, g.gcm = b, nil
	if stdGCMAsm {
		// NewGCM fails only under GODEBUG=fips140=only; then every block
		// goes through Block.Encrypt.
		g.gcm, _ = stdcipher.NewGCM(b)
	}
	g.inner, g.outer, g.istate, g.ostate = hmacPads(&k.Mac)
}

func (g *genericCipher) seal(buf []byte, n int, pnum uint64) {
	for i := 0; i < n; i++ {
		pkt := buf[i*PacketSize : (i+1)*PacketSize]
		g.xorKeyStream(pkt, pnum)
		g.sign(pkt[:plainSize], pnum)
		copy(pkt[plainSize:], g.sum[:])
		pnum++
	}
}

func (g *genericCipher) open(pkt []byte, pnum uint64) bool {
	pkt = pkt[:PacketSize]
	g.sign(pkt[:plainSize], pnum)
	if macEqual(&g.sum, pkt[plainSize:]) != 1 {
		return false
	}
	g.xorKeyStream(pkt, pnum)
	copy(pkt[plainSize:], g.sum[:]) // the MAC field as received (it matched)
	return true
}

func (g *genericCipher) openBatch(buf []byte, n int, pnum uint64) bool {
	ok := true
	for i := 0; i < n; i++ {
		ok = g.open(buf[i*PacketSize:], pnum+uint64(i)) && ok
	}
	return ok
}

// xorKeyStream encrypts or decrypts pkt[:plainSize] in place; it may
// overwrite the MAC field pkt[plainSize:PacketSize] with a GCM tag.
func (g *genericCipher) xorKeyStream(pkt []byte, pnum uint64) {
	pkt = pkt[:PacketSize]
	binary.BigEndian.PutUint64(g.ctr[:8], pnum)
	clear(g.ctr[8:])
	direct := ctrBlocks
	if g.gcm != nil {
		direct = gcmFirstBlock
		// The capacity limit keeps Seal's append inside this packet, so it
		// never allocates and always works in place.
		rest := pkt[gcmFirstBlock*aes.BlockSize : plainSize : PacketSize]
		g.gcm.Seal(rest[:0], g.ctr[:g.gcm.NonceSize()], rest, nil)
	}
	for j := 0; j < direct; j++ {
		g.ctr[15] = byte(j) // j < 256: only the last byte of the block index moves
		g.block.Encrypt(g.ks[j*aes.BlockSize:], g.ctr[:])
	}
	p := pkt[:min(direct*aes.BlockSize, plainSize)]
	subtle.XORBytes(p, p, g.ks[:])
}

// sign leaves HMAC(Mac, ct || be64(pnum)) in g.sum.
func (g *genericCipher) sign(ct []byte, pnum uint64) {
	restore(g.inner, g.istate)
	g.inner.Write(ct)
	binary.BigEndian.PutUint64(g.pn[:], pnum)
	g.inner.Write(g.pn[:])
	g.inner.Sum(g.sum[:0])
	restore(g.outer, g.ostate)
	g.outer.Write(g.sum[:])
	g.outer.Sum(g.sum[:0])
}

func restore(d sha256Digest, state []byte) {
	if err := d.UnmarshalBinary(state); err != nil {
		panic(err) // unreachable: the state came from MarshalBinary
	}
}

// wipe zeroes the HMAC states and buffers. crypto/aes and crypto/cipher
// offer no way to zero their round keys in place, so those are only dropped
// for the collector.
func (g *genericCipher) wipe() {
	clear(g.istate)
	clear(g.ostate)
	clear(g.ks[:])
	clear(g.sum[:])
	g.inner.Reset()
	g.outer.Reset()
	g.block, g.gcm = nil, nil
}
