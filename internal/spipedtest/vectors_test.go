package spipedtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hexOf(s[:]) }

// vectorPeers builds both ends of the §8 handshake without a network.
func vectorPeers(fast bool) (c, s *Peer) {
	k := sha256.Sum256(nil)
	c = &Peer{Client: true, Key: k[:], NonceC: Seq(0, 32), NonceS: Seq(0x20, 32)}
	s = &Peer{Client: false, Key: k[:], NonceC: Seq(0, 32), NonceS: Seq(0x20, 32)}
	for _, p := range []*Peer{c, s} {
		dk1 := PBKDF2SHA256(p.Key, Cat(p.NonceC, p.NonceS), 64)
		p.DHMACC, p.DHMACS = dk1[:32], dk1[32:]
	}
	if fast {
		c.GenY(true)
		s.GenY(true)
	} else {
		c.Rand, s.Rand = bytes.NewReader(Seq(0x40, 32)), bytes.NewReader(Seq(0x60, 32))
		c.GenY(false)
		s.GenY(false)
	}
	c.KeysFrom(c.SharedSecret(s.Y))
	s.KeysFrom(s.SharedSecret(c.Y))
	return c, s
}

func TestHarnessVectors(t *testing.T) {
	c, s := vectorPeers(true)
	check := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	check("dhmac_C", hexOf(c.DHMACC), "7904361d53e2664a0dbd4796a70e54bd4982586a0b0ba1d9179250c1b3fd64de")
	check("dhmac_S", hexOf(c.DHMACS), "a4d01c3926fabc66368149404b6311c23f65f3ef576f44d7849e3424c4d0c909")
	check("h_C fast", hexOf(DHMessage(c.Y, c.OurMACKey())[DHLen:]), "445978f48035127230029720ecc9d51cf6c097b8c7fc1ba53ac804fe61e06aad")
	check("h_S fast", hexOf(DHMessage(s.Y, s.OurMACKey())[DHLen:]), "4e98e1033845bb0d0f6d64ab3b754af49ade2a3b3f3e4ddf9e2f9b0232aa7496")
	check("E_C", hexOf(c.Send.Enc), "3e812f0e1130dfd79ce80aad9c322a0c80d72c82f8c032f3d6d5df597018250f")
	check("H_C", hexOf(c.Send.MAC), "6d0d5168f2a0af0e4c9212b224e56adc0d4320fc238122ccf2fd6edd7c47a065")
	check("E_S", hexOf(s.Send.Enc), "31587b6956f7b11a9023b6d6122eb366f2cdab56f5060a7e227e15c79d843bc3")
	check("H_S", hexOf(s.Send.MAC), "a553c4d44a3bc9304e497bf1739895e1bc715f817086ff1fd96fc589f259fceb")
	p0 := c.SealNext([]byte("hello"))
	check("C->S 0 ct", hexOf(p0[:16]), "58c902c0db9fddeec4eb95d70054aca8")
	check("C->S 0 mac", hexOf(p0[MaxMessage+4:]), "9614ec84a746c248f094fa629267466ea7a03a0eff92961aeda9282cd266c97b")
	check("C->S 0 sha", sha256Hex(p0), "b8f6cf12df7f9b8ada4fbcec81387ec78284533330c746823e6595e7e8367e05")
	check("C->S 1 ct", hexOf(c.SealNext([]byte("hello"))[:16]), "607cbc869dc9c3e543e9f2d7a4b265f3")
	q0 := s.SealNext([]byte("hello"))
	check("S->C 0 ct", hexOf(q0[:16]), "152e3dad0fba4e7df7c170e1d5943234")
	check("S->C 0 mac", hexOf(q0[MaxMessage+4:]), "71d46e39592944d31ebd876c4b602a005148f675e6e87bf349cf4c54f8e1fc46")
	if m, err := OpenPacket(s.Recv, 0, p0); err != nil || string(m) != "hello" {
		t.Errorf("openPacket(C->S 0) = %q, %v", m, err)
	}

	c, s = vectorPeers(false)
	check("y_C[0:16]", hexOf(c.Y[:16]), "810870b621041df146e0a4383cae190f")
	check("SHA256(y_C)", sha256Hex(c.Y), "fff9a87ce274ac79c0171342f1ee7a892765359220a4fe0dc430ab3f4d00951e")
	check("SHA256(y_S)", sha256Hex(s.Y), "5aedc6bf4073aeb5367a143383d9fbf3b76c3efe9a5f897536761132d78d125d")
	check("h_C", hexOf(DHMessage(c.Y, c.OurMACKey())[DHLen:]), "a7582d973906c12854fe788bfb98178f4d20850cb5404d2fb25375f2d51daf5f")
	check("SHA256(y_SC)", sha256Hex(c.SharedSecret(s.Y)), "4100018a203c64302541f66c454cb66e00e3f98bbe996661174c92e303290a70")
	check("E_C", hexOf(c.Send.Enc), "dc95cc1bcbfca61be9d603e35b24fa7c1e13a7b86b1aae727ced94c9786caa08")
	check("C->S 0 mac", hexOf(c.SealNext([]byte("hello"))[MaxMessage+4:]), "951dccca51120740d718732c160844ad5ac3af5b6a14ffa2109e81e09a6f7dbb")
}

// driveHandshake runs a cipher.Handshake over c and returns the bytes read

// The hostile peer's y computations are only as good as the prime.
func TestHarnessPrime(t *testing.T) {
	if Group14P().BitLen() != 2048 || !Group14P().ProbablyPrime(8) {
		t.Fatal("group14P is not the 2048-bit MODP prime")
	}
	q := new(big.Int).Rsh(Group14P(), 1)
	if !q.ProbablyPrime(8) {
		t.Fatal("group14P is not a safe prime")
	}
}
