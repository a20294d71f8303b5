//go:build !purego

package cipher

import "testing"

func TestDHAsmFor(t *testing.T) {
	for _, v := range []string{"", "0", "yes", " 1"} {
		if ifma, adx, avx2 := dhAsmFor(v); ifma != hasIFMA || adx != hasADX || avx2 != hasAVX2 {
			t.Errorf("SPIPED_NOASM=%q: IFMA %v, ADX %v, AVX2 %v; want what the CPU has, %v, %v and %v",
				v, ifma, adx, avx2, hasIFMA, hasADX, hasAVX2)
		}
	}
	if ifma, adx, avx2 := dhAsmFor("1"); ifma || adx || avx2 || dhPathName(ifma, adx, avx2) != "generic" {
		t.Errorf("SPIPED_NOASM=1: IFMA %v, ADX %v, AVX2 %v; want the portable path", ifma, adx, avx2)
	}
}
