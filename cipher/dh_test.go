package cipher

import (
	"crypto/rand"
	"math/big"
	"testing"

	"filippo.io/bigmod"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// bigP is the group-14 prime of RFC 3526, from the test kit (its own
// copy of the RFC's digits), to check groupP and every result against.
func bigP(testing.TB) *big.Int { return spipedtest.Group14P() }

func natToBig(z *nat) *big.Int {
	var b [256]byte
	z.putBytes(&b)
	return new(big.Int).SetBytes(b[:])
}

func bigToNat(x *big.Int) nat {
	var b [256]byte
	x.FillBytes(b[:])
	return natFromBytes(&b)
}

func TestGroupPrime(t *testing.T) {
	p := bigP(t)
	if natToBig(&groupP).Cmp(p) != 0 {
		t.Fatal("groupP is not RFC 3526 group 14")
	}
	if groupP[0] != ^uint64(0) {
		t.Fatal("montMulGeneric assumes p = -1 mod 2^64")
	}
	g := dhGroup()
	r := new(big.Int).Lsh(big.NewInt(1), 2048)
	if natToBig(&g.one).Cmp(new(big.Int).Mod(r, p)) != 0 {
		t.Error("one != 2^2048 mod p")
	}
	if natToBig(&g.rr).Cmp(new(big.Int).Exp(r, big.NewInt(2), p)) != 0 {
		t.Error("rr != 2^4096 mod p")
	}
}

// testOperands are random values below p plus the edges.
func testOperands(t testing.TB, n int) []*big.Int {
	p := bigP(t)
	ops := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2),
		new(big.Int).Sub(p, big.NewInt(1)), new(big.Int).Sub(p, big.NewInt(2)),
		new(big.Int).Rsh(p, 1), new(big.Int).Lsh(big.NewInt(1), 2047)}
	for range n {
		x, err := rand.Int(rand.Reader, p)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, x)
	}
	return ops
}

func TestMontMulAgainstBig(t *testing.T) {
	p := bigP(t)
	rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 2048), p)
	ops := testOperands(t, 40)
	var s montScratch
	for i, x := range ops {
		for _, y := range ops[i:] {
			a, b := bigToNat(x), bigToNat(y)
			want := new(big.Int).Mul(x, y)
			want.Mul(want, rInv).Mod(want, p)
			var z, zg nat
			montMul(&z, &a, &b, &s)
			montMulGeneric(&zg, &a, &b, &s)
			if natToBig(&z).Cmp(want) != 0 || zg != z {
				t.Fatalf("montMul(%x, %x) wrong", x, y)
			}
			if x == y {
				montSqr(&z, &a, &s)
				if natToBig(&z).Cmp(want) != 0 {
					t.Fatalf("montSqr(%x) wrong", x)
				}
			}
			// Aliased output.
			c := a
			montMul(&c, &c, &b, &s)
			if c != zg {
				t.Fatal("montMul with z == a differs")
			}
		}
	}
}

// TestMontSqrChain squares repeatedly, which walks through many values
// (with the occasional carry out of the top limb) and checks every one.
func TestMontSqrChain(t *testing.T) {
	p := bigP(t)
	rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 2048), p)
	var s montScratch
	for _, x := range testOperands(t, 3) {
		a := bigToNat(x)
		want := new(big.Int).Set(x)
		for range 300 {
			want.Mul(want, want).Mul(want, rInv).Mod(want, p)
			var g nat
			montMulGeneric(&g, &a, &a, &s)
			montSqr(&a, &a, &s)
			if natToBig(&a).Cmp(want) != 0 || g != a {
				t.Fatalf("montSqr chain from %x went wrong", x)
			}
		}
	}
}

// dhPublicOf and dhSharedOf are dhPublic and dhShared with a scratch of
// their own, returning the result.
func dhPublicOf(x *[32]byte) (y [256]byte) {
	var s montScratch
	dhPublic(&y, x, &s)
	return y
}

func dhSharedOf(yPeer *[256]byte, x *[32]byte) (z [256]byte) {
	var s montScratch
	dhShared(&z, yPeer, x, &s)
	return z
}

// exponent returns 2^258 + x as a big.Int.
func exponent(x *[32]byte) *big.Int {
	e := new(big.Int).SetBytes(x[:])
	return e.Add(e, new(big.Int).Lsh(big.NewInt(1), 258))
}

func testExponents(t testing.TB, n int) [][32]byte {
	xs := [][32]byte{{}, {31: 1}}
	var ff [32]byte
	for i := range ff {
		ff[i] = 0xff
	}
	xs = append(xs, ff)
	for range n {
		var x [32]byte
		rand.Read(x[:])
		xs = append(xs, x)
	}
	return xs
}

func TestDHPublicAgainstBig(t *testing.T) {
	p := bigP(t)
	for _, x := range testExponents(t, 30) {
		want := new(big.Int).Exp(big.NewInt(2), exponent(&x), p)
		y := dhPublicOf(&x)
		if new(big.Int).SetBytes(y[:]).Cmp(want) != 0 {
			t.Fatalf("dhPublicOf(%x) wrong", x)
		}
	}
}

