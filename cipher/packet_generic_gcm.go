//go:build (amd64 || arm64 || ppc64 || ppc64le || s390x) && !purego

package cipher

// stdGCMAsm reports whether crypto/cipher's AES-GCM is assembly on this
// build, which makes its keystream the portable path's fastest AES-CTR.
const stdGCMAsm = true
