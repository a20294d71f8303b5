package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// The straightforward standard-library way to build and check packets, as a
// reference for the fast paths: a fresh CTR stream and HMAC per packet.

// stdSealPlain seals a full 1028-byte plaintext (message, padding, length)
// into a new 1060-byte packet.
func stdSealPlain(k *DirectionKeys, pnum uint64, plain []byte) []byte {
	if len(plain) != plainSize {
		panic("stdSealPlain: bad plaintext size")
	}
	pkt := make([]byte, PacketSize)
	stdCTR(k, pnum).XORKeyStream(pkt[:plainSize], plain)
	copy(pkt[plainSize:], stdMAC(k, pnum, pkt[:plainSize]))
	return pkt
}

// stdSeal seals msg (1..1024 bytes) into a new packet.
func stdSeal(k *DirectionKeys, pnum uint64, msg []byte) []byte {
	plain := make([]byte, plainSize)
	copy(plain, msg)
	binary.BigEndian.PutUint32(plain[MaxMessage:], uint32(len(msg)))
	return stdSealPlain(k, pnum, plain)
}

func stdCTR(k *DirectionKeys, pnum uint64) stdcipher.Stream {
	b, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		panic(err)
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], pnum)
	return stdcipher.NewCTR(b, iv[:])
}

func stdMAC(k *DirectionKeys, pnum uint64, ct []byte) []byte {
	m := hmac.New(sha256.New, k.Mac[:])
	m.Write(ct)
	var pn [8]byte
	binary.BigEndian.PutUint64(pn[:], pnum)
	m.Write(pn[:])
	return m.Sum(nil)
}