func TestDHSharedAgainstBig(t *testing.T) {
	p := bigP(t)
	xs := testExponents(t, 10)
	for i, base := range testOperands(t, 10) {
		x := xs[i%len(xs)]
		var yb [256]byte
		base.FillBytes(yb[:])
		want := new(big.Int).Exp(base, exponent(&x), p)
		z := dhSharedOf(&yb, &x)
		if new(big.Int).SetBytes(z[:]).Cmp(want) != 0 {
			t.Fatalf("dhSharedOf(%x, %x) wrong", base, x)
		}
	}
}

func TestDHAgreement(t *testing.T) {
	xs := testExponents(t, 4)
	for i := 0; i+1 < len(xs); i++ {
		a, b := xs[i], xs[i+1]
		ya, yb := dhPublicOf(&a), dhPublicOf(&b)
		if dhSharedOf(&yb, &a) != dhSharedOf(&ya, &b) {
			t.Fatal("the two sides disagree")
		}
	}
}

func TestDHCheck(t *testing.T) {
	p := bigP(t)
	cases := []struct {
		y           *big.Int
		belowP, one bool
	}{
		{big.NewInt(0), true, false},
		{big.NewInt(1), true, true},
		{big.NewInt(2), true, false},
		{new(big.Int).Lsh(big.NewInt(1), 64), true, false},
		{new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1)), true, false},
		{new(big.Int).Sub(p, big.NewInt(1)), true, false},
		{p, false, false},
		{new(big.Int).Add(p, big.NewInt(1)), false, false},
		{new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1)), false, false},
	}
	for _, c := range cases {
		var yb [256]byte
		c.y.FillBytes(yb[:])
		below, one := dhCheck(&yb)
		if below != c.belowP || one != c.one {
			t.Errorf("dhCheck(%x) = %v, %v; want %v, %v", c.y, below, one, c.belowP, c.one)
		}
	}
}

func TestCtSelect(t *testing.T) {
	var table [16]nat
	for i := range table {
		for k := range table[i] {
			table[i][k] = uint64(i*1000 + k)
		}
	}
	for i := range table {
		var z nat
		z[3] = 77 // must be overwritten
		ctSelect(&z, table[:], uint64(i))
		if z != table[i] {
			t.Fatalf("ctSelect(%d) wrong", i)
		}
		z[3] = 77
		ctSelectGeneric(&z, table[:], uint64(i))
		if z != table[i] {
			t.Fatalf("ctSelectGeneric(%d) wrong", i)
		}
	}
}

func TestExpDigit(t *testing.T) {
	var x [32]byte
	rand.Read(x[:])
	xb := new(big.Int).SetBytes(x[:])
	for _, w := range []uint{1, 4, 5, 6} {
		for pos := uint(0); pos < 256; pos += w {
			want := new(big.Int).Rsh(xb, pos)
			want.And(want, big.NewInt(1<<w-1))
			if got := expDigit(&x, pos, w); got != want.Uint64() {
				t.Fatalf("expDigit(pos %d, w %d) = %d, want %d", pos, w, got, want.Uint64())
			}
		}
	}
}

func BenchmarkCtSelect16(b *testing.B) {
	table := dhGroup().comb[1][:]
	var z nat
	var i uint64
	cpuLoop(b, func() {
		ctSelect(&z, table, i&15)
		i++
	})
}

func BenchmarkMontMul(b *testing.B) {
	z := dhGroup().rr
	var s montScratch
	cpuLoop(b, func() { montMul(&z, &z, &z, &s) })
}

func BenchmarkMontSqr(b *testing.B) {
	z := dhGroup().rr
	var s montScratch
	cpuLoop(b, func() { montSqr(&z, &z, &s) })
}

func BenchmarkDHFixedBase(b *testing.B) {
	var x [32]byte
	rand.Read(x[:])
	dhGroup()
	var y [256]byte
	var s montScratch
	cpuLoop(b, func() { dhPublic(&y, &x, &s) })
}

func BenchmarkDHVarBase(b *testing.B) {
	var x, x2 [32]byte
	rand.Read(x[:])
	rand.Read(x2[:])
	y := dhPublicOf(&x2)
	var z [256]byte
	var s montScratch
	cpuLoop(b, func() { dhShared(&z, &y, &x, &s) })
}

// BenchmarkBigmodExp is the baseline: filippo.io/bigmod's constant-time
// exponentiation with the same 259-bit exponent.
func BenchmarkBigmodExp(b *testing.B) {
	m, err := bigmod.NewModulus(bigP(b).Bytes())
	if err != nil {
		b.Fatal(err)
	}
	var x, x2 [32]byte
	rand.Read(x[:])
	rand.Read(x2[:])
	y := dhPublicOf(&x2)
	base, err := bigmod.NewNat().SetBytes(y[:], m)
	if err != nil {
		b.Fatal(err)
	}
	e := exponent(&x).Bytes()
	out := bigmod.NewNat()
	cpuLoop(b, func() { out.Exp(base, e, m) })
}
