package cipher

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// secretForms returns the 256-byte big-endian secret v as the forms it can
// take in memory: the bytes themselves (the KDF salt) and the little-endian
// limbs of a nat, both plain and in Montgomery form (v * 2^2048 mod p).
func secretForms(t testing.TB, v *[256]byte) map[string][]byte {
	p := bigP(t)
	mont := new(big.Int).Lsh(new(big.Int).SetBytes(v[:]), 2048)
	mont.Mod(mont, p)
	var mb [256]byte
	mont.FillBytes(mb[:])
	plain, montNat := natFromBytes(v), natFromBytes(&mb)
	return map[string][]byte{
		"big-endian bytes":       bytes.Clone(v[:]),
		"limbs":                  bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&plain)), unsafe.Sizeof(plain))),
		"limbs, Montgomery":      bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&montNat)), unsafe.Sizeof(montNat))),
		"big-endian, Montgomery": bytes.Clone(mb[:]),
	}
}

// findSecret reports where in mem 8 aligned bytes of each form of the
// secret occur (the first such place per form): a leftover copy, whole or
// in part. It returns nil when there is none.
func findSecret(mem []byte, forms map[string][]byte) error {
	names := make([]string, 0, len(forms))
	for name := range forms {
		names = append(names, name)
	}
	slices.Sort(names)
	var found []string
	for _, name := range names {
		f := forms[name]
		for i := 0; i+8 <= len(f); i += 8 {
			w := f[i : i+8]
			if bytes.Equal(w, make([]byte, 8)) {
				continue
			}
			if at := bytes.Index(mem, w); at >= 0 {
				found = append(found, fmt.Sprintf("bytes %d..%d of the secret (%s) at offset %d", i, i+8, name, at))
				break
			}
		}
	}
	if found == nil {
		return nil
	}
	return errors.New(strings.Join(found, "; "))
}

func bytesOf[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// TestDHScratchCleared runs both exponentiations with a scratch whose
// contents the test can read afterwards: the last multiplication of dhShared
// leaves y_SC (or y_SC + p) in it, so unless it is cleared the shared secret
// outlives the exponentiation there.
func TestDHScratchCleared(t *testing.T) {
	p := bigP(t)
	for i, x := range testExponents(t, 3) {
		var x2 [32]byte
		rand.Read(x2[:])
		var s montScratch
		var yPeer, z [256]byte
		dhPublic(&yPeer, &x2, &s)
		if s != (montScratch{}) {
			t.Errorf("exponent %d: dhPublic left its scratch non-zero", i)
		}
		var s2 montScratch
		dhShared(&z, &yPeer, &x, &s2)
		want := new(big.Int).Exp(new(big.Int).SetBytes(yPeer[:]), exponent(&x), p)
		if new(big.Int).SetBytes(z[:]).Cmp(want) != 0 {
			t.Fatalf("exponent %d: dhShared wrong", i)
		}
		if err := findSecret(bytesOf(&s2), secretForms(t, &z)); err != nil {
			t.Errorf("exponent %d: dhShared's scratch still holds y_SC: %v", i, err)
		}
		if s2 != (montScratch{}) {
			t.Errorf("exponent %d: dhShared left its scratch non-zero", i)
		}
	}
}

// TestHMACScratchCleared derives dk2 blocks from a salt that contains y_SC,
// as deriveKeys does, and then looks for y_SC and the padded key in the
// HMAC's scratch.
func TestHMACScratchCleared(t *testing.T) {
	var key [32]byte
	var nonces [2 * nonceLen]byte
	var ySC [256]byte
	rand.Read(key[:])
	rand.Read(nonces[:])
	rand.Read(ySC[:])
	var s hmacScratch
	var dk2 [4][32]byte
	d := sha256.New()
	pbkdf2Blocks([]*[32]byte{&dk2[0], &dk2[1], &dk2[2], &dk2[3]}, &key, nonces[:], ySC[:], d, &s)
	if st, _ := d.(encoding.BinaryMarshaler).MarshalBinary(); !bytes.Equal(st, freshSHA256State(t)) {
		t.Error("pbkdf2Blocks left its digest holding state")
	}
	salt := append(nonces[:], ySC[:]...)
	var idx [4]byte
	for i := range dk2 {
		idx[3] = byte(i + 1)
		m := hmacMAC(key[:], salt, idx[:])
		if dk2[i] != m {
			t.Fatalf("block %d differs from crypto/hmac", i+1)
		}
	}
	if err := findSecret(bytesOf(&s), secretForms(t, &ySC)); err != nil {
		t.Fatalf("the HMAC scratch still holds y_SC: %v", err)
	}
	if s != (hmacScratch{}) {
		t.Fatal("pbkdf2Blocks left its scratch non-zero")
	}
}

// hmacMAC is HMAC-SHA256 by the book, for comparison.
func hmacMAC(key []byte, parts ...[]byte) (mac [32]byte) {
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	h := sha256.New()
	h.Write(ipad[:])
	for _, p := range parts {
		h.Write(p)
	}
	inner := h.Sum(nil)
	h.Reset()
	h.Write(opad[:])
	h.Write(inner)
	h.Sum(mac[:0])
	return mac
}

// TestHandshakeLeavesNoSharedSecret runs the §8 handshake and then searches
// every byte of both finished machines, the exponentiation and HMAC scratch
// included, for y_SC in any form. Only the four keys may remain.
func TestHandshakeLeavesNoSharedSecret(t *testing.T) {
	c, s, r := vectorPair(t, false)
	var xC [32]byte
	copy(xC[:], spipedtest.Seq(0x40, 32))
	ySC := dhSharedOf((*[256]byte)(r.sWire[32:32+yLen]), &xC)
	forms := secretForms(t, &ySC)
	for _, side := range []struct {
		name string
		h    *Handshake
	}{{"client", c}, {"server", s}} {
		if err := findSecret(bytesOf(side.h), forms); err != nil {
			t.Errorf("%s after StepDone: %v", side.name, err)
		}
		if side.h.mont != (montScratch{}) || side.h.hmac != (hmacScratch{}) {
			t.Errorf("%s after StepDone: scratch not zero", side.name)
		}
	}
}

// freshSHA256State is the marshaled state of a new SHA-256 digest.
func freshSHA256State(t *testing.T) []byte {
	st, err := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
