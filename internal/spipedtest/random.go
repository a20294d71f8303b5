package spipedtest

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
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

// Seed is the seed of every random choice of t: 20261125 unless
// SPIPED_TEST_SEED says otherwise; a failing t logs it for a rerun.
func Seed(t testing.TB) uint64 {
	seed := uint64(20261125)
	if s := os.Getenv("SPIPED_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SPIPED_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed: SPIPED_TEST_SEED=%d", seed)
		}
	})
	return seed
}

// NewRand is a generator for one named stream of seed.
func NewRand(seed uint64, stream string) *rand.Rand {
	h := sha256.Sum256([]byte(stream))
	return rand.New(rand.NewPCG(seed, binary.BigEndian.Uint64(h[:8])))
}

// LockedRand is a seeded source safe for the goroutines of one test.
type LockedRand struct {
	mu sync.Mutex
	R  *rand.Rand // the stream, e.g. NewRand(seed, name)
}

// Read fills p from the stream.
func (l *LockedRand) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range p {
		p[i] = byte(l.R.Uint32())
	}
	return len(p), nil
}

// RandBytes draws n bytes from r.
func RandBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
