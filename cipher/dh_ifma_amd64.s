//go:build !purego

#include "textflag.h"

// amm52 is word-serial Montgomery multiplication in radix 2^52 (the layout
// of OpenSSL's rsaz-4k-avx512, written anew for the one modulus). The
// accumulator T is split in two, TA = Z0-Z4 for the products of a and
// TM = Z15-Z19 for those of p, limb k in lane k, except limb 0, which R9
// holds exactly. Each of the 40 rows, for b[i]:
//
//	T += a*b[i] + m*p with m = T[0] mod 2^52, so that T[0] becomes 0 mod 2^52
//	T /= 2^52: every lane moves down one (VALIGNQ), R9 takes the new limb 0
//
// The low 52 bits of the lane products (VPMADD52LUQ) go in before the
// shift, the high ones (VPMADD52HUQ, worth one limb more) after it. m needs
// no multiplication by -p^-1 mod 2^52, which is 1 (p = -1 mod 2^64), and
// m*p[0] = m*2^52 - m folds into R9 without one. Lanes are not carried
// until the end: each receives at most 4 products below 2^52 per row, 160
// in all, below 2^60. Every instruction and address is the same whatever
// the values.
//
// The speed is in the dependency chains, not the 20 VPMADD52s of a row:
// R9 for the next row is computed in general registers from lane 1 of TA
// and TM as they were before the row (VPEXTRQ) plus the row's two low
// products at limb 1 (IMULQ), so it never waits for this row's vector
// products; and TA and TM are separate chains of two products and a shift
// each instead of one of four. Lane 0 of both is left stale, since R9 is
// limb 0. Together that took a multiplication from about 550 to about 430
// TSC ticks (minimum of 20,000).
//
// Registers: DI z, SI a, DX a[0], BX b (moving), CX p, R15 2^52-1, R8 the
// count, Z5 zero, Z6 b[i] and Z7 m in every lane.

