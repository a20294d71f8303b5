package cipher

import (
	"crypto/sha256"
	"encoding/binary"
)

// hmacMaxMsg bounds what hmacSHA256 signs: the longest message in the
// handshake is the dk2 salt, nonce_C || nonce_S || y_SC, plus a block index.
const hmacMaxMsg = 32 + 32 + 256 + 4

// hmacScratch is hmacSHA256's working memory: the two hash inputs. in holds
// the message, which for dk2 contains y_SC, and both hold the padded key.
// It is the caller's, not the stack's, so that one place holds them and
// can be checked; hmacSHA256 leaves it zero.
type hmacScratch struct {
	in  [sha256.BlockSize + hmacMaxMsg]byte  // K ^ ipad || a || b
	out [sha256.BlockSize + sha256.Size]byte // K ^ opad || inner hash
}

// hmacSHA256 sets mac = HMAC-SHA256(key, a || b || c) for a 32-byte key
// without allocating: every key in the handshake is 32 bytes, so the padded
// key is one block and both hashes are one-shot sums over s.
func hmacSHA256(mac, key *[32]byte, a, b, c []byte, s *hmacScratch) {
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		s.in[i] = k ^ 0x36
		s.out[i] = k ^ 0x5c
	}
	n := sha256.BlockSize
	n += copy(s.in[n:], a)
	n += copy(s.in[n:], b)
	n += copy(s.in[n:], c)
	if n != sha256.BlockSize+len(a)+len(b)+len(c) {
		panic("cipher: hmacSHA256 message too long")
	}
	*(*[sha256.Size]byte)(s.out[sha256.BlockSize:]) = sha256.Sum256(s.in[:n])
	*mac = sha256.Sum256(s.out[:])
	clear(s.in[:n]) // the padded key and the message: y_SC for dk2
	clear(s.out[:])
}

// pbkdf2Block sets block to block i (from 1) of PBKDF2-HMAC-SHA256 with
// one iteration, key and the salt salt0 || salt1: HMAC(key, salt || be32(i)).
// Each block is written straight to where the caller keeps it.
func pbkdf2Block(block, key *[32]byte, salt0, salt1 []byte, i uint32, s *hmacScratch) {
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], i)
	hmacSHA256(block, key, salt0, salt1, idx[:], s)
}
