package cipher

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// sha256Digest is what crypto/sha256.New returns: a hash whose chaining
// state can be saved and restored, which lets HMAC skip the ipad and opad
// blocks on every packet.
type sha256Digest interface {
	Write(p []byte) (int, error)
	Sum(b []byte) []byte
	Reset()
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// hmacPads returns SHA-256 digests that have absorbed the HMAC ipad and
// opad blocks of key, and their saved states.
func hmacPads(key *[32]byte) (inner, outer sha256Digest, istate, ostate []byte) {
	var pad [sha256.BlockSize]byte
	inner = sha256.New().(sha256Digest)
	outer = sha256.New().(sha256Digest)
	for i := range pad {
		pad[i] = 0x36
		if i < len(key) {
			pad[i] ^= key[i]
		}
	}
	inner.Write(pad[:])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	outer.Write(pad[:])
	clear(pad[:])
	istate, err := inner.MarshalBinary()
	if err != nil {
		panic(err) // unreachable: sha256 digests always marshal
	}
	ostate, err = outer.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return inner, outer, istate, ostate
}

// padStates returns the SHA-256 chaining words (a to h) after the HMAC
// ipad and opad blocks of key: all that the assembly paths need to start
// every packet's HMAC. One digest compresses both blocks (with the CPU's
// SHA instructions where the standard library has them) and its state is
// read out twice; the compiler keeps the digest and the state on the
// stack, so this allocates nothing, where hmacPads makes six allocations
// for digests the assembly paths would only throw away.
func padStates(key *[32]byte) (inner, outer [8]uint32) {
	d := sha256.New().(interface {
		hash.Hash
		encoding.BinaryAppender
	})
	var pad [sha256.BlockSize]byte
	st := make([]byte, 0, sha256StateLen)
	words := func(p byte) (w [8]uint32) {
		padKey(pad[:], key, p)
		d.Reset()
		d.Write(pad[:])
		st, _ = d.AppendBinary(st[:0])
		if len(st) != sha256StateLen || string(st[:4]) != "sha\x03" {
			panic("cipher: unexpected crypto/sha256 state encoding")
		}
		for i := range w {
			w[i] = binary.BigEndian.Uint32(st[4+4*i:])
		}
		return w
	}
	inner = words(0x36)
	outer = words(0x5c)
	d.Reset()
	clear(pad[:])
	clear(st[:cap(st)])
	return inner, outer
}
