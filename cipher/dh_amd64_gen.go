//go:build ignore

// This program writes dh_amd64.s: go run dh_amd64_gen.go > dh_amd64.s
//
// The assembly is fully unrolled over the 32 limbs of a 2048-bit number, so
// it is generated rather than written by hand.
package main

import (
	"fmt"
	"strings"
)

var out strings.Builder

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

// step adds lo(DX*src[j]) + prevHi to T[t] on the CF chain and T[t] itself
// on the OF chain, and leaves hi(DX*src[j]) in nextHi: one limb of one row.
func step(srcOff int, src string, tOff int, prevHi, nextHi string) {
	p("\tMULXQ %d(%s), R8, %s", srcOff, src, nextHi)
	p("\tADCXQ %s, R8", prevHi)
	p("\tADOXQ %d(DI), R8", tOff)
	p("\tMOVQ  R8, %d(DI)", tOff)
}

// row adds DX*src[from..31] to T[tBase+from...] and leaves the carry word
// (high word plus both chains' carries) in the returned register.
func row(src string, from, tBase int) string {
	p("\tXORQ R10, R10") // the first previous high word; clears CF and OF
	prev, next := "R10", "R9"
	for j := from; j < 32; j++ {
		step(8*j, src, 8*(tBase+j), prev, next)
		prev, next = next, prev
	}
	p("\tADCXQ AX, %s", prev)
	p("\tADOXQ AX, %s", prev)
	return prev
}

// reduceTail sets z = T[32..63] (at DI) minus p when the carry bit R12 is
// set or T >= p, else T, in constant time. CX = p.
func reduceTail() {
	p("\tMOVQ z+0(FP), SI")
	p("\tCLC")
	for j := 0; j < 32; j++ {
		p("\tMOVQ %d(DI), R8", 8*j)
		p("\tSBBQ %d(CX), R8", 8*j)
		p("\tMOVQ R8, %d(SI)", 8*j)
	}
	p("\tSBBQ $0, R12 // all ones: T + carry*2^2048 < p, keep T")
	for j := 0; j < 32; j++ {
		p("\tMOVQ %d(SI), R8", 8*j)
		p("\tMOVQ %d(DI), R9", 8*j)
		p("\tXORQ R8, R9")
		p("\tANDQ R12, R9")
		p("\tXORQ R9, R8")
		p("\tMOVQ R8, %d(SI)", 8*j)
	}
}

// reduceRows runs the 32 Montgomery reduction rows over T at DI: T += m*p
// with m = T[i] (-p^-1 mod 2^64 is 1), sliding DI up one limb per row and
// adding each row's carry word and the carry bit R12 into T[i+32].
func reduceRows() {
	p("\tXORQ R12, R12")
	p("\tMOVQ $32, R13")
	p("reduce:")
	p("\tMOVQ (DI), DX")
	c := row("CX", 0, 0)
	p("\tMOVQ 256(DI), R11")
	p("\tBTQ  $0, R12")
	p("\tADCQ %s, R11", c)
	p("\tMOVQ $0, R12")
	p("\tADCQ $0, R12")
	p("\tMOVQ R11, 256(DI)")
	p("\tADDQ $8, DI")
	p("\tDECQ R13")
	p("\tJNZ  reduce")
}

// zeroT clears the 64-limb T at DI, the caller's montScratch at tArg.
func zeroT(tArg string) {
	p("\tMOVQ $64, R13")
	p("zero:")
	p("\tMOVQ AX, (DI)")
	p("\tADDQ $8, DI")
	p("\tDECQ R13")
	p("\tJNZ  zero")
	p("\tMOVQ %s, DI", tArg)
}

