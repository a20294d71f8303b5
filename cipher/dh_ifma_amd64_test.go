//go:build !purego

package cipher

import (
	"math/big"
	"testing"
)

func nat52ToBig(x *nat52) *big.Int {
	z := new(big.Int)
	for k := nat52Limbs - 1; k >= 0; k-- {
		z.Lsh(z, 52)
		z.Add(z, new(big.Int).SetUint64(x[k]))
	}
	return z
}

func TestAMM52AgainstBig(t *testing.T) {
	if !hasIFMA {
		t.Skip("no AVX-512 IFMA")
	}
	p := bigP(t)
	p2 := new(big.Int).Lsh(p, 1)
	rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 2080), p)
	var p52 nat52
	toNat52(&p52, &groupP)
	if nat52ToBig(&p52).Cmp(p) != 0 {
		t.Fatal("toNat52(p) != p")
	}
	ops := testOperands(t, 20)
	for _, a := range ops {
		for _, b := range ops {
			an, bn := bigToNat(a), bigToNat(b)
			var a52, b52, z52 nat52
			toNat52(&a52, &an)
			toNat52(&b52, &bn)
			amm52(&z52, &a52, &b52, &p52)
			got := nat52ToBig(&z52)
			for k, v := range z52 {
				if v > mask52 {
					t.Fatalf("limb %d not normalized: %#x", k, v)
				}
			}
			want := new(big.Int).Mul(a, b)
			want.Mul(want, rInv).Mod(want, p)
			if got.Cmp(p2) >= 0 || new(big.Int).Mod(got, p).Cmp(want) != 0 {
				t.Fatalf("amm52(%x, %x) = %x, want %x (mod p)", a, b, got, want)
			}
			var back nat
			top := fromNat52(&back, &z52)
			gotBack := natToBig(&back)
			gotBack.Add(gotBack, new(big.Int).Lsh(new(big.Int).SetUint64(top), 2048))
			if gotBack.Cmp(got) != 0 {
				t.Fatalf("fromNat52 = %x, want %x", gotBack, got)
			}
		}
	}
}

func BenchmarkAMM52(b *testing.B) {
	var p52, z nat52
	toNat52(&p52, &groupP)
	toNat52(&z, &dhGroup().rr)
	cpuLoop(b, func() { amm52(&z, &z, &z, &p52) })
}
