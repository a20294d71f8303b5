//go:build !purego

package cipher

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// What the assembly needs: MULX (BMI2) and ADCX/ADOX (ADX) for montMulADX,
// AVX2 for ctSelectAVX2, AVX-512 with IFMA for amm52 and ctSelect52.
var (
	hasADX  = cpuid.CPU.Supports(cpuid.BMI2, cpuid.ADX)
	hasAVX2 = cpuid.CPU.Supports(cpuid.AVX2)
	hasIFMA = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512IFMA)
)

// dhIFMA says whether the exponentiations run in radix 2^52 with IFMA
// (dh_ifma_amd64.go); dhADX and dhAVX2 whether montMul and ctSelect run
// their assembly. They are fixed at start-up like the packet path; only the
// tests that compare the IFMA and ADX paths switch dhIFMA.
var dhIFMA, dhADX, dhAVX2 = dhAsmFor(os.Getenv("SPIPED_NOASM"))

// dhAsmFor returns dhIFMA, dhADX and dhAVX2 for the value of SPIPED_NOASM:
// what the CPU supports, or no assembly at all for "1", which forces the
// portable path (as does the purego build tag) so that it can be measured
// and trusted on the same machine.
func dhAsmFor(noasm string) (ifma, adx, avx2 bool) {
	if noasm == "1" {
		return false, false, false
	}
	return hasIFMA, hasADX, hasAVX2
}

// dhPublic sets y = 2^(2^258 + x) mod p: dhPublicIFMA where the CPU has
// IFMA, which takes a third of the time of dhPublicMont there (and
// dhSharedIFMA 40% of dhSharedMont's); see PERF.md.
func dhPublic(y *[256]byte, x *[32]byte, s *montScratch) {
	if dhIFMA {
		dhPublicIFMA(y, x)
		return
	}
	dhPublicMont(y, x, s)
}

// dhShared sets z = yPeer^(2^258 + x) mod p: dhSharedIFMA where the CPU has
// IFMA, else dhSharedMont.
func dhShared(z, yPeer *[256]byte, x *[32]byte, s *montScratch) {
	if dhIFMA {
		dhSharedIFMA(z, yPeer, x)
		return
	}
	dhSharedMont(z, yPeer, x, s)
}

// montMulADX is montMulGeneric in assembly, with all of s as its 64-limb
// T; see dh_amd64_gen.go.
//
//go:noescape
func montMulADX(z, a, b *nat, s *montScratch)

// montSqrADX is montMulADX(z, a, a, s) with each cross product computed once.
//
//go:noescape
func montSqrADX(z, a *nat, s *montScratch)

// montMul sets z = a*b/2^2048 mod p with s as working memory; z may alias a
// or b.
func montMul(z, a, b *nat, s *montScratch) {
	if dhADX {
		montMulADX(z, a, b, s)
		return
	}
	montMulGeneric(z, a, b, s)
}

// montSqr sets z = a*a/2^2048 mod p with s as working memory; z may alias a.
func montSqr(z, a *nat, s *montScratch) {
	if dhADX {
		montSqrADX(z, a, s)
		return
	}
	montMulGeneric(z, a, a, s)
}

// ctSelectAVX2 is ctSelectGeneric in assembly; see dh_amd64_gen.go.
//
//go:noescape
func ctSelectAVX2(z *nat, table *nat, n int, idx uint64)

// ctSelect sets z = table[idx], reading every entry so that neither the
// memory addresses nor the timing depend on idx.
func ctSelect(z *nat, table []nat, idx uint64) {
	if dhAVX2 && len(table) > 0 {
		ctSelectAVX2(z, &table[0], len(table), idx)
		return
	}
	ctSelectGeneric(z, table, idx)
}
