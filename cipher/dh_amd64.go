//go:build !purego

package cipher

import "github.com/klauspost/cpuid/v2"

// hasADX says whether montMulADX can run: it needs MULX (BMI2) and ADCX/ADOX (ADX).
var hasADX = cpuid.CPU.Supports(cpuid.BMI2, cpuid.ADX)

// montMulADX is montMulGeneric in assembly; see dh_amd64.s.
//
//go:noescape
func montMulADX(z, a, b *nat)

// montMul sets z = a*b/2^2048 mod p; z may alias a or b.
func montMul(z, a, b *nat) {
	if hasADX {
		montMulADX(z, a, b)
		return
	}
	montMulGeneric(z, a, b)
}

// montSqr sets z = a*a/2^2048 mod p; z may alias a.
func montSqr(z, a *nat) { montMul(z, a, a) }