// func amm52(z, a, b, p *nat52)
TEXT ·amm52(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	MOVQ p+24(FP), CX
	MOVQ $0x000fffffffffffff, R15
	MOVQ (SI), DX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	XORQ R9, R9
	MOVQ $40, R8

loop:
	// AX = lane 1 of TA and TM before this row, plus a[1]*b[i] mod 2^52.
	MOVQ (BX), R13
	VPBROADCASTQ R13, Z6
	VPEXTRQ $1, X0, AX
	VPEXTRQ $1, X15, R12
	ADDQ R12, AX
	MOVQ R13, R12
	IMULQ 8(SI), R12
	ANDQ R15, R12
	ADDQ R12, AX

	// R9 += a[0]*b[i] (R11:R10), m = R9 mod 2^52, then R9 = R9/2^52 + m
	// (limb 0 of T + m*p, shifted down) + AX + m*p[1] mod 2^52: limb 1.
	MULXQ R13, R10, R11
	ADDQ R10, R9
	ADCQ $0, R11
	MOVQ R9, R13
	ANDQ R15, R13
	VPBROADCASTQ R13, Z7
	SHRQ $52, R9
	SHLQ $12, R11
	ORQ  R11, R9
	ADDQ R13, R9
	ADDQ AX, R9
	IMULQ 8(CX), R13
	ANDQ R15, R13
	ADDQ R13, R9

	VPMADD52LUQ 0(SI), Z6, Z0
	VPMADD52LUQ 64(SI), Z6, Z1
	VPMADD52LUQ 128(SI), Z6, Z2
	VPMADD52LUQ 192(SI), Z6, Z3
	VPMADD52LUQ 256(SI), Z6, Z4
	VPMADD52LUQ 0(CX), Z7, Z15
	VPMADD52LUQ 64(CX), Z7, Z16
	VPMADD52LUQ 128(CX), Z7, Z17
	VPMADD52LUQ 192(CX), Z7, Z18
	VPMADD52LUQ 256(CX), Z7, Z19

	// T /= 2^52.
	VALIGNQ $1, Z0, Z1, Z0
	VALIGNQ $1, Z1, Z2, Z1
	VALIGNQ $1, Z2, Z3, Z2
	VALIGNQ $1, Z3, Z4, Z3
	VALIGNQ $1, Z4, Z5, Z4
	VALIGNQ $1, Z15, Z16, Z15
	VALIGNQ $1, Z16, Z17, Z16
	VALIGNQ $1, Z17, Z18, Z17
	VALIGNQ $1, Z18, Z19, Z18
	VALIGNQ $1, Z19, Z5, Z19

	// The high halves, one limb up: lane k of the shifted T.
	VPMADD52HUQ 0(SI), Z6, Z0
	VPMADD52HUQ 64(SI), Z6, Z1
	VPMADD52HUQ 128(SI), Z6, Z2
	VPMADD52HUQ 192(SI), Z6, Z3
	VPMADD52HUQ 256(SI), Z6, Z4
	VPMADD52HUQ 0(CX), Z7, Z15
	VPMADD52HUQ 64(CX), Z7, Z16
	VPMADD52HUQ 128(CX), Z7, Z17
	VPMADD52HUQ 192(CX), Z7, Z18
	VPMADD52HUQ 256(CX), Z7, Z19

	ADDQ $8, BX
	DECQ R8
	JNZ  loop

	VPADDQ Z15, Z0, Z0
	VPADDQ Z16, Z1, Z1
	VPADDQ Z17, Z2, Z2
	VPADDQ Z18, Z3, Z3
	VPADDQ Z19, Z4, Z4

	// Normalize: lane k of Z0-Z4 is limb k (lane 0 is R9), each below
	// 2^60. First add each lane's bits above 52 into the next lane...
	MOVQ $1, AX
	KMOVW AX, K2
	VPBROADCASTQ R9, K2, Z0
	VPBROADCASTQ R15, Z8
	VPTERNLOGD $0xff, Z14, Z14, Z14
	VPSRLQ $52, Z0, Z9
	VPSRLQ $52, Z1, Z10
	VPSRLQ $52, Z2, Z11
	VPSRLQ $52, Z3, Z12
	VPSRLQ $52, Z4, Z13
	VPANDQ Z8, Z0, Z0
	VPANDQ Z8, Z1, Z1
	VPANDQ Z8, Z2, Z2
	VPANDQ Z8, Z3, Z3
	VPANDQ Z8, Z4, Z4
	VALIGNQ $7, Z12, Z13, Z13
	VALIGNQ $7, Z11, Z12, Z12
	VALIGNQ $7, Z10, Z11, Z11
	VALIGNQ $7, Z9, Z10, Z10
	VALIGNQ $7, Z5, Z9, Z9
	VPADDQ Z9, Z0, Z0
	VPADDQ Z10, Z1, Z1
	VPADDQ Z11, Z2, Z2
	VPADDQ Z12, Z3, Z3
	VPADDQ Z13, Z4, Z4

	// ...which leaves lanes up to 2^52 + 2^12: what is left is a carry of
	// one. Lanes above 2^52-1 generate one (bits of R10), lanes equal to it
	// pass one on (R11), and ((R10 << 1) + R11) ^ R11 has a bit set for
	// each lane that receives one, the way a binary addition ripples.
	VPCMPUQ $6, Z8, Z4, K1
	KMOVW K1, R10
	VPCMPUQ $6, Z8, Z3, K1
	SHLQ $8, R10
	KMOVW K1, AX
	ORQ  AX, R10
	VPCMPUQ $6, Z8, Z2, K1
	SHLQ $8, R10
	KMOVW K1, AX
	ORQ  AX, R10
	VPCMPUQ $6, Z8, Z1, K1
	SHLQ $8, R10
	KMOVW K1, AX
	ORQ  AX, R10
	VPCMPUQ $6, Z8, Z0, K1
	SHLQ $8, R10
	KMOVW K1, AX
	ORQ  AX, R10
	VPCMPUQ $0, Z8, Z4, K1
	KMOVW K1, R11
	VPCMPUQ $0, Z8, Z3, K1
	SHLQ $8, R11
	KMOVW K1, AX
	ORQ  AX, R11
	VPCMPUQ $0, Z8, Z2, K1
	SHLQ $8, R11
	KMOVW K1, AX
	ORQ  AX, R11
	VPCMPUQ $0, Z8, Z1, K1
	SHLQ $8, R11
	KMOVW K1, AX
	ORQ  AX, R11
	VPCMPUQ $0, Z8, Z0, K1
	SHLQ $8, R11
	KMOVW K1, AX
	ORQ  AX, R11
	SHLQ $1, R10
	ADDQ R11, R10
	XORQ R11, R10
	KMOVW R10, K1
	VPSUBQ Z14, Z0, K1, Z0
	VPANDQ Z8, Z0, Z0
	SHRQ $8, R10
	KMOVW R10, K1
	VPSUBQ Z14, Z1, K1, Z1
	VPANDQ Z8, Z1, Z1
	SHRQ $8, R10
	KMOVW R10, K1
	VPSUBQ Z14, Z2, K1, Z2
	VPANDQ Z8, Z2, Z2
	SHRQ $8, R10
	KMOVW R10, K1
	VPSUBQ Z14, Z3, K1, Z3
	VPANDQ Z8, Z3, Z3
	SHRQ $8, R10
	KMOVW R10, K1
	VPSUBQ Z14, Z4, K1, Z4
	VPANDQ Z8, Z4, Z4

	VMOVDQU64 Z0, 0(DI)
	VMOVDQU64 Z1, 64(DI)
	VMOVDQU64 Z2, 128(DI)
	VMOVDQU64 Z3, 192(DI)
	VMOVDQU64 Z4, 256(DI)
	VZEROUPPER
	RET

// ctSelect52 ORs every entry of the table into Z0-Z4 under a mask (K1)
// that is all ones for entry idx only; n must be at least 1.
//
// func ctSelect52(z *nat52, table *nat52, n int, idx uint64)
TEXT ·ctSelect52(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ table+8(FP), SI
	MOVQ n+16(FP), CX
	VPBROADCASTQ idx+24(FP), Z8
	VPXORQ Z9, Z9, Z9
	MOVQ $1, AX
	VPBROADCASTQ AX, Z10
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4

sel:
	VPCMPEQQ Z8, Z9, K1
	VMOVDQU64 0(SI), Z5
	VMOVDQA64 Z5, K1, Z0
	VMOVDQU64 64(SI), Z5
	VMOVDQA64 Z5, K1, Z1
	VMOVDQU64 128(SI), Z5
	VMOVDQA64 Z5, K1, Z2
	VMOVDQU64 192(SI), Z5
	VMOVDQA64 Z5, K1, Z3
	VMOVDQU64 256(SI), Z5
	VMOVDQA64 Z5, K1, Z4
	VPADDQ Z10, Z9, Z9
	ADDQ $320, SI
	DECQ CX
	JNZ  sel

	VMOVDQU64 Z0, 0(DI)
	VMOVDQU64 Z1, 64(DI)
	VMOVDQU64 Z2, 128(DI)
	VMOVDQU64 Z3, 192(DI)
	VMOVDQU64 Z4, 256(DI)
	VZEROUPPER
	RET

// func clearVec()
TEXT ·clearVec(SB), NOSPLIT, $0-0
	VZEROALL
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	KXORW K1, K1, K1
	KXORW K2, K2, K2
	RET
