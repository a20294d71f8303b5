package cipher

import (
	"crypto/sha256"
	"encoding/binary"
)

// hmacMaxMsg bounds what hmacSHA256 signs: the longest message in the
// handshake is the dk2 salt, nonce_C || nonce_S || y_SC, plus a block index.
const hmacMaxMsg = 32 + 32 + 256 + 4

// hmacSHA256 returns HMAC-SHA256(key, a || b) for a 32-byte key without
// allocating: every key in the handshake is 32 bytes, so the padded key is
// one block and both hashes are one-shot sums over stack buffers.
func hmacSHA256(key *[32]byte, a, b []byte) [32]byte {
	var in [sha256.BlockSize + hmacMaxMsg]byte
	var out [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		in[i] = k ^ 0x36
		out[i] = k ^ 0x5c
	}
	n := sha256.BlockSize
	n += copy(in[n:], a)
	n += copy(in[n:], b)
	if n != sha256.BlockSize+len(a)+len(b) {
		panic("cipher: hmacSHA256 message too long")
	}
	inner := sha256.Sum256(in[:n])
	copy(out[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(out[:])
	clear(in[:sha256.BlockSize])
	clear(out[:])
	clear(inner[:])
	return mac
}

// pbkdf2One fills out with PBKDF2-HMAC-SHA256(key, salt) at one iteration,
// where each 32-byte block i (from 1) is just HMAC(key, salt || be32(i)).
func pbkdf2One(key *[32]byte, salt, out []byte) {
	var idx [4]byte
	for i := 0; len(out) > 0; i++ {
		binary.BigEndian.PutUint32(idx[:], uint32(i+1))
		t := hmacSHA256(key, salt, idx[:])
		out = out[copy(out, t[:]):]
		clear(t[:])
	}
}
