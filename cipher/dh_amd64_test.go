//go:build !purego

package cipher

import "testing"

func TestDHAsmFor(t *testing.T) {
	for _, v := range []string{"", "0", "yes", " 1"} {
		if adx, avx2 := dhAsmFor(v); adx != hasADX || avx2 != hasAVX2 {
			t.Errorf("SPIPED_NOASM=%q: ADX %v, AVX2 %v; want what the CPU has, %v and %v", v, adx, avx2, hasADX, hasAVX2)
		}
	}
	if adx, avx2 := dhAsmFor("1"); adx || avx2 || dhPathName(adx, avx2) != "generic" {
		t.Errorf("SPIPED_NOASM=1: ADX %v, AVX2 %v; want the portable path", adx, avx2)
	}
}
