package cipher

import (
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"testing"
)

// Each benchmark op is one 64 KiB batch: 64 packets of 1024-byte messages.
const benchPackets = 64

var benchKeys = &DirectionKeys{Enc: [32]byte{1, 2, 3}, Mac: [32]byte{4, 5, 6}}

func BenchmarkSeal(b *testing.B) {
	for _, p := range testPaths() {
		b.Run(p.name, func(b *testing.B) {
			s := p.sealer(benchKeys, 0)
			buf := make([]byte, benchPackets*PacketSize)
			b.SetBytes(benchPackets * MaxMessage)
			for b.Loop() {
				s.SealBatch(buf, benchPackets*MaxMessage)
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, p := range testPaths() {
		b.Run(p.name, func(b *testing.B) {
			benchOpen(b, func() func([]byte) error {
				o := p.opener(benchKeys, 0)
				return func(pkt []byte) error { _, err := o.Open(pkt); return err }
			})
		})
	}
}

// benchOpen times opening one sealed batch per op; restoring the batch and
// the packet counter between ops is not timed.
func benchOpen(b *testing.B, newOpen func() func([]byte) error) {
	sealed := make([]byte, benchPackets*PacketSize)
	NewSealer(benchKeys).SealBatch(sealed, benchPackets*MaxMessage)
	buf := make([]byte, len(sealed))
	b.SetBytes(benchPackets * MaxMessage)
	for b.Loop() {
		b.StopTimer()
		copy(buf, sealed)
		open := newOpen()
		b.StartTimer()
		for i := 0; i < benchPackets; i++ {
			if err := open(buf[i*PacketSize : (i+1)*PacketSize]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// stdPackets is the straightforward standard-library way: a key schedule
// and HMAC made once, then a new CTR stream and an HMAC reset per packet.
type stdPackets struct {
	block stdcipher.Block
	mac   hash.Hash
	iv    [16]byte
	sum   [32]byte
}

func newStdPackets(k *DirectionKeys) *stdPackets {
	block, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		panic(err)
	}
	return &stdPackets{block: block, mac: hmac.New(sha256.New, k.Mac[:])}
}

func (s *stdPackets) sign(ct []byte, pnum uint64) {
	s.mac.Reset()
	s.mac.Write(ct)
	binary.BigEndian.PutUint64(s.iv[:8], pnum)
	s.mac.Write(s.iv[:8])
	s.mac.Sum(s.sum[:0])
}

func (s *stdPackets) crypt(p []byte, pnum uint64) {
	binary.BigEndian.PutUint64(s.iv[:8], pnum)
	clear(s.iv[8:])
	stdcipher.NewCTR(s.block, s.iv[:]).XORKeyStream(p, p)
}

func BenchmarkSealStd(b *testing.B) {
	s := newStdPackets(benchKeys)
	buf := make([]byte, benchPackets*PacketSize)
	b.SetBytes(benchPackets * MaxMessage)
	var pnum uint64
	for b.Loop() {
		for i := 0; i < benchPackets; i++ {
			pkt := buf[i*PacketSize : (i+1)*PacketSize]
			binary.BigEndian.PutUint32(pkt[MaxMessage:], MaxMessage)
			s.crypt(pkt[:plainSize], pnum)
			s.sign(pkt[:plainSize], pnum)
			copy(pkt[plainSize:], s.sum[:])
			pnum++
		}
	}
}

func BenchmarkOpenStd(b *testing.B) {
	benchOpen(b, func() func([]byte) error {
		s := newStdPackets(benchKeys)
		var pnum uint64
		return func(pkt []byte) error {
			s.sign(pkt[:plainSize], pnum)
			if subtle.ConstantTimeCompare(s.sum[:], pkt[plainSize:]) != 1 {
				return errAuth
			}
			s.crypt(pkt[:plainSize], pnum)
			if n := binary.BigEndian.Uint32(pkt[MaxMessage:]); n < 1 || n > MaxMessage {
				return errLength
			}
			pnum++
			return nil
		}
	})
}
