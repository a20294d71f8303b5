//go:build !purego

#include "textflag.h"

// Montgomery multiplication modulo the group-14 prime with MULX, ADCX and
// ADOX (BMI2 + ADX), the same algorithm as montMulGeneric: for each limb b[i],
// T += a*b[i], then T += m*p with m = T[i] (-p^-1 mod 2^64 is 1), the window
// of T sliding up one limb per row. The instruction stream and the addresses
// touched depend only on the loop counters, never on the values.
//
// Registers: SI = a, BX = &b[i], CX = p, DI = &T[i], R13 = rows left,
// R12 = carry bit into T[i+32], AX = 0, DX = the multiplier,
// R8 = the limb being summed, R9/R10 = the previous and next high words.

// STEP adds lo(DX*src[j]) + prevHi to T[j] on the CF chain and T[j] itself on
// the OF chain: one limb of one row.
#define STEP(off, src, prevHi, nextHi) \
	MULXQ off(src), R8, nextHi \
	ADCXQ prevHi, R8           \
	ADOXQ off(DI), R8          \
	MOVQ  R8, off(DI)

// ROW adds DX*src to T[0..31] and leaves the carry word in R10.
#define ROW(src) \
	STEP(0, src, R10, R9) \
	STEP(8, src, R9, R10) \
	STEP(16, src, R10, R9) \
	STEP(24, src, R9, R10) \
	STEP(32, src, R10, R9) \
	STEP(40, src, R9, R10) \
	STEP(48, src, R10, R9) \
	STEP(56, src, R9, R10) \
	STEP(64, src, R10, R9) \
	STEP(72, src, R9, R10) \
	STEP(80, src, R10, R9) \
	STEP(88, src, R9, R10) \
	STEP(96, src, R10, R9) \
	STEP(104, src, R9, R10) \
	STEP(112, src, R10, R9) \
	STEP(120, src, R9, R10) \
	STEP(128, src, R10, R9) \
	STEP(136, src, R9, R10) \
	STEP(144, src, R10, R9) \
	STEP(152, src, R9, R10) \
	STEP(160, src, R10, R9) \
	STEP(168, src, R9, R10) \
	STEP(176, src, R10, R9) \
	STEP(184, src, R9, R10) \
	STEP(192, src, R10, R9) \
	STEP(200, src, R9, R10) \
	STEP(208, src, R10, R9) \
	STEP(216, src, R9, R10) \
	STEP(224, src, R10, R9) \
	STEP(232, src, R9, R10) \
	STEP(240, src, R10, R9) \
	STEP(248, src, R9, R10) \
	ADCXQ AX, R10 \
	ADOXQ AX, R10

// func montMulADX(z, a, b *nat)
TEXT ·montMulADX(SB), NOSPLIT, $520-24
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	LEAQ ·groupP(SB), CX
	LEAQ t-520(SP), DI
	XORQ AX, AX

	// T[0..31] = 0; T[32..64] are written before they are read.
	MOVQ $32, R13
zero:
	MOVQ AX, (DI)
	ADDQ $8, DI
	DECQ R13
	JNZ  zero
	LEAQ t-520(SP), DI

	XORQ R12, R12
	MOVQ $32, R13
