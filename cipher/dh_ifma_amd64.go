//go:build !purego

package cipher

// nat52Limbs is the number of 52-bit limbs, one per 64-bit lane, that hold
// a 2048-bit number for VPMADD52LUQ/VPMADD52HUQ: 40 limbs are 2080 bits, five
// 512-bit registers.
const nat52Limbs = 40

// nat52 is a number in radix 2^52, least significant limb first, each limb
// below 2^52 between operations.
type nat52 [nat52Limbs]uint64

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
// limbs normalized: an almost Montgomery multiplication.
//
//go:noescape
func amm52(z, a, b, p *nat52)
