package spipedtest

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// The sizes of PROTOCOL.md: a packet, the message it carries at most, a
// DH public value and the DH message (value and MAC).
const (
	PacketSize   = 1060
	MaxMessage   = 1024
	DHLen        = 256
	DHMessageLen = DHLen + 32
)

// group14Hex is the 2048-bit MODP prime of RFC 3526.
const group14Hex = ("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AACAA68FFFFFFFFFFFFFFFF")

// Group14P is the prime as a value of its caller's own, so no test can
// change it for another.
func Group14P() *big.Int {
	p, _ := new(big.Int).SetString(group14Hex, 16)
	return p
}

// Seq returns n bytes counting up from start: the inputs of the
// protocol's test vectors (PROTOCOL.md §8) are made of such runs.
func Seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// PBKDF2SHA256 is PBKDF2-SHA256 with one iteration, as spiped derives keys.
func PBKDF2SHA256(k []byte, salt []byte, n int) []byte {
	out, err := pbkdf2.Key(sha256.New, string(k), salt, 1, n)
	if err != nil {
		panic(err)
	}
	return out
}

// HMACSHA256 is HMAC-SHA256(key, msg).
func HMACSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Pad256 left-pads a big integer to 256 bytes.
func Pad256(v *big.Int) []byte {
	out := make([]byte, DHLen)
	v.FillBytes(out)
	return out
}

// One256 is y = 1 (or y_SC = 1) as 256 bytes.
func One256() []byte { return Pad256(big.NewInt(1)) }

// DirKeys are the keys of one direction.
type DirKeys struct{ Enc, MAC []byte }

// SealRaw seals an arbitrary 1028-byte plaintext (message, padding and
// length field as the caller wants them) as packet number pnum.
func SealRaw(k DirKeys, pnum uint64, plain []byte) []byte {
	if len(plain) != MaxMessage+4 {
		panic("sealRaw: plaintext must be 1028 bytes")
	}
	blk, err := aes.NewCipher(k.Enc)
	if err != nil {
		panic(err)
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], pnum)
	pkt := make([]byte, PacketSize)
	stdcipher.NewCTR(blk, iv[:]).XORKeyStream(pkt[:MaxMessage+4], plain)
	var pn [8]byte
	binary.BigEndian.PutUint64(pn[:], pnum)
	copy(pkt[MaxMessage+4:], HMACSHA256(k.MAC, append(append([]byte{}, pkt[:MaxMessage+4]...), pn[:]...)))
	return pkt
}

// PlainWithLen builds a plaintext whose message region holds msg (the rest
// zero) and whose length field says length, true or not.
func PlainWithLen(msg []byte, length uint32) []byte {
	p := make([]byte, MaxMessage+4)
	copy(p, msg)
	binary.BigEndian.PutUint32(p[MaxMessage:], length)
	return p
}

// SealPacket seals msg (at most MaxMessage bytes) honestly as packet pnum.
func SealPacket(k DirKeys, pnum uint64, msg []byte) []byte {
	return SealRaw(k, pnum, PlainWithLen(msg, uint32(len(msg))))
}

// OpenPacket checks and decrypts one packet the way a correct receiver does.
func OpenPacket(k DirKeys, pnum uint64, pkt []byte) ([]byte, error) {
	var pn [8]byte
	binary.BigEndian.PutUint64(pn[:], pnum)
	want := HMACSHA256(k.MAC, append(append([]byte{}, pkt[:MaxMessage+4]...), pn[:]...))
	if !hmac.Equal(want, pkt[MaxMessage+4:PacketSize]) {
		return nil, errors.New("bad packet MAC")
	}
	blk, _ := aes.NewCipher(k.Enc)
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], pnum)
	plain := make([]byte, MaxMessage+4)
	stdcipher.NewCTR(blk, iv[:]).XORKeyStream(plain, pkt[:MaxMessage+4])
	n := binary.BigEndian.Uint32(plain[MaxMessage:])
	if n < 1 || n > MaxMessage {
		return nil, fmt.Errorf("bad packet length %d", n)
	}
	return plain[:n], nil
}

// Cat concatenates byte slices into a new one.
func Cat(parts ...[]byte) []byte {
	var out []byte
	for _, b := range parts {
		out = append(out, b...)
	}
	return out
}
