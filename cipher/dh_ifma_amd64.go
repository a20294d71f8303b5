//go:build !purego

package cipher

import "sync"

// nat52Limbs is the number of 52-bit limbs, one per 64-bit lane, that hold
// a 2048-bit number for VPMADD52LUQ/VPMADD52HUQ: 40 limbs are 2080 bits, five
// 512-bit registers.
const nat52Limbs = 40

// nat52 is a number in radix 2^52, least significant limb first, each limb
// below 2^52 between operations.
type nat52 [nat52Limbs]uint64

// mask52 keeps the low 52 bits: one limb.
const mask52 = 1<<52 - 1

// toNat52 sets z to x in radix 2^52.
func toNat52(z *nat52, x *nat) {
	for k := range z {
		w, s := 52*k/64, uint(52*k%64)
		var v uint64
		if w < natLimbs {
			v = x[w] >> s
			if s > 12 && w+1 < natLimbs {
				v |= x[w+1] << (64 - s)
			}
		}
		z[k] = v & mask52
	}
}

// fromNat52 sets z to the low 2048 bits of x and returns the bits above
// them. The positions are public: the branches depend on k only.
func fromNat52(z *nat, x *nat52) (top uint64) {
	clear(z[:])
	for k, v := range x {
		w, s := 52*k/64, uint(52*k%64)
		z[w] |= v << s
		if s > 12 {
			if w+1 < natLimbs {
				z[w+1] |= v >> (64 - s)
			} else {
				top |= v >> (64 - s)
			}
		}
	}
	return top
}

// amm52 sets z = a*b/2^2080 mod p, below 2p when a and b are below 2p,
// limbs normalized: an almost Montgomery multiplication, whose results feed
// the next one without a reduction below p. Every limb of a, b and p must
// be below 2^52 (VPMADD52 reads 52 bits); z may alias a or b.
//
//go:noescape
func amm52(z, a, b, p *nat52)

// ctSelect52 sets z = table[idx] for a table of n entries, reading every
// entry under an AVX-512 mask so that neither the addresses nor the timing
// depend on idx. n must be at least 1.
//
//go:noescape
func ctSelect52(z *nat52, table *nat52, n int, idx uint64)

// clearVec zeroes the vector registers amm52 and ctSelect52 use (Z0-Z19,
// K1 and K2), which hold secret-derived values after an exponentiation:
// VZEROUPPER leaves their low halves, and nothing clears Z16-Z31.
func clearVec()

// group52 holds the constants of the IFMA exponentiations, in radix 2^52
// and Montgomery form with R' = 2^2080.
type group52 struct {
	p   nat52
	one nat52 // 2^2080 mod p
	rr  nat52 // 2^4160 mod p
	// comb is group.comb in radix 2^52: row 0 plain (below p), the other
	// rows times R' instead of 2^2048 (below 2p).
	comb [combRows][1 << combWindow]nat52
}

// dhGroup52 returns the IFMA constants, derived from dhGroup on first use
// (about 1,030 multiplications: well under a millisecond).
var dhGroup52 = sync.OnceValue(newGroup52)

func newGroup52() *group52 {
	g64 := dhGroup()
	g := new(group52)
	toNat52(&g.p, &groupP)
	// c = 2^2112 mod p = amm52(2^4096, 2^96) turns x*2^2048 into x*2^2080.
	var rr64, two96, c nat52
	toNat52(&rr64, &g64.rr)
	two96[1] = 1 << 44
	amm52(&c, &rr64, &two96, &g.p)
	var one64 nat52
	toNat52(&one64, &g64.one)
	amm52(&g.one, &c, &one64, &g.p) // 2^(2112+2048-2080)
	var t nat52
	amm52(&t, &c, &c, &g.p)       // 2^2144
	amm52(&g.rr, &t, &rr64, &g.p) // 2^(2144+4096-2080)
	for j := range g.comb {
		for v := range g.comb[j] {
			e := &g.comb[j][v]
			toNat52(e, &g64.comb[j][v])
			if j > 0 {
				amm52(e, e, &c, &g.p)
			}
		}
	}
	return g
}

// finish52 sets z to the plain a (below 2p) reduced below p, as 256 bytes.
func finish52(z *[256]byte, a *nat52) {
	var t, r nat
	top := fromNat52(&t, a)
	subPIfCarryOrGeq(&t, &t, &r, top)
	t.putBytes(z)
	clear(t[:])
	clear(r[:])
}

// dhPublicIFMA is dhPublicMont in radix 2^52 with amm52: the same comb, 63
// multiplications of table entries chosen by the digits of x.
func dhPublicIFMA(y *[256]byte, x *[32]byte) {
	g := dhGroup52()
	var acc, sel nat52
	ctSelect52(&acc, &g.comb[0][0], len(g.comb[0]), expDigit(x, 0, combWindow))
	for j := 1; j < combRows; j++ {
		ctSelect52(&sel, &g.comb[j][0], len(g.comb[j]), expDigit(x, uint(j*combWindow), combWindow))
		amm52(&acc, &acc, &sel, &g.p)
	}
	finish52(y, &acc)
	clear(acc[:])
	clear(sel[:])
	clearVec()
}

// dhSharedIFMA is dhSharedMont in radix 2^52 with amm52: the same fixed
// 4-bit window over the same table of powers, 256 squarings and 64
// multiplications. z is the shared secret, written where the caller keeps
// (and wipes) it.
func dhSharedIFMA(z, yPeer *[256]byte, x *[32]byte) {
	g := dhGroup52()
	y := natFromBytes(yPeer)
	var y52 nat52
	toNat52(&y52, &y)
	var tbl [16]nat52 // tbl[k] = y^k times R', below 2p
	tbl[0] = g.one
	amm52(&tbl[1], &y52, &g.rr, &g.p)
	for k := 2; k < len(tbl); k++ {
		if k%2 == 0 {
			amm52(&tbl[k], &tbl[k/2], &tbl[k/2], &g.p)
		} else {
			amm52(&tbl[k], &tbl[k-1], &tbl[1], &g.p)
		}
	}
	// The top digit of e, bits 256..259, is the public 4 (2^258).
	acc := tbl[4]
	var sel nat52
	for j := 256/4 - 1; j >= 0; j-- {
		amm52(&acc, &acc, &acc, &g.p)
		amm52(&acc, &acc, &acc, &g.p)
		amm52(&acc, &acc, &acc, &g.p)
		amm52(&acc, &acc, &acc, &g.p)
		ctSelect52(&sel, &tbl[0], len(tbl), expDigit(x, uint(4*j), 4))
		amm52(&acc, &acc, &sel, &g.p)
	}
	// Out of Montgomery form: acc*1/R' is at most p, which finish52 maps to 0.
	var plainOne nat52
	plainOne[0] = 1
	amm52(&acc, &acc, &plainOne, &g.p)
	finish52(z, &acc)
	clear(y[:])
	clear(y52[:])
	clear(tbl[:])
	clear(acc[:])
	clear(sel[:])
	clearVec()
}
