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

// withIFMA runs f with the IFMA exponentiations switched on or off, and
// switches back: the tests and benchmarks that compare the two paths in one
// process. Nothing here runs in parallel.
func withIFMA(on bool, f func()) {
	saved := dhIFMA
	dhIFMA = on
	defer func() { dhIFMA = saved }()
	f()
}

// TestAMM52Bounds feeds amm52 the largest inputs it accepts, just below 2p,
// and values with every limb at 2^52-1 that are not, to check the limbs
// come out normalized and the value below 2p.
func TestAMM52Bounds(t *testing.T) {
	if !hasIFMA {
		t.Skip("no AVX-512 IFMA")
	}
	p := bigP(t)
	p2 := new(big.Int).Lsh(p, 1)
	rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 2080), p)
	g := dhGroup52()
	big52 := func(x *big.Int) (z nat52) {
		for k := range z {
			z[k] = new(big.Int).Rsh(x, uint(52*k)).Uint64() & mask52
		}
		return z
	}
	ins := []*big.Int{new(big.Int).Sub(p2, big.NewInt(1)), new(big.Int).Sub(p2, big.NewInt(2)),
		p, new(big.Int).Add(p, big.NewInt(1)), new(big.Int).Lsh(big.NewInt(1), 2048),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1)), big.NewInt(0), big.NewInt(1)}
	for _, a := range ins {
		for _, b := range ins {
			a52, b52 := big52(a), big52(b)
			var z nat52
			amm52(&z, &a52, &b52, &g.p)
			got := nat52ToBig(&z)
			want := new(big.Int).Mul(a, b)
			want.Mul(want, rInv).Mod(want, p)
			if got.Cmp(p2) >= 0 || new(big.Int).Mod(got, p).Cmp(want) != 0 {
				t.Fatalf("amm52(%x, %x) = %x, want %x mod p, below 2p", a, b, got, want)
			}
		}
	}
	// Limbs all 2^52-1: 2^2080-1, far above 2p; the output must still be
	// congruent and normalized, as the limbs' bound is what the lanes rely on.
	var ones nat52
	for k := range ones {
		ones[k] = mask52
	}
	var z nat52
	amm52(&z, &ones, &g.one, &g.p)
	want := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2080), big.NewInt(1))
	want.Mod(want, p)
	if new(big.Int).Mod(nat52ToBig(&z), p).Cmp(want) != 0 {
		t.Fatal("amm52(2^2080-1, R') is not 2^2080-1 mod p")
	}
	for k, v := range z {
		if v > mask52 {
			t.Fatalf("limb %d not normalized: %#x", k, v)
		}
	}
}

// TestGroup52 checks the IFMA constants against math/big.
func TestGroup52(t *testing.T) {
	if !hasIFMA {
		t.Skip("no AVX-512 IFMA")
	}
	p := bigP(t)
	p2 := new(big.Int).Lsh(p, 1)
	g, g64 := dhGroup52(), dhGroup()
	check := func(name string, x *nat52, want *big.Int) {
		t.Helper()
		got := nat52ToBig(x)
		if got.Cmp(p2) >= 0 || new(big.Int).Mod(got, p).Cmp(new(big.Int).Mod(want, p)) != 0 {
			t.Fatalf("%s = %x, want %x mod p, below 2p", name, got, want)
		}
	}
	if nat52ToBig(&g.p).Cmp(p) != 0 {
		t.Fatal("p in radix 2^52 is not p")
	}
	check("one", &g.one, new(big.Int).Lsh(big.NewInt(1), 2080))
	check("rr", &g.rr, new(big.Int).Exp(big.NewInt(2), big.NewInt(4160), p))
	two32 := new(big.Int).Lsh(big.NewInt(1), 32)
	for j := range g.comb {
		for v := range g.comb[j] {
			want := natToBig(&g64.comb[j][v])
			if j == 0 {
				if got := nat52ToBig(&g.comb[j][v]); got.Cmp(want) != 0 {
					t.Fatalf("comb[0][%d] = %x, want the plain %x", v, got, want)
				}
				continue
			}
			check("comb entry", &g.comb[j][v], want.Mul(want, two32))
		}
	}
}

func TestCtSelect52(t *testing.T) {
	if !hasIFMA {
		t.Skip("no AVX-512 IFMA")
	}
	var table [16]nat52
	for v := range table {
		for k := range table[v] {
			table[v][k] = uint64(v)<<32 | uint64(k)
		}
	}
	for idx := range uint64(len(table)) {
		var z nat52
		ctSelect52(&z, &table[0], len(table), idx)
		if z != table[idx] {
			t.Fatalf("ctSelect52(%d) = %x, want %x", idx, z, table[idx])
		}
	}
	var z nat52
	z[3] = 7
	ctSelect52(&z, &table[0], len(table), 16)
	if z != (nat52{}) {
		t.Fatalf("ctSelect52 with an index past the table = %x, want zero", z)
	}
}

