package cipher

import "math/bits"

// This file is 2048-bit Montgomery arithmetic modulo the group-14 prime,
// written for one modulus only. Every routine runs the same instructions and
// touches the same addresses whatever the values, because the values are
// derived from a secret exponent.

// natLimbs is the number of 64-bit limbs of a 2048-bit number.
const natLimbs = 32

// nat is a 2048-bit number, least significant limb first.
type nat [natLimbs]uint64

// groupP is the RFC 3526 group-14 prime, 2^2048 - 2^1984 - 1 + 2^64*(floor(2^1918*pi) + 124476).
// Its lowest limb is 2^64-1, so -p^-1 mod 2^64 = 1: the Montgomery factor of
// each reduction step is the low limb itself, and montMulGeneric relies on it.
var groupP = nat{
	0xffffffffffffffff, 0x15728e5a8aacaa68, 0x15d2261898fa0510, 0x3995497cea956ae5,
	0xde2bcbf695581718, 0xb5c55df06f4c52c9, 0x9b2783a2ec07a28f, 0xe39e772c180e8603,
	0x32905e462e36ce3b, 0xf1746c08ca18217c, 0x670c354e4abc9804, 0x9ed529077096966d,
	0x1c62f356208552bb, 0x83655d23dca3ad96, 0x69163fa8fd24cf5f, 0x98da48361c55d39a,
	0xc2007cb8a163bf05, 0x49286651ece45b3d, 0xae9f24117c4b1fe6, 0xee386bfb5a899fa5,
	0x0bff5cb6f406b7ed, 0xf44c42e9a637ed6b, 0xe485b576625e7ec6, 0x4fe1356d6d51c245,
	0x302b0a6df25f1437, 0xef9519b3cd3a431b, 0x514a08798e3404dd, 0x020bbea63b139b22,
	0x29024e088a67cc74, 0xc4c6628b80dc1cd1, 0xc90fdaa22168c234, 0xffffffffffffffff,
}

// natFromBytes reads a 256-byte big-endian number.
func natFromBytes(b *[256]byte) (z nat) {
	for i := range z {
		o := 256 - 8*(i+1)
		z[i] = uint64(b[o])<<56 | uint64(b[o+1])<<48 | uint64(b[o+2])<<40 | uint64(b[o+3])<<32 |
			uint64(b[o+4])<<24 | uint64(b[o+5])<<16 | uint64(b[o+6])<<8 | uint64(b[o+7])
	}
	return z
}

// putBytes writes z as 256 big-endian bytes.
func (z *nat) putBytes(b *[256]byte) {
	for i, v := range z {
		o := 256 - 8*(i+1)
		for k := 0; k < 8; k++ {
			b[o+7-k] = byte(v >> (8 * k))
		}
	}
}

// lessThanP reports, in constant time, whether z < p (1) or not (0).
func (z *nat) lessThanP() uint64 {
	var borrow uint64
	for i := range z {
		_, borrow = bits.Sub64(z[i], groupP[i], borrow)
	}
	return borrow
}

// montScratch is the working memory of one Montgomery multiplication: the
// 64-limb T of montMulADX and montSqrADX, or the 32-limb T and T - p of
// montMulGeneric. It is the caller's, not the stack's, because after the
// last multiplication of an exponentiation it holds the result (or the
// result plus p): the exponentiations clear it before they return.
type montScratch [2 * natLimbs]uint64

// lo and hi are the two halves of s as nats.
func (s *montScratch) lo() *nat { return (*nat)(s[:natLimbs]) }
func (s *montScratch) hi() *nat { return (*nat)(s[natLimbs:]) }

// subPIfCarryOrGeq sets z = t - p when top is 1 or t >= p, else z = t, in
// constant time, using r for t - p. It is the final step of a Montgomery
// multiplication, whose result t + top*2^2048 is below 2p.
func subPIfCarryOrGeq(z, t, r *nat, top uint64) {
	var borrow uint64
	for i := range t {
		r[i], borrow = bits.Sub64(t[i], groupP[i], borrow)
	}
	_, borrow = bits.Sub64(top, 0, borrow)
	keep := -borrow // all ones when t + top*2^2048 < p
	for i := range z {
		z[i] = t[i]&keep | r[i]&^keep
	}
}

// montMulGeneric sets z = a*b/2^2048 mod p (a, b < p) in portable Go: CIOS
// with the multiplication and reduction rows fused into one pass. z may alias
// a or b, but none of them scratch.
func montMulGeneric(z, a, b *nat, scratch *montScratch) {
	t := scratch.lo()
	*t = nat{}
	var top uint64
	for i := 0; i < natLimbs; i++ {
		bi := b[i]
		hi, lo := bits.Mul64(a[0], bi)
		lo, c := bits.Add64(lo, t[0], 0)
		c1 := hi + c
		m := lo // times -p^-1 mod 2^64, which is 1
		c2 := m // lo + m*p[0] = m*2^64 since p[0] = 2^64-1
		for j := 1; j < natLimbs; j++ {
			hi1, lo1 := bits.Mul64(a[j], bi)
			s, cc := bits.Add64(t[j], lo1, 0)
			hi1 += cc
			s, cc = bits.Add64(s, c1, 0)
			c1 = hi1 + cc
			hi2, lo2 := bits.Mul64(m, groupP[j])
			s, cc = bits.Add64(s, lo2, 0)
			hi2 += cc
			s, cc = bits.Add64(s, c2, 0)
			c2 = hi2 + cc
			t[j-1] = s
		}
		s, cc := bits.Add64(top, c1, 0)
		top = cc
		s, cc = bits.Add64(s, c2, 0)
		top += cc
		t[natLimbs-1] = s
	}
	subPIfCarryOrGeq(z, t, scratch.hi(), top)
}

// ctEqMask returns all ones when a == b and zero otherwise, without a branch.
func ctEqMask(a, b uint64) uint64 {
	x := a ^ b
	return ((x | -x) >> 63) - 1
}

// ctSelectGeneric sets z = table[idx], reading every entry so that neither
// the memory addresses nor the timing depend on idx. It gathers four limbs
// at a time in registers.
func ctSelectGeneric(z *nat, table []nat, idx uint64) {
	for k := 0; k < natLimbs; k += 4 {
		var a0, a1, a2, a3 uint64
		for v := range table {
			mask := ctEqMask(uint64(v), idx)
			e := (*[4]uint64)(table[v][k : k+4])
			a0 |= e[0] & mask
			a1 |= e[1] & mask
			a2 |= e[2] & mask
			a3 |= e[3] & mask
		}
		z[k], z[k+1], z[k+2], z[k+3] = a0, a1, a2, a3
	}
}