row:
	// T += a*b[i]; its carry word in R11.
	MOVQ (BX), DX
	XORQ R10, R10
	ROW(SI)
	MOVQ R10, R11

	// T += m*p with m = T[i]: T[i] becomes zero, the carry word in R10.
	MOVQ (DI), DX
	XORQ R10, R10
	ROW(CX)

	// T[i+32] = carry words + carry bit, the new carry bit in R12.
	BTQ   $0, R12
	ADCQ  R11, R10
	MOVQ  $0, R12
	ADCQ  $0, R12
	MOVQ  R10, 256(DI)
	ADDQ  $8, DI
	ADDQ  $8, BX
	DECQ  R13
	JNZ   row

	// DI = &T[32]: z = T - p, then keep T instead when T + carry*2^2048 < p.
	MOVQ z+0(FP), SI
	CLC
	MOVQ 0(DI), R8
	SBBQ 0(CX), R8
	MOVQ R8, 0(SI)
	MOVQ 8(DI), R8
	SBBQ 8(CX), R8
	MOVQ R8, 8(SI)
	MOVQ 16(DI), R8
	SBBQ 16(CX), R8
	MOVQ R8, 16(SI)
	MOVQ 24(DI), R8
	SBBQ 24(CX), R8
	MOVQ R8, 24(SI)
	MOVQ 32(DI), R8
	SBBQ 32(CX), R8
	MOVQ R8, 32(SI)
	MOVQ 40(DI), R8
	SBBQ 40(CX), R8
	MOVQ R8, 40(SI)
	MOVQ 48(DI), R8
	SBBQ 48(CX), R8
	MOVQ R8, 48(SI)
	MOVQ 56(DI), R8
	SBBQ 56(CX), R8
	MOVQ R8, 56(SI)
	MOVQ 64(DI), R8
	SBBQ 64(CX), R8
	MOVQ R8, 64(SI)
	MOVQ 72(DI), R8
	SBBQ 72(CX), R8
	MOVQ R8, 72(SI)
	MOVQ 80(DI), R8
	SBBQ 80(CX), R8
	MOVQ R8, 80(SI)
	MOVQ 88(DI), R8
	SBBQ 88(CX), R8
	MOVQ R8, 88(SI)
	MOVQ 96(DI), R8
	SBBQ 96(CX), R8
	MOVQ R8, 96(SI)
	MOVQ 104(DI), R8
	SBBQ 104(CX), R8
	MOVQ R8, 104(SI)
	MOVQ 112(DI), R8
	SBBQ 112(CX), R8
	MOVQ R8, 112(SI)
	MOVQ 120(DI), R8
	SBBQ 120(CX), R8
	MOVQ R8, 120(SI)
	MOVQ 128(DI), R8
	SBBQ 128(CX), R8
	MOVQ R8, 128(SI)
	MOVQ 136(DI), R8
	SBBQ 136(CX), R8
	MOVQ R8, 136(SI)
	MOVQ 144(DI), R8
	SBBQ 144(CX), R8
	MOVQ R8, 144(SI)
	MOVQ 152(DI), R8
	SBBQ 152(CX), R8
	MOVQ R8, 152(SI)
	MOVQ 160(DI), R8
	SBBQ 160(CX), R8
	MOVQ R8, 160(SI)
	MOVQ 168(DI), R8
	SBBQ 168(CX), R8
	MOVQ R8, 168(SI)
	MOVQ 176(DI), R8
	SBBQ 176(CX), R8
	MOVQ R8, 176(SI)
	MOVQ 184(DI), R8
	SBBQ 184(CX), R8
	MOVQ R8, 184(SI)
	MOVQ 192(DI), R8
	SBBQ 192(CX), R8
	MOVQ R8, 192(SI)
	MOVQ 200(DI), R8
	SBBQ 200(CX), R8
	MOVQ R8, 200(SI)
	MOVQ 208(DI), R8
	SBBQ 208(CX), R8
	MOVQ R8, 208(SI)
	MOVQ 216(DI), R8
	SBBQ 216(CX), R8
	MOVQ R8, 216(SI)
	MOVQ 224(DI), R8
	SBBQ 224(CX), R8
	MOVQ R8, 224(SI)
	MOVQ 232(DI), R8
	SBBQ 232(CX), R8
	MOVQ R8, 232(SI)
	MOVQ 240(DI), R8
	SBBQ 240(CX), R8
	MOVQ R8, 240(SI)
	MOVQ 248(DI), R8
	SBBQ 248(CX), R8
	MOVQ R8, 248(SI)
	SBBQ $0, R12 // all ones: keep T
	MOVQ 0(SI), R8
	MOVQ 0(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 0(SI)
	MOVQ 8(SI), R8
	MOVQ 8(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 8(SI)
	MOVQ 16(SI), R8
	MOVQ 16(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 16(SI)
	MOVQ 24(SI), R8
	MOVQ 24(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 24(SI)
	MOVQ 32(SI), R8
	MOVQ 32(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 32(SI)
	MOVQ 40(SI), R8
	MOVQ 40(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 40(SI)
	MOVQ 48(SI), R8
	MOVQ 48(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 48(SI)
	MOVQ 56(SI), R8
	MOVQ 56(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 56(SI)
	MOVQ 64(SI), R8
	MOVQ 64(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 64(SI)
	MOVQ 72(SI), R8
	MOVQ 72(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 72(SI)
	MOVQ 80(SI), R8
	MOVQ 80(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 80(SI)
	MOVQ 88(SI), R8
	MOVQ 88(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 88(SI)
	MOVQ 96(SI), R8
	MOVQ 96(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 96(SI)
	MOVQ 104(SI), R8
	MOVQ 104(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 104(SI)
	MOVQ 112(SI), R8
	MOVQ 112(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 112(SI)
	MOVQ 120(SI), R8
	MOVQ 120(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 120(SI)
	MOVQ 128(SI), R8
	MOVQ 128(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 128(SI)
	MOVQ 136(SI), R8
	MOVQ 136(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 136(SI)
	MOVQ 144(SI), R8
	MOVQ 144(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 144(SI)
	MOVQ 152(SI), R8
	MOVQ 152(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 152(SI)
	MOVQ 160(SI), R8
	MOVQ 160(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 160(SI)
	MOVQ 168(SI), R8
	MOVQ 168(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 168(SI)
	MOVQ 176(SI), R8
	MOVQ 176(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 176(SI)
	MOVQ 184(SI), R8
	MOVQ 184(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 184(SI)
	MOVQ 192(SI), R8
	MOVQ 192(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 192(SI)
	MOVQ 200(SI), R8
	MOVQ 200(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 200(SI)
	MOVQ 208(SI), R8
	MOVQ 208(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 208(SI)
	MOVQ 216(SI), R8
	MOVQ 216(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 216(SI)
	MOVQ 224(SI), R8
	MOVQ 224(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 224(SI)
	MOVQ 232(SI), R8
	MOVQ 232(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 232(SI)
	MOVQ 240(SI), R8
	MOVQ 240(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 240(SI)
	MOVQ 248(SI), R8
	MOVQ 248(DI), R9
	XORQ R8, R9
	ANDQ R12, R9
	XORQ R9, R8
	MOVQ R8, 248(SI)
	RET

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
	VPXOR Y14, Y14, Y14
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

entry:
	VPCMPEQQ Y14, Y15, Y12
	VPAND    (SI), Y12, Y8
	VPOR     Y8, Y0, Y0
	VPAND    32(SI), Y12, Y8
	VPOR     Y8, Y1, Y1
	VPAND    64(SI), Y12, Y8
	VPOR     Y8, Y2, Y2
	VPAND    96(SI), Y12, Y8
	VPOR     Y8, Y3, Y3
	VPAND    128(SI), Y12, Y8
	VPOR     Y8, Y4, Y4
	VPAND    160(SI), Y12, Y8
	VPOR     Y8, Y5, Y5
	VPAND    192(SI), Y12, Y8
	VPOR     Y8, Y6, Y6
	VPAND    224(SI), Y12, Y8
	VPOR     Y8, Y7, Y7
	VPADDQ   Y13, Y14, Y14
	ADDQ     $256, SI
	DECQ     CX
	JNZ      entry

	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	VMOVDQU Y4, 128(DI)
	VMOVDQU Y5, 160(DI)
	VMOVDQU Y6, 192(DI)
	VMOVDQU Y7, 224(DI)
	VZEROUPPER
	RET