func mul() {
	p(`
// func montMulADX(z, a, b *nat, s *montScratch)
//
// z = a*b/2^2048 mod p, the algorithm of montMulGeneric: for each limb b[i],
// T += a*b[i], then T += m*p with m = T[i], the window of T sliding up one
// limb per row. T is the caller's s, which keeps the result afterwards.
// Registers: SI = a, BX = &b[i], CX = p, DI = &T[i],
// R12 = carry bit into T[i+32], R13 = rows left, AX = 0, DX = multiplier,
// R8 = the limb being summed, R9/R10 = high words.
TEXT ·montMulADX(SB), NOSPLIT, $0-32
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	LEAQ ·groupP(SB), CX
	MOVQ s+24(FP), DI
	XORQ AX, AX`)
	zeroT("s+24(FP)")
	p("\tXORQ R12, R12")
	p("\tMOVQ $32, R13")
	p("row:")
	p("\t// T += a*b[i]; its carry word to R11.")
	p("\tMOVQ (BX), DX")
	p("\tMOVQ %s, R11", row("SI", 0, 0))
	p("\t// T += m*p: T[i] becomes zero.")
	p("\tMOVQ (DI), DX")
	c := row("CX", 0, 0)
	p("\t// T[i+32] = both carry words + the carry bit; the new bit to R12.")
	p("\tBTQ  $0, R12")
	p("\tADCQ R11, %s", c)
	p("\tMOVQ $0, R12")
	p("\tADCQ $0, R12")
	p("\tMOVQ %s, 256(DI)", c)
	p("\tADDQ $8, DI")
	p("\tADDQ $8, BX")
	p("\tDECQ R13")
	p("\tJNZ  row")
	reduceTail()
	p("\tRET")
}

func sqr() {
	p(`
// func montSqrADX(z, a *nat, s *montScratch)
//
// z = a*a/2^2048 mod p: the 496 products a[i]*a[j] with i < j once, then
// T = 2T + the 32 squares a[i]^2, then the 32 Montgomery reduction rows of
// montMulADX. T is s; registers as there, with DI = &T[0] until the
// reduction.
TEXT ·montSqrADX(SB), NOSPLIT, $0-24
	MOVQ a+8(FP), SI
	LEAQ ·groupP(SB), CX
	MOVQ s+16(FP), DI
	XORQ AX, AX`)
	zeroT("s+16(FP)")
	for i := 0; i < 31; i++ {
		p("\t// T[%d..%d] += a[%d] * a[%d..31]", 2*i+1, i+32, i, i+1)
		p("\tMOVQ %d(SI), DX", 8*i)
		c := row("SI", i+1, i)
		p("\tMOVQ %s, %d(DI)", c, 8*(i+32))
	}
	p("\t// T = 2T + the squares: doubling on the CF chain, squares on OF.")
	p("\tXORQ R8, R8")
	for i := 0; i < 32; i++ {
		p("\tMOVQ  %d(SI), DX", 8*i)
		p("\tMULXQ DX, R9, R10")
		for k, w := range []string{"R9", "R10"} {
			off := 8 * (2*i + k)
			p("\tMOVQ  %d(DI), R8", off)
			p("\tADCXQ R8, R8")
			p("\tADOXQ %s, R8", w)
			p("\tMOVQ  R8, %d(DI)", off)
		}
	}
	reduceRows()
	reduceTail()
	p("\tRET")
}

func sel() {
	p(`
// func ctSelectAVX2(z *nat, table *nat, n int, idx uint64)
//
// z = table[idx] for idx < n: every entry is read and masked with
// (v == idx), so the addresses and timing do not depend on idx.
TEXT ·ctSelectAVX2(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ table+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ idx+24(FP), X15
	VPBROADCASTQ X15, Y15
	MOVQ $1, AX
	MOVQ AX, X13
	VPBROADCASTQ X13, Y13
	VPXOR Y14, Y14, Y14`)
	for k := 0; k < 8; k++ {
		p("\tVPXOR Y%d, Y%d, Y%d", k, k, k)
	}
	p("entry:")
	p("\tVPCMPEQQ Y14, Y15, Y12")
	for k := 0; k < 8; k++ {
		p("\tVPAND %d(SI), Y12, Y8", 32*k)
		p("\tVPOR  Y8, Y%d, Y%d", k, k)
	}
	p("\tVPADDQ Y13, Y14, Y14")
	p("\tADDQ $256, SI")
	p("\tDECQ CX")
	p("\tJNZ  entry")
	for k := 0; k < 8; k++ {
		p("\tVMOVDQU Y%d, %d(DI)", k, 32*k)
	}
	p("\t// The selected entry (which says what idx was) leaves no register:")
	p("\t// VZEROALL zeroes all of Y0-Y15 where VZEROUPPER kept the low halves.")
	p("\tVZEROALL")
	p("\tRET")
}

func main() {
	p(`// Code generated by go run dh_amd64_gen.go; DO NOT EDIT.

//go:build !purego

#include "textflag.h"

// Arithmetic modulo the group-14 prime with MULX, ADCX and ADOX (BMI2 + ADX)
// and a table lookup with AVX2. The instruction stream and the addresses
// touched depend only on loop counters, never on the values.`)
	mul()
	sqr()
	sel()
	fmt.Print(out.String())
}
