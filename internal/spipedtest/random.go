package spipedtest

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// FillRandom fills b from a stream seeded by both seed (all 64 bits) and
// the stream's name, so two tests with one seed still get different bytes.
func FillRandom(seed uint64, stream string, b []byte) {
	var s [32]byte
	h := sha256.Sum256([]byte(stream))
	binary.BigEndian.PutUint64(s[:], seed)
	for i := range s {
		s[i] ^= h[i]
	}
	rand.NewChaCha8(s).Read(b)
}

// RandomBytes returns n bytes of FillRandom's stream.
func RandomBytes(seed uint64, stream string, n int) []byte {
	b := make([]byte, n)
	FillRandom(seed, stream, b)
	return b
}
