//go:build amd64 && !purego

package cipher

// testPaths lists every implementation this machine can run.
func testPaths() []testPath {
	paths := []testPath{{"generic", func(k *DirectionKeys) packetCipher { return newGenericCipher(k) }}}
	if hasAsm {
		paths = append(paths, testPath{asmPath, func(k *DirectionKeys) packetCipher { return newAsmCipher(k) }})
	}
	return paths
}
