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
	R  *rand.Rand
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