// TestDHIFMAAgainstADXAndBig runs both exponentiations on both paths for
// the edge bases (0, 1, 2, p-1, p-2, 2^2047, the largest below p) and
// exponents (x = 0, 1, all ones: only the fixed 2^258 part, and the most
// multiplications) and random ones, against math/big.
func TestDHIFMAAgainstADXAndBig(t *testing.T) {
	if !hasIFMA || !dhIFMA {
		t.Skip("the IFMA path is not live here")
	}
	p := bigP(t)
	xs := testExponents(t, 8)
	bases := testOperands(t, 6)
	for _, x := range xs {
		want := new(big.Int).Exp(big.NewInt(2), exponent(&x), p)
		var yIFMA, yADX [256]byte
		withIFMA(true, func() { yIFMA = dhPublicOf(&x) })
		withIFMA(false, func() { yADX = dhPublicOf(&x) })
		if new(big.Int).SetBytes(yIFMA[:]).Cmp(want) != 0 || yADX != yIFMA {
			t.Fatalf("dhPublic(%x): IFMA and ADX paths disagree with math/big", x)
		}
		for _, base := range bases {
			var yb, zIFMA, zADX [256]byte
			base.FillBytes(yb[:])
			want := new(big.Int).Exp(base, exponent(&x), p)
			withIFMA(true, func() { zIFMA = dhSharedOf(&yb, &x) })
			withIFMA(false, func() { zADX = dhSharedOf(&yb, &x) })
			if new(big.Int).SetBytes(zIFMA[:]).Cmp(want) != 0 || zADX != zIFMA {
				t.Fatalf("dhShared(%x, %x): IFMA and ADX paths disagree with math/big", base, x)
			}
		}
	}
}

// TestFinish52 checks the way out of radix 2^52 for values from 0 to 2p-1,
// which the exponentiations' last products can be: the result is below p.
func TestFinish52(t *testing.T) {
	p := bigP(t)
	p2 := new(big.Int).Lsh(p, 1)
	for _, x := range []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(p, big.NewInt(1)), p,
		new(big.Int).Add(p, big.NewInt(1)), new(big.Int).Lsh(big.NewInt(1), 2048), new(big.Int).Sub(p2, big.NewInt(1))} {
		var x52 nat52
		for k := range x52 {
			x52[k] = new(big.Int).Rsh(x, uint(52*k)).Uint64() & mask52
		}
		var out [256]byte
		finish52(&out, &x52)
		if got, want := new(big.Int).SetBytes(out[:]), new(big.Int).Mod(x, p); got.Cmp(want) != 0 {
			t.Errorf("finish52(%x) = %x, want %x", x, got, want)
		}
	}
}

// TestDHScratchClearedADX is TestDHScratchCleared on the ADX path, which
// that test does not reach where the IFMA path is live.
func TestDHScratchClearedADX(t *testing.T) {
	if !dhIFMA {
		t.Skip("the IFMA path is not live: TestDHScratchCleared covers this path")
	}
	withIFMA(false, func() { TestDHScratchCleared(t) })
}

// BenchmarkDHPaths measures the exponentiations and a whole forward-secret
// handshake pair on the IFMA path and on the ADX path in one run.
func BenchmarkDHPaths(b *testing.B) {
	if !hasIFMA {
		b.Skip("no AVX-512 IFMA")
	}
	for _, op := range []struct {
		name string
		f    func(*testing.B)
	}{{"FixedBase", BenchmarkDHFixedBase}, {"VarBase", BenchmarkDHVarBase}, {"Handshake", BenchmarkHandshake}} {
		for _, path := range []struct {
			name string
			ifma bool
		}{{"ifma", true}, {"adx", false}} {
			withIFMA(path.ifma, func() { b.Run(op.name+"/"+path.name, op.f) })
		}
	}
}

// BenchmarkAMM52 is one IFMA multiplication, to set beside BenchmarkMontMul
// and BenchmarkMontSqr.
func BenchmarkAMM52(b *testing.B) {
	var p52, z nat52
	toNat52(&p52, &groupP)
	toNat52(&z, &dhGroup().rr)
	cpuLoop(b, func() { amm52(&z, &z, &z, &p52) })
}
