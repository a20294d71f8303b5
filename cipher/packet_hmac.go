package cipher

import (
	"crypto/sha256"
	"encoding"
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
