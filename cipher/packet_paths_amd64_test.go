//go:build amd64 && !purego

package cipher

// testPaths lists every implementation this machine can run, and the
// AVX-512 one also with every batch in its 16-lane code (mbAllPath).
func testPaths() []testPath {
	paths := []testPath{{"generic", func(k *DirectionKeys) packetCipher { return newGenericCipher(k) }}}
	if hasAsm {
		paths = append(paths, testPath{asmPath, func(k *DirectionKeys) packetCipher { return newAsmCipher(k) }})
	}
	if hasAVX512 {
		paths = append(paths, testPath{avx512Path, func(k *DirectionKeys) packetCipher { return newAVX512Cipher(k) }},
			testPath{avx512Path + "-all", mbAllPath})
	}
	return paths
}
