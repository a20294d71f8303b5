package cipher

import (
	"crypto/hmac"
	"math/big"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// FuzzHandshake plays an arbitrary peer against each role. The machine must
// not panic, must never take more than 32 + 288 bytes, and may reach
// StepDone only if the peer's 288-byte message carries a valid MAC.
func FuzzHandshake(f *testing.F) {
	key := testKey()
	nC, nS := spipedtest.Seq(0, 32), spipedtest.Seq(0x20, 32)
	nonces := append(append([]byte{}, nC...), nS...)
	one := big.NewInt(1)
	// Seeds: valid transcripts for each role, from y = 1 and a real y.
	for _, flags := range []byte{0, 1, 2, 3, 4, 5} {
		fromClient := flags&1 == 1 // the fuzzed peer is the client
		peerNonce := nS
		if fromClient {
			peerNonce = nC
		}
		f.Add(flags, append(append([]byte{}, peerNonce...), forgeDH(&key, nonces, fromClient, one)...))
	}
	f.Add(byte(0), []byte{})
	f.Add(byte(1), make([]byte, 400))

	f.Fuzz(func(t *testing.T, flags byte, data []byte) {
		role := Client
		mine := nC
		if flags&1 == 1 {
			role, mine = Server, nS
		}
		fast, fs := flags&2 != 0, flags&4 != 0 && flags&2 == 0
		h, err := NewHandshake(HandshakeConfig{Key: &key, Role: role, Fast: fast, RequireFS: fs,
			Rand: fixedRand(mine, spipedtest.Seq(0x40, 32))})
		if err != nil {
			t.Fatal(err)
		}
		_, in, _ := feed(t, h, data)
		taken := len(data) - len(in)
		if taken > nonceLen+dhMsgLen {
			t.Fatalf("took %d bytes", taken)
		}
		if h.Step() != StepDone {
			return
		}
		// Done: the peer's message must be exactly authentic for these nonces.
		if taken != nonceLen+dhMsgLen {
			t.Fatalf("done after %d bytes", taken)
		}
		var n2 [64]byte
		copy(n2[:], nonces)
		if role == Server {
			copy(n2[:32], data[:32])
		} else {
			copy(n2[32:], data[:32])
		}
		var dk1 [64]byte
		pbkdf2One(&key, n2[:], dk1[:])
		mk := (*[32]byte)(dk1[:32])
		if role == Client {
			mk = (*[32]byte)(dk1[32:])
		}
		msg := data[nonceLen : nonceLen+dhMsgLen]
		want := hmacOf(mk, msg[:yLen])
		if !hmac.Equal(want[:], msg[yLen:]) {
			t.Fatal("StepDone without a valid MAC")
		}
		if below, _ := dhCheck((*[256]byte)(msg[:yLen])); !below {
			t.Fatal("StepDone with y >= p")
		}
	})
}
