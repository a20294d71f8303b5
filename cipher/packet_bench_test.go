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
	"time"
)

// Each benchmark op is one 64 KiB batch: 64 packets of 1024-byte messages.
const benchPackets = 64

var benchKeys = &DirectionKeys{Enc: [32]byte{1, 2, 3}, Mac: [32]byte{4, 5, 6}}

func BenchmarkSeal(b *testing.B) {
	for _, p := range testPaths() {
		b.Run(p.name, func(b *testing.B) {
			s := p.sealer(benchKeys, 0)
			benchBatches(b, nil, func(batch []byte) error {
				s.SealBatch(batch, benchPackets*MaxMessage)
				return nil
			})
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, p := range testPaths() {
		b.Run(p.name, func(b *testing.B) {
			var o *Opener
			benchBatches(b, func() { o = p.opener(benchKeys, 0) }, func(batch []byte) error {
				for i := 0; i < benchPackets; i++ {
					if _, err := o.Open(batch[i*PacketSize : (i+1)*PacketSize]); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

func BenchmarkOpenBatch(b *testing.B) {
	for _, p := range testPaths() {
		b.Run(p.name, func(b *testing.B) {
			var o *Opener
			lens := make([]uint16, benchPackets)
			benchBatches(b, func() { o = p.opener(benchKeys, 0) }, func(batch []byte) error {
				return o.OpenBatch(batch, lens)
			})
		})
	}
}

// benchRing is how many batches one untimed restore covers; 512 KiB stays
// in this machine's L2.
const benchRing = 8

// benchBatches times op on consecutive batches of a ring of sealed packets
// (numbered from 0). Before each round of the ring, untimed, it restores
// the ring and calls reset. Seal and open benchmarks share it so that both
// are measured alike. Besides MB/s of wall time it reports cpu-MB/s, per
// second of this process's CPU time, which other load on the machine
// disturbs far less. It counts every thread, so the collector's work that
// an allocating way (the standard library's, below) causes is counted too,
// as it would be in a daemon.
func benchBatches(b *testing.B, reset func(), op func(batch []byte) error) {
	const size = benchPackets * PacketSize
	sealed := make([]byte, benchRing*size)
	NewSealer(benchKeys).SealBatch(sealed, benchRing*benchPackets*MaxMessage)
	ring := make([]byte, len(sealed))
	b.SetBytes(benchPackets * MaxMessage)
	var cpu time.Duration
	i := 0
	for b.Loop() {
		if i%benchRing == 0 {
			b.StopTimer()
			copy(ring, sealed)
			if reset != nil {
				reset()
			}
			b.StartTimer()
		}
		t := processCPU(b)
		if err := op(ring[i%benchRing*size:][:size]); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b) - t
		i++
	}
	if cpu > 0 {
		b.ReportMetric(float64(i)*benchPackets*MaxMessage/(float64(cpu)/1e9)/1e6, "cpu-MB/s")
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
	var pnum uint64
	benchBatches(b, nil, func(batch []byte) error {
		for i := 0; i < benchPackets; i++ {
			pkt := batch[i*PacketSize : (i+1)*PacketSize]
			binary.BigEndian.PutUint32(pkt[MaxMessage:], MaxMessage)
			s.crypt(pkt[:plainSize], pnum)
			s.sign(pkt[:plainSize], pnum)
			copy(pkt[plainSize:], s.sum[:])
			pnum++
		}
		return nil
	})
}

func BenchmarkOpenStd(b *testing.B) {
	s := newStdPackets(benchKeys)
	var pnum uint64
	benchBatches(b, func() { pnum = 0 }, func(batch []byte) error {
		for i := 0; i < benchPackets; i++ {
			pkt := batch[i*PacketSize : (i+1)*PacketSize]
			s.sign(pkt[:plainSize], pnum)
			if subtle.ConstantTimeCompare(s.sum[:], pkt[plainSize:]) != 1 {
				return errAuth
			}
			s.crypt(pkt[:plainSize], pnum)
			if n := binary.BigEndian.Uint32(pkt[MaxMessage:]); n < 1 || n > MaxMessage {
				return errLength
			}
			pnum++
		}
		return nil
	})
}
