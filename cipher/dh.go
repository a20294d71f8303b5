package cipher

import (
	"math/bits"
	"sync"
)

// Group-14 Diffie-Hellman as spiped uses it: generator 2, private exponent
// e = 2^258 + x for 32 random bytes x (big-endian), public and shared values
// 256 bytes big-endian. The exponent is secret, so both exponentiations scan
// whole tables instead of indexing them and never branch on its bits.

// combWindow is the width in bits of one digit of x in the fixed-base comb.
const combWindow = 4

// combRows is the number of digits of the 256-bit x.
const combRows = (256 + combWindow - 1) / combWindow

// group holds the constants derived from p once per process.
type group struct {
	one nat // 2^2048 mod p: 1 in Montgomery form
	rr  nat // 2^4096 mod p: converts into Montgomery form
	// comb[j][v] = 2^(v*2^(combWindow*j)) mod p in Montgomery form for j >= 1;
	// row 0 instead holds the plain value 2^(2^258) * 2^v mod p, which folds
	// the exponent's fixed 2^258 in and makes every product plain.
	comb [combRows][1 << combWindow]nat
}

// DHPath reports the live implementation of the Diffie-Hellman arithmetic:
// "amd64-ifma" (radix-2^52 Montgomery multiplication with AVX-512 IFMA and
// AVX-512 table lookups, where the CPU has them), "amd64-adx-avx2"
// (multiplications with MULX/ADCX/ADOX, table lookups with AVX2),
// "amd64-adx", "amd64-avx2" or "generic". It is fixed at start-up;
// SPIPED_NOASM=1, like the purego build tag, selects "generic", as it
// selects the portable packet path (see Path).
func DHPath() string { return dhPathName(dhIFMA, dhADX, dhAVX2) }

// dhPathName names the implementation that runs the exponentiations with
// IFMA, or else uses the ADX multiplications and the AVX2 table lookup or
// not.
func dhPathName(ifma, adx, avx2 bool) string {
	switch {
	case ifma:
		return "amd64-ifma"
	case adx && avx2:
		return "amd64-adx-avx2"
	case adx:
		return "amd64-adx"
	case avx2:
		return "amd64-avx2"
	}
	return "generic"
}

// dhGroup returns the shared constants, computing them on first use (about
// 1,500 multiplications: under 2 ms with the assembly).
var dhGroup = sync.OnceValue(newGroup)

func newGroup() *group {
	g := new(group)
	var s montScratch // only public values pass through it here
	// 2^2048 - p, which is below p.
	var borrow uint64
	for i := range g.one {
		g.one[i], borrow = bits.Sub64(0, groupP[i], borrow)
	}
	// rr = one * 2^2048 by 2048 modular doublings.
	g.rr = g.one
	for i := 0; i < 2048; i++ {
		var t nat
		var carry uint64
		for k := range t {
			t[k], carry = bits.Add64(g.rr[k], g.rr[k], carry)
		}
		subPIfCarryOrGeq(&g.rr, &t, s.hi(), carry)
	}
	// Rows j >= 1: comb[j][1] = 2^(2^(w*j)) is comb[j-1][1] squared w times.
	var two nat
	two[0] = 2
	var base nat
	montMul(&base, &two, &g.rr, &s)
	for j := 0; j < combRows; j++ {
		row := &g.comb[j]
		row[0] = g.one
		row[1] = base
		for v := 2; v < len(row); v++ {
			montMul(&row[v], &row[v-1], &base, &s)
		}
		for k := 0; k < combWindow; k++ {
			montSqr(&base, &base, &s)
		}
	}
	// Row 0 times 2^(2^258), then out of Montgomery form.
	var c nat
	montMul(&c, &two, &g.rr, &s)
	for k := 0; k < 258; k++ {
		montSqr(&c, &c, &s)
	}
	var plainOne nat
	plainOne[0] = 1
	for v := range g.comb[0] {
		e := &g.comb[0][v]
		montMul(e, e, &c, &s)
		montMul(e, e, &plainOne, &s)
	}
	return g
}

// expDigit returns bits [pos, pos+w) of the 256-bit big-endian x. The
// positions are public; only the values are secret.
func expDigit(x *[32]byte, pos, w uint) uint64 {
	var d uint64
	for b := uint(0); b < w; b++ {
		if i := pos + b; i < 256 {
			d |= uint64(x[31-i/8]>>(i%8)&1) << b
		}
	}
	return d
}

// dhPublicMont sets y = 2^(2^258 + x) mod p with the fixed-base comb:
// combRows-1 multiplications and no squaring. s is the multiplications'
// working memory, whose products would reveal digits of x: dhPublic leaves
// it zero. dhPublic runs it unless the IFMA path is live.
func dhPublicMont(y *[256]byte, x *[32]byte, s *montScratch) {
	g := dhGroup()
	var acc, sel nat
	ctSelect(&acc, g.comb[0][:], expDigit(x, 0, combWindow))
	for j := 1; j < combRows; j++ {
		ctSelect(&sel, g.comb[j][:], expDigit(x, uint(j*combWindow), combWindow))
		montMul(&acc, &acc, &sel, s)
	}
	acc.putBytes(y)
	clear(acc[:])
	clear(sel[:])
	clear(s[:])
}

// dhSharedMont sets z = yPeer^(2^258 + x) mod p with a fixed 4-bit window.
// yPeer must be below p (the handshake checks it first). z is the shared
// secret: it is written where the caller keeps (and wipes) it rather than
// returned through a stack temporary, and s, the multiplications' working
// memory, ends up holding a copy of it: dhSharedMont leaves s zero.
// dhShared runs it unless the IFMA path is live.
func dhSharedMont(z, yPeer *[256]byte, x *[32]byte, s *montScratch) {
	g := dhGroup()
	y := natFromBytes(yPeer)
	var tbl [16]nat // tbl[k] = y^k in Montgomery form
	tbl[0] = g.one
	montMul(&tbl[1], &y, &g.rr, s)
	for k := 2; k < len(tbl); k++ {
		if k%2 == 0 {
			montSqr(&tbl[k], &tbl[k/2], s)
		} else {
			montMul(&tbl[k], &tbl[k-1], &tbl[1], s)
		}
	}
	// The top digit of e, bits 256..259, is the public 4 (2^258).
	acc := tbl[4]
	var sel nat
	for j := 256/4 - 1; j >= 0; j-- {
		montSqr(&acc, &acc, s)
		montSqr(&acc, &acc, s)
		montSqr(&acc, &acc, s)
		montSqr(&acc, &acc, s)
		ctSelect(&sel, tbl[:], expDigit(x, uint(4*j), 4))
		montMul(&acc, &acc, &sel, s)
	}
	var plainOne nat
	plainOne[0] = 1
	montMul(&acc, &acc, &plainOne, s)
	acc.putBytes(z)
	clear(tbl[:])
	clear(acc[:])
	clear(sel[:])
	clear(s[:])
}

// dhCheck reports whether y < p and whether y == 1, in constant time.
func dhCheck(yb *[256]byte) (belowP, isOne bool) {
	y := natFromBytes(yb)
	var rest uint64
	for _, v := range y[1:] {
		rest |= v
	}
	one := ctEqMask(rest|(y[0]^1), 0)
	return y.lessThanP() == 1, one != 0
}
