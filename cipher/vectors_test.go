package cipher

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// These are PROTOCOL.md §8: empty key file, nonce_C = 00..1f,
// nonce_S = 20..3f, x_C = 40..5f, x_S = 60..7f.

func checkHex(t *testing.T, name string, got []byte, want string) {
	t.Helper()
	if hex.EncodeToString(got) != want {
		t.Errorf("%s = %x, want %s", name, got, want)
	}
}

// vectorPair runs the §8 handshake in the given mode.
func vectorPair(t *testing.T, fast bool) (*Handshake, *Handshake, pairResult) {
	t.Helper()
	key := sha256.Sum256(nil)
	c, s := newPair(t, &key,
		HandshakeConfig{Fast: fast, Rand: fixedRand(spipedtest.Seq(0x00, 32), spipedtest.Seq(0x40, 32))},
		HandshakeConfig{Fast: fast, Rand: fixedRand(spipedtest.Seq(0x20, 32), spipedtest.Seq(0x60, 32))})
	r := pump(t, c, s)
	if r.cStep != StepDone || r.sStep != StepDone {
		t.Fatalf("steps %v %v, errors %v %v", r.cStep, r.sStep, r.cErr, r.sErr)
	}
	if len(r.cWire) != nonceLen+dhMsgLen || len(r.sWire) != nonceLen+dhMsgLen {
		t.Fatalf("wrote %d and %d bytes, want %d each", len(r.cWire), len(r.sWire), nonceLen+dhMsgLen)
	}
	if !bytes.Equal(r.cWire[:32], spipedtest.Seq(0, 32)) || !bytes.Equal(r.sWire[:32], spipedtest.Seq(0x20, 32)) {
		t.Fatal("nonces on the wire are not the drawn ones")
	}
	return c, s, r
}

func TestVectorKey(t *testing.T) {
	key := sha256.Sum256(nil)
	checkHex(t, "K", key[:], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	var dk1 [64]byte
	pbkdf2One(&key, append(spipedtest.Seq(0, 32), spipedtest.Seq(0x20, 32)...), dk1[:])
	checkHex(t, "dhmac_C", dk1[:32], "7904361d53e2664a0dbd4796a70e54bd4982586a0b0ba1d9179250c1b3fd64de")
	checkHex(t, "dhmac_S", dk1[32:], "a4d01c3926fabc66368149404b6311c23f65f3ef576f44d7849e3424c4d0c909")
}

func TestVectorsFast(t *testing.T) {
	c, s, r := vectorPair(t, true)
	one := yOne()
	if !bytes.Equal(r.cWire[32:32+yLen], one[:]) || !bytes.Equal(r.sWire[32:32+yLen], one[:]) {
		t.Fatal("a -f side did not send y = 1")
	}
	checkHex(t, "h_C", r.cWire[32+yLen:], "445978f48035127230029720ecc9d51cf6c097b8c7fc1ba53ac804fe61e06aad")
	checkHex(t, "h_S", r.sWire[32+yLen:], "4e98e1033845bb0d0f6d64ab3b754af49ade2a3b3f3e4ddf9e2f9b0232aa7496")
	checkKeys(t, c, s,
		"3e812f0e1130dfd79ce80aad9c322a0c80d72c82f8c032f3d6d5df597018250f",
		"6d0d5168f2a0af0e4c9212b224e56adc0d4320fc238122ccf2fd6edd7c47a065",
		"31587b6956f7b11a9023b6d6122eb366f2cdab56f5060a7e227e15c79d843bc3",
		"a553c4d44a3bc9304e497bf1739895e1bc715f817086ff1fd96fc589f259fceb")
}

// checkKeys checks both sides' Keys against E_C, H_C, E_S, H_S, the client
// sending with the C keys and the server with the S keys.
func checkKeys(t *testing.T, c, s *Handshake, ec, hc, es, hs string) {
	t.Helper()
	cSend, cRecv := c.Keys()
	sSend, sRecv := s.Keys()
	if cSend == nil || sSend == nil {
		t.Fatal("Keys() is nil after StepDone")
	}
	checkHex(t, "client send E", cSend.Enc[:], ec)
	checkHex(t, "client send H", cSend.Mac[:], hc)
	checkHex(t, "client recv E", cRecv.Enc[:], es)
	checkHex(t, "client recv H", cRecv.Mac[:], hs)
	if *sRecv != *cSend || *sSend != *cRecv {
		t.Error("the server's keys are not the client's mirrored")
	}
}

func TestVectorsForwardSecret(t *testing.T) {
	c, s, r := vectorPair(t, false)
	yC, yS := r.cWire[32:32+yLen], r.sWire[32:32+yLen]
	checkHex(t, "y_C[0:16]", yC[:16], "810870b621041df146e0a4383cae190f")
	sum := sha256.Sum256(yC)
	checkHex(t, "SHA256(y_C)", sum[:], "fff9a87ce274ac79c0171342f1ee7a892765359220a4fe0dc430ab3f4d00951e")
	sum = sha256.Sum256(yS)
	checkHex(t, "SHA256(y_S)", sum[:], "5aedc6bf4073aeb5367a143383d9fbf3b76c3efe9a5f897536761132d78d125d")
	checkHex(t, "h_C", r.cWire[32+yLen:], "a7582d973906c12854fe788bfb98178f4d20850cb5404d2fb25375f2d51daf5f")

	// y_SC itself is wiped once the keys exist; recompute it from both ends.
	var xC, xS [32]byte
	copy(xC[:], spipedtest.Seq(0x40, 32))
	copy(xS[:], spipedtest.Seq(0x60, 32))
	ySC1 := dhSharedOf((*[256]byte)(yS), &xC)
	ySC2 := dhSharedOf((*[256]byte)(yC), &xS)
	sum = sha256.Sum256(ySC1[:])
	checkHex(t, "SHA256(y_SC)", sum[:], "4100018a203c64302541f66c454cb66e00e3f98bbe996661174c92e303290a70")
	if ySC1 != ySC2 {
		t.Error("the two ends' y_SC differ")
	}
	cSend, _ := c.Keys()
	checkHex(t, "E_C", cSend.Enc[:], "dc95cc1bcbfca61be9d603e35b24fa7c1e13a7b86b1aae727ced94c9786caa08")
	_, sRecv := s.Keys()
	if *sRecv != *cSend {
		t.Error("the server's receive keys are not the client's send keys")
	}
	pkt := make([]byte, PacketSize)
	copy(pkt, "hello")
	NewSealer(cSend).Seal(pkt, 5)
	checkHex(t, "C->S packet 0 mac", pkt[PacketSize-32:], "951dccca51120740d718732c160844ad5ac3af5b6a14ffa2109e81e09a6f7dbb")
}
