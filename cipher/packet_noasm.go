//go:build !(amd64 || arm64) || purego

package cipher

const livePath = "generic"

func newCipher(k *DirectionKeys) packetCipher { return newGenericCipher(k) }
