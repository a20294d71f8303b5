//go:build !amd64 || purego

package cipher

// montMul sets z = a*b/2^2048 mod p; z may alias a or b.
func montMul(z, a, b *nat) { montMulGeneric(z, a, b) }

// montSqr sets z = a*a/2^2048 mod p; z may alias a.
func montSqr(z, a *nat) { montMulGeneric(z, a, a) }
