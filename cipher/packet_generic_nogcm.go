//go:build !(amd64 || arm64 || ppc64 || ppc64le || s390x) || purego

package cipher

// stdGCMAsm reports whether crypto/cipher's AES-GCM is assembly on this
// build; here it is generic Go, and its GHASH would only add to the cost of
// encrypting each counter block directly.
const stdGCMAsm = false
