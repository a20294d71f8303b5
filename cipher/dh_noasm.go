//go:build !amd64 || purego

package cipher

// No assembly for the exponentiations here.
const dhIFMA, dhADX, dhAVX2 = false, false, false

// montMul sets z = a*b/2^2048 mod p with s as working memory; z may alias a
// or b.
func montMul(z, a, b *nat, s *montScratch) { montMulGeneric(z, a, b, s) }

// montSqr sets z = a*a/2^2048 mod p with s as working memory; z may alias a.
func montSqr(z, a *nat, s *montScratch) { montMulGeneric(z, a, a, s) }

// ctSelect sets z = table[idx], reading every entry so that neither the
// memory addresses nor the timing depend on idx.
func ctSelect(z *nat, table []nat, idx uint64) { ctSelectGeneric(z, table, idx) }

// dhPublic sets y = 2^(2^258 + x) mod p; see dhPublicMont.
func dhPublic(y *[256]byte, x *[32]byte, s *montScratch) { dhPublicMont(y, x, s) }

// dhShared sets z = yPeer^(2^258 + x) mod p; see dhSharedMont.
func dhShared(z, yPeer *[256]byte, x *[32]byte, s *montScratch) { dhSharedMont(z, yPeer, x, s) }
