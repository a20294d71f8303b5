//go:build amd64 && !purego

package cipher

import (
	"os"
	"testing"
)

func TestPathIsLive(t *testing.T) {
	want := "generic"
	if hasAsm && os.Getenv("SPIPED_NOASM") != "1" {
		want = asmPath
	}
	if Path() != want {
		t.Fatalf("Path() = %q, want %q", Path(), want)
	}
	_, isAsm := NewSealer(&DirectionKeys{}).c.(*asmCipher)
	if isAsm != (want == asmPath) {
		t.Fatalf("NewSealer uses the asm path: %v; Path() = %q", isAsm, Path())
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
