package cipher

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"
)

// fixedRand makes a handshake draw exactly nonce then x.
func fixedRand(nonce, x []byte) *bytes.Reader {
	return bytes.NewReader(append(append([]byte{}, nonce...), x...))
}

// pairResult is what a pumped pair of handshakes sent and how they ended.
type pairResult struct {
	cWire, sWire []byte // every byte each side wrote
	cStep, sStep Step
	cErr, sErr   error
}

// pump runs two machines against each other in memory, delivering each
// write to the peer at once, until neither can make progress.
func pump(t testing.TB, c, s *Handshake) pairResult {
	t.Helper()
	return pumpMangled(t, c, s, nil)
}

// pumpMangled is pump with a hook that may alter the bytes in flight: it
// sees each write, whether it is the client's, and its offset in that stream.
func pumpMangled(t testing.TB, c, s *Handshake, mangle func(fromClient bool, off int, b []byte)) pairResult {
	t.Helper()
	var r pairResult
	var toC, toS []byte
	for range 100 {
		progress := false
		step := func(h *Handshake, inbox *[]byte, outbox *[]byte, wire *[]byte, errp *error) {
			switch h.Step() {
			case StepWrite:
				out := h.Output()
				sent := append([]byte{}, out...)
				if mangle != nil {
					mangle(h == c, len(*wire), sent)
				}
				*outbox = append(*outbox, sent...)
				*wire = append(*wire, out...)
				h.Wrote(len(out))
				progress = true
			case StepCompute:
				h.Compute()
				progress = true
			case StepRead:
				if len(*inbox) > 0 {
					n, err := h.Input(*inbox)
					*inbox = (*inbox)[n:]
					if err != nil {
						*errp = err
					}
					progress = progress || n > 0
				}
			}
		}
		step(c, &toC, &toS, &r.cWire, &r.cErr)
		step(s, &toS, &toC, &r.sWire, &r.sErr)
		if !progress {
			break
		}
	}
	r.cStep, r.sStep = c.Step(), s.Step()
	return r
}

// newPair builds a client and a server with the given modes and random input.
func newPair(t testing.TB, key *[32]byte, cfgC, cfgS HandshakeConfig) (*Handshake, *Handshake) {
	t.Helper()
	cfgC.Key, cfgC.Role = key, Client
	cfgS.Key, cfgS.Role = key, Server
	c, err := NewHandshake(cfgC)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewHandshake(cfgS)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// processCPU is the CPU time this process has used (user + system).
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuLoop runs f b.N times and reports the process CPU time per call as
// cpu-ns/op: on a shared machine wall time also counts other programs.
func cpuLoop(b *testing.B, f func()) {
	start := processCPU(b)
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// pbkdf2One fills out, whole 32-byte blocks, with PBKDF2-HMAC-SHA256(key,
// salt) at one iteration, as the handshake derives dk1 and dk2; the
// standard library's crypto/pbkdf2 computes it, not ours.
func pbkdf2One(key *[32]byte, salt, out []byte) {
	dk, err := pbkdf2.Key(sha256.New, string(key[:]), salt, 1, len(out))
	if err != nil {
		panic(err)
	}
	copy(out, dk)
}

// hmacOf returns HMAC-SHA256(key, msg), from crypto/hmac.
func hmacOf(key *[32]byte, msg []byte) (mac [32]byte) {
	m := hmac.New(sha256.New, key[:])
	m.Write(msg)
	m.Sum(mac[:0])
	return mac
}

// feed runs h for at most 20 steps as a peer that sends stream and reads
// nothing: h's output is dropped, its exponentiations done, and each read
// hands it what is left of stream. It returns the sizes Input took, what
// it left, and the error that failed h, if any.
func feed(t testing.TB, h *Handshake, stream []byte) (took []int, rest []byte, err error) {
	t.Helper()
	for range 20 {
		switch h.Step() {
		case StepWrite:
			h.Wrote(len(h.Output()))
		case StepCompute:
			h.Compute()
		case StepRead:
			if need := h.Need(); need < 1 || need > dhMsgLen {
				t.Fatalf("StepRead with Need() = %d", need)
			}
			n, inErr := h.Input(stream)
			took, stream = append(took, n), stream[n:]
			if inErr != nil {
				err = inErr
			}
		}
	}
	return took, stream, err
}

// exchange runs c and s against each other for the given rounds, each side
// taking one step a round; chunk (if not 0) caps the bytes written or fed
// in one step. before, if not nil, runs at the start of each round. A read
// that fails, or takes nothing while bytes wait, fails t.
func exchange(t testing.TB, c, s *Handshake, rounds, chunk int, before func()) {
	t.Helper()
	limit := func(b []byte) []byte {
		if chunk > 0 && len(b) > chunk {
			return b[:chunk]
		}
		return b
	}
	var toC, toS []byte
	for range rounds {
		if before != nil {
			before()
		}
		for _, x := range []struct {
			h       *Handshake
			in, out *[]byte
		}{{c, &toC, &toS}, {s, &toS, &toC}} {
			switch x.h.Step() {
			case StepWrite:
				out := limit(x.h.Output())
				*x.out = append(*x.out, out...)
				x.h.Wrote(len(out))
			case StepCompute:
				x.h.Compute()
			case StepRead:
				if len(*x.in) > 0 {
					n, err := x.h.Input(limit(*x.in))
					if n == 0 || err != nil {
						t.Fatalf("Input of %d bytes took %d: %v", len(limit(*x.in)), n, err)
					}
					*x.in = (*x.in)[n:]
				}
			}
		}
	}
}
