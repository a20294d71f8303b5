//go:build amd64 && !purego

package cipher

import (
	"os"
	"testing"
)

func TestPathIsLive(t *testing.T) {
	want := "generic"
	switch {
	case os.Getenv("SPIPED_NOASM") == "1":
	case hasAVX512:
		want = avx512Path
	case hasAsm:
		want = asmPath
	}
	if Path() != want {
		t.Fatalf("Path() = %q, want %q", Path(), want)
	}
	var got string
	switch NewSealer(&DirectionKeys{}).c.(type) {
	case *avx512Cipher:
		got = avx512Path
	case *asmCipher:
		got = asmPath
	default:
		got = "generic"
	}
	if got != want {
		t.Fatalf("NewSealer uses the %s path; Path() = %q", got, Path())
	}
}

func TestAsmWipe(t *testing.T) {
	if !hasAsm {
		t.Skip("CPU lacks AES-NI or SHA-NI")
	}
	k := &DirectionKeys{Enc: [32]byte{1}, Mac: [32]byte{2}}
	c := newAsmCipher(k)
	if *c == (asmCipher{}) {
		t.Fatal("key schedule is empty")
	}
	c.wipe()
	if *c != (asmCipher{}) {
		t.Fatal("wipe left key material")
	}
}
