//go:build !purego

package cipher

import "github.com/klauspost/cpuid/v2"

// What the assembly needs: MULX (BMI2) and ADCX/ADOX (ADX) for montMulADX,
// AVX2 for ctSelectAVX2.
var (
	hasADX  = cpuid.CPU.Supports(cpuid.BMI2, cpuid.ADX)
	hasAVX2 = cpuid.CPU.Supports(cpuid.AVX2)
)

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
	if hasADX {
		montMulADX(z, a, b, s)
		return
	}
	montMulGeneric(z, a, b, s)
}

// montSqr sets z = a*a/2^2048 mod p with s as working memory; z may alias a.
func montSqr(z, a *nat, s *montScratch) {
	if hasADX {
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
	if hasAVX2 && len(table) > 0 {
		ctSelectAVX2(z, &table[0], len(table), idx)
		return
	}
	ctSelectGeneric(z, table, idx)
}
