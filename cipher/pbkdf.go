package cipher

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// hmacMaxMsg bounds what hmacSHA256 signs: a DH value.
const hmacMaxMsg = 256

// hmacScratch is the HMACs' working memory. in holds the padded key and the
// message (a DH value), out the padded key and the inner hash, and the
// states the PBKDF2 blocks share. It is the caller's, not the stack's, so
// that one place holds them and can be checked; every function here leaves
// it zero.
type hmacScratch struct {
	in  [sha256.BlockSize + hmacMaxMsg]byte  // K ^ ipad || message
	out [sha256.BlockSize + sha256.Size]byte // K ^ opad || inner hash
	// PBKDF2: the hash states after K ^ opad, and after K ^ ipad || salt.
	outer, salted [sha256StateLen]byte
	inner         [sha256.Size]byte
	idx           [4]byte // be32 block index (here, not on the stack, which the digest's Write would make escape)
}

// sha256StateLen is the size of crypto/sha256's marshaled state.
const sha256StateLen = 4 + 8*4 + sha256.BlockSize + 8

// hmacSHA256 sets mac = HMAC-SHA256(key, msg) for a 32-byte key and a
// message of at most hmacMaxMsg bytes, without allocating: the padded key
// is one block and both hashes are one-shot sums over s.
func hmacSHA256(mac, key *[32]byte, msg []byte, s *hmacScratch) {
	padKey(s.in[:sha256.BlockSize], key, 0x36)
	padKey(s.out[:sha256.BlockSize], key, 0x5c)
	if len(msg) > hmacMaxMsg {
		panic("cipher: hmacSHA256 message too long")
	}
	n := sha256.BlockSize + copy(s.in[sha256.BlockSize:], msg)
	*(*[sha256.Size]byte)(s.out[sha256.BlockSize:]) = sha256.Sum256(s.in[:n])
	*mac = sha256.Sum256(s.out[:])
	clear(s.in[:n]) // the padded key and the message
	clear(s.out[:])
}

func padKey(dst []byte, key *[32]byte, pad byte) {
	for i := range dst {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		dst[i] = k ^ pad
	}
}

// pbkdf2Blocks sets blocks[i] to block i+1 of PBKDF2-HMAC-SHA256 with one
// iteration, key and the salt salt0 || salt1: HMAC(key, salt || be32(i+1)),
// each written straight to where the caller keeps it. The blocks share
// everything but their last four bytes, so the key's padded blocks and the
// salt are hashed once and each block costs two compressions (dk2's salt
// is 320 bytes: 15 compressions for its four blocks instead of 36). d is
// a SHA-256 digest from crypto/sha256, left reset and holding nothing of
// the key or the salt.
func pbkdf2Blocks(blocks []*[32]byte, key *[32]byte, salt0, salt1 []byte, d hash.Hash, s *hmacScratch) {
	state := d.(interface {
		encoding.BinaryAppender
		encoding.BinaryUnmarshaler
	})
	save := func(dst *[sha256StateLen]byte) {
		if b, err := state.AppendBinary(dst[:0]); err != nil || len(b) != sha256StateLen {
			panic("cipher: unexpected crypto/sha256 state encoding")
		}
	}
	restore := func(src *[sha256StateLen]byte) {
		if err := state.UnmarshalBinary(src[:]); err != nil {
			panic("cipher: unexpected crypto/sha256 state encoding")
		}
	}
	pad := s.in[:sha256.BlockSize]
	d.Reset()
	padKey(pad, key, 0x5c)
	d.Write(pad)
	save(&s.outer)
	d.Reset()
	padKey(pad, key, 0x36)
	d.Write(pad)
	d.Write(salt0)
	d.Write(salt1)
	save(&s.salted)
	for i, b := range blocks {
		restore(&s.salted)
		binary.BigEndian.PutUint32(s.idx[:], uint32(i+1))
		d.Write(s.idx[:])
		d.Sum(s.inner[:0])
		restore(&s.outer)
		d.Write(s.inner[:])
		d.Sum(b[:0])
	}
	// The digest's buffer last held the inner hash: overwrite it, then
	// leave the digest reset. Sum worked on copies of the state.
	d.Reset()
	d.Write(s.out[:sha256.BlockSize-1])
	d.Reset()
	clear(pad)
	*s = hmacScratch{}
}
