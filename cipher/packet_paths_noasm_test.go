//go:build !(amd64 || arm64) || purego

package cipher

// testPaths lists every implementation this machine can run.
func testPaths() []testPath {
	return []testPath{{"generic", func(k *DirectionKeys) packetCipher { return newGenericCipher(k) }}}
}
