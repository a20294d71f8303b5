//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// Multi-buffer HMAC-SHA256 of 16 packets at once (AVX-512F/BW/VL): lane i
// of each ZMM register belongs to packet i. Every packet's inner hash is
// the same 18 blocks long (the ipad state, then 16 blocks of ciphertext
// and one of ciphertext tail, pnum and padding), and the outer hash one
// block, so the 16 chains run in lockstep with no per-lane control flow.
//
// Registers of macX16Asm:
//	Z0-Z7   SHA-256 working variables a..h; which register holds which
//	        rotates by one each round, and is back in place after 64
//	Z8-Z23  message schedule W[t mod 16]; while loading, the rows of
//	        the 16 lanes' next block, transposed into words in place
//	Z24-Z27 round and transpose scratch
//	Z28-Z30 schedule scratch
//	Z31     byte-swap mask while loading; gather offsets for the tail
//	K2      lanes (packets) to compute; K1 its copy that a gather or
//	        scatter consumes
//	R11     next ciphertext block of lane 0; R12 block number 0..17
//	0-511(SP)   working variables at block start, for the feed-forward
//	512-575(SP) row offsets, dword i: i*PacketSize for a lane in the
//	            mask, else 0
//
// A lane outside the mask reads lane 0's packet rather than use a masked
// load: masked-off elements that fall on an unmapped page cost a
// microcode assist each on this CPU (a partial group ran 20x slower), and
// the batch may end right before one. Its results are never stored.

// RND is SHA-256 round t (k = 4t) on the working variables a..h with
// message word w: d += T1 and h = T1 + T2, so that h is the next a and d
// the next e. The sums are ordered for the shortest dependency chains
// from e and from a: h + W + K is added to d before Σ1(e) + Ch(e,f,g) is
// known, and to Maj(a,b,c) before Σ0(a).
#define RND(a, b, c, d, e, f, g, h, w, k) \
	VPADDD.BCST ·sha256K+k(SB), w, Z24; \
	VPADDD      h, Z24, Z24; \
	VPRORD      $6, e, Z25; \
	VPRORD      $11, e, Z26; \
	VPRORD      $25, e, Z27; \
	VPTERNLOGD  $0x96, Z27, Z26, Z25; \
	VMOVDQA32   e, Z26; \
	VPTERNLOGD  $0xca, g, f, Z26; \
	VPADDD      Z24, d, d; \
	VPADDD      Z26, Z25, Z25; \
	VPADDD      Z25, d, d; \
	VMOVDQA32   a, Z27; \
	VPTERNLOGD  $0xe8, c, b, Z27; \
	VPADDD      Z27, Z24, Z24; \
	VPRORD      $2, a, h; \
	VPRORD      $13, a, Z26; \
	VPRORD      $22, a, Z27; \
	VPTERNLOGD  $0x96, Z27, Z26, h; \
	VPADDD      Z24, h, h; \
	VPADDD      Z25, h, h

// SCHED turns wt = W[t] into W[t+16] = σ1(W[t+14]) + W[t+9] + σ0(W[t+1]) + W[t].
#define SCHED(wt, wt1, wt9, wt14) \
	VPRORD     $17, wt14, Z28; \
	VPRORD     $19, wt14, Z29; \
	VPSRLD     $10, wt14, Z30; \
	VPTERNLOGD $0x96, Z30, Z29, Z28; \
	VPADDD     Z28, wt, wt; \
	VPADDD     wt9, wt, wt; \
	VPRORD     $7, wt1, Z28; \
	VPRORD     $18, wt1, Z29; \
	VPSRLD     $3, wt1, Z30; \
	VPTERNLOGD $0x96, Z30, Z29, Z28; \
	VPADDD     Z28, wt, wt


// LOAD_ROW loads lane i's next block, the 64 bytes at R11 plus its row
// offset, as big-endian words (Z31 holds the byte-swap mask).
#define LOAD_ROW(i, R) \
	MOVL      (512+4*i)(SP), AX; \
	VMOVDQU32 (R11)(AX*1), R; \
	VPSHUFB   Z31, R, R

// TRANSPOSE4 interleaves the rows of lanes 4g..4g+3 in A-D so that word
// 4k+m of those lanes lands in 128-bit lane k of register m (A=0 .. D=3).
#define TRANSPOSE4(A, B, C, D) \
	VPUNPCKLDQ   B, A, Z24; \
	VPUNPCKHDQ   B, A, Z25; \
	VPUNPCKLDQ   D, C, Z26; \
	VPUNPCKHDQ   D, C, Z27; \
	VPUNPCKLQDQ  Z26, Z24, A; \
	VPUNPCKHQDQ  Z26, Z24, B; \
	VPUNPCKLQDQ  Z27, Z25, C; \
	VPUNPCKHQDQ  Z27, Z25, D

// TRANSPOSE128 gathers the 128-bit lanes k of U0-U3 (TRANSPOSE4 results m
// of the four lane groups) into W[m+4k]: U0 becomes W[m], U1 W[m+4], U2
// W[m+8], U3 W[m+12].
#define TRANSPOSE128(U0, U1, U2, U3) \
	VSHUFI32X4 $0x44, U1, U0, Z24; \
	VSHUFI32X4 $0xee, U1, U0, Z25; \
	VSHUFI32X4 $0x44, U3, U2, Z26; \
	VSHUFI32X4 $0xee, U3, U2, Z27; \
	VSHUFI32X4 $0x88, Z26, Z24, U0; \
	VSHUFI32X4 $0xdd, Z26, Z24, U1; \
	VSHUFI32X4 $0x88, Z27, Z25, U2; \
	VSHUFI32X4 $0xdd, Z27, Z25, U3

// BCAST32 sets every lane of Z to the constant v.
#define BCAST32(v, Z) \
	MOVL         $v, AX; \
	VPBROADCASTD AX, Z

// SCATTER stores digest word Z, byte-swapped, at off(DX) + lane offset
// of every lane.
#define SCATTER(Z, off) \
	VPSHUFB     Z24, Z, Z; \
	KMOVW       K2, K1; \
	VPSCATTERDD Z, K1, off(DX)(Z30*1)

// WIPE_ZMM zeroes all 32 vector registers: VZEROUPPER leaves Z16-Z31.
#define WIPE_ZMM \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31

// func macX16Asm(c *asmCipher, buf *byte, pnum uint64, mask uint16, out *byte, outStride int)
TEXT ·macX16Asm(SB), 0, $576-48
	MOVQ      c+0(FP), DI
	MOVQ      buf+8(FP), SI
	KMOVW     mask+24(FP), K2

	// Row offsets at 512(SP), lane numbers of the mask in Z30.
	VMOVDQU32.Z lanes<>(SB), K2, Z30
	BCAST32(const_PacketSize, Z31)
	VPMULLD     Z30, Z31, Z31
	VMOVDQU32   Z31, 512(SP)

	// The ipad state, from its SHA256RNDS2 order {F,E,B,A}, {H,G,D,C}.
	VPBROADCASTD asmCipher_inner+12(DI), Z0
	VPBROADCASTD asmCipher_inner+8(DI), Z1
	VPBROADCASTD asmCipher_inner+28(DI), Z2
	VPBROADCASTD asmCipher_inner+24(DI), Z3
	VPBROADCASTD asmCipher_inner+4(DI), Z4
	VPBROADCASTD asmCipher_inner+0(DI), Z5
	VPBROADCASTD asmCipher_inner+20(DI), Z6
	VPBROADCASTD asmCipher_inner+16(DI), Z7
	MOVQ         SI, R11
	XORL         R12, R12

x16Block:
	// Blocks 0-15 are ciphertext, 16 the inner tail, 17 the outer block.
	CMPQ      R12, $16
	JEQ       x16Tail
	JGT       x16Outer
	VMOVDQU32 bswap32<>(SB), Z31
	LOAD_ROW(0, Z8)
	LOAD_ROW(1, Z9)
	LOAD_ROW(2, Z10)
	LOAD_ROW(3, Z11)
	LOAD_ROW(4, Z12)
	LOAD_ROW(5, Z13)
	LOAD_ROW(6, Z14)
	LOAD_ROW(7, Z15)
	LOAD_ROW(8, Z16)
	LOAD_ROW(9, Z17)
	LOAD_ROW(10, Z18)
	LOAD_ROW(11, Z19)
	LOAD_ROW(12, Z20)
	LOAD_ROW(13, Z21)
	LOAD_ROW(14, Z22)
	LOAD_ROW(15, Z23)
	TRANSPOSE4(Z8, Z9, Z10, Z11)
	TRANSPOSE4(Z12, Z13, Z14, Z15)
	TRANSPOSE4(Z16, Z17, Z18, Z19)
	TRANSPOSE4(Z20, Z21, Z22, Z23)
	TRANSPOSE128(Z8, Z12, Z16, Z20)
	TRANSPOSE128(Z9, Z13, Z17, Z21)
	TRANSPOSE128(Z10, Z14, Z18, Z22)
	TRANSPOSE128(Z11, Z15, Z19, Z23)
	ADDQ      $64, R11
	JMP       x16Compress

x16Tail:
	// The last 4 bytes of ciphertext, be64(pnum + lane), 0x80 and zeros,
	// and the inner length in bits: (64 + 1028 + 8) * 8 = 8800.
	VMOVDQU32    512(SP), Z31
	KXNORW       K1, K1, K1
	VPGATHERDD   0(R11)(Z31*1), K1, Z8
	VPSHUFB      bswap32<>(SB), Z8, Z8
	VPBROADCASTQ pnum+16(FP), Z28
	VPMOVZXDQ    lanes<>(SB), Z29
	VPMOVZXDQ    lanes<>+32(SB), Z30
	VPADDQ       Z28, Z29, Z29
	VPADDQ       Z28, Z30, Z30
	VPMOVQD      Z29, Y10
	VPMOVQD      Z30, Y25
	VINSERTI64X4 $1, Y25, Z10, Z10
	VPSRLQ       $32, Z29, Z29
	VPSRLQ       $32, Z30, Z30
	VPMOVQD      Z29, Y9
	VPMOVQD      Z30, Y25
	VINSERTI64X4 $1, Y25, Z9, Z9
	BCAST32(0x80000000, Z11)
	VPXORD       Z12, Z12, Z12
	VPXORD       Z13, Z13, Z13
	VPXORD       Z14, Z14, Z14
	VPXORD       Z15, Z15, Z15
	VPXORD       Z16, Z16, Z16
	VPXORD       Z17, Z17, Z17
	VPXORD       Z18, Z18, Z18
	VPXORD       Z19, Z19, Z19
	VPXORD       Z20, Z20, Z20
	VPXORD       Z21, Z21, Z21
	VPXORD       Z22, Z22, Z22
	BCAST32(8800, Z23)
	JMP          x16Compress

x16Outer:
	// The inner digest, 0x80 and zeros, the outer length in bits
	// (64 + 32) * 8 = 768; and the opad state.
	VMOVDQA32    Z0, Z8
	VMOVDQA32    Z1, Z9
	VMOVDQA32    Z2, Z10
	VMOVDQA32    Z3, Z11
	VMOVDQA32    Z4, Z12
	VMOVDQA32    Z5, Z13
	VMOVDQA32    Z6, Z14
	VMOVDQA32    Z7, Z15
	BCAST32(0x80000000, Z16)
	VPXORD       Z17, Z17, Z17
	VPXORD       Z18, Z18, Z18
	VPXORD       Z19, Z19, Z19
	VPXORD       Z20, Z20, Z20
	VPXORD       Z21, Z21, Z21
	VPXORD       Z22, Z22, Z22
	BCAST32(768, Z23)
	VPBROADCASTD asmCipher_outer+12(DI), Z0
	VPBROADCASTD asmCipher_outer+8(DI), Z1
	VPBROADCASTD asmCipher_outer+28(DI), Z2
	VPBROADCASTD asmCipher_outer+24(DI), Z3
	VPBROADCASTD asmCipher_outer+4(DI), Z4
	VPBROADCASTD asmCipher_outer+0(DI), Z5
	VPBROADCASTD asmCipher_outer+20(DI), Z6
	VPBROADCASTD asmCipher_outer+16(DI), Z7

x16Compress:
	VMOVDQU32 Z0, 0(SP)
	VMOVDQU32 Z1, 64(SP)
	VMOVDQU32 Z2, 128(SP)
	VMOVDQU32 Z3, 192(SP)
	VMOVDQU32 Z4, 256(SP)
	VMOVDQU32 Z5, 320(SP)
	VMOVDQU32 Z6, 384(SP)
	VMOVDQU32 Z7, 448(SP)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, 0)
	SCHED(Z8, Z9, Z17, Z22)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z9, 4)
	SCHED(Z9, Z10, Z18, Z23)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z10, 8)
	SCHED(Z10, Z11, Z19, Z8)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z11, 12)
	SCHED(Z11, Z12, Z20, Z9)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z12, 16)
	SCHED(Z12, Z13, Z21, Z10)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z13, 20)
	SCHED(Z13, Z14, Z22, Z11)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z14, 24)
	SCHED(Z14, Z15, Z23, Z12)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z15, 28)
	SCHED(Z15, Z16, Z8, Z13)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 32)
	SCHED(Z16, Z17, Z9, Z14)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 36)
	SCHED(Z17, Z18, Z10, Z15)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 40)
	SCHED(Z18, Z19, Z11, Z16)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 44)
	SCHED(Z19, Z20, Z12, Z17)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 48)
	SCHED(Z20, Z21, Z13, Z18)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 52)
	SCHED(Z21, Z22, Z14, Z19)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 56)
	SCHED(Z22, Z23, Z15, Z20)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 60)
	SCHED(Z23, Z8, Z16, Z21)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, 64)
	SCHED(Z8, Z9, Z17, Z22)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z9, 68)
	SCHED(Z9, Z10, Z18, Z23)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z10, 72)
	SCHED(Z10, Z11, Z19, Z8)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z11, 76)
	SCHED(Z11, Z12, Z20, Z9)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z12, 80)
	SCHED(Z12, Z13, Z21, Z10)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z13, 84)
	SCHED(Z13, Z14, Z22, Z11)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z14, 88)
	SCHED(Z14, Z15, Z23, Z12)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z15, 92)
	SCHED(Z15, Z16, Z8, Z13)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 96)
	SCHED(Z16, Z17, Z9, Z14)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 100)
	SCHED(Z17, Z18, Z10, Z15)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 104)
	SCHED(Z18, Z19, Z11, Z16)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 108)
	SCHED(Z19, Z20, Z12, Z17)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 112)
	SCHED(Z20, Z21, Z13, Z18)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 116)
	SCHED(Z21, Z22, Z14, Z19)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 120)
	SCHED(Z22, Z23, Z15, Z20)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 124)
	SCHED(Z23, Z8, Z16, Z21)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, 128)
	SCHED(Z8, Z9, Z17, Z22)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z9, 132)
	SCHED(Z9, Z10, Z18, Z23)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z10, 136)
	SCHED(Z10, Z11, Z19, Z8)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z11, 140)
	SCHED(Z11, Z12, Z20, Z9)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z12, 144)
	SCHED(Z12, Z13, Z21, Z10)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z13, 148)
	SCHED(Z13, Z14, Z22, Z11)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z14, 152)
	SCHED(Z14, Z15, Z23, Z12)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z15, 156)
	SCHED(Z15, Z16, Z8, Z13)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 160)
	SCHED(Z16, Z17, Z9, Z14)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 164)
	SCHED(Z17, Z18, Z10, Z15)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 168)
	SCHED(Z18, Z19, Z11, Z16)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 172)
	SCHED(Z19, Z20, Z12, Z17)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 176)
	SCHED(Z20, Z21, Z13, Z18)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 180)
	SCHED(Z21, Z22, Z14, Z19)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 184)
	SCHED(Z22, Z23, Z15, Z20)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 188)
	SCHED(Z23, Z8, Z16, Z21)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, 192)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z9, 196)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z10, 200)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z11, 204)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z12, 208)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z13, 212)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z14, 216)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z15, 220)
	RND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 224)
	RND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 228)
	RND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 232)
	RND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 236)
	RND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 240)
	RND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 244)
	RND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 248)
	RND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 252)
	VPADDD 0(SP), Z0, Z0
	VPADDD 64(SP), Z1, Z1
	VPADDD 128(SP), Z2, Z2
	VPADDD 192(SP), Z3, Z3
	VPADDD 256(SP), Z4, Z4
	VPADDD 320(SP), Z5, Z5
	VPADDD 384(SP), Z6, Z6
	VPADDD 448(SP), Z7, Z7
	INCQ   R12
	CMPQ   R12, $18
	JNE    x16Block

	// Scatter the digests, big-endian, to out + lane*outStride.
	MOVQ         out+32(FP), DX
	MOVQ         outStride+40(FP), AX
	VPBROADCASTD AX, Z30
	VMOVDQU32.Z  lanes<>(SB), K2, Z31
	VPMULLD      Z31, Z30, Z30
	VMOVDQU32    bswap32<>(SB), Z24
	SCATTER(Z0, 0)
	SCATTER(Z1, 4)
	SCATTER(Z2, 8)
	SCATTER(Z3, 12)
	SCATTER(Z4, 16)
	SCATTER(Z5, 20)
	SCATTER(Z6, 24)
	SCATTER(Z7, 28)
	WIPE_ZMM
	VMOVDQU32 Z0, 0(SP)
	VMOVDQU32 Z0, 64(SP)
	VMOVDQU32 Z0, 128(SP)
	VMOVDQU32 Z0, 192(SP)
	VMOVDQU32 Z0, 256(SP)
	VMOVDQU32 Z0, 320(SP)
	VMOVDQU32 Z0, 384(SP)
	VMOVDQU32 Z0, 448(SP)
	VZEROUPPER
	RET

// The keystream with VAES, four AES blocks per instruction: ctrVAESAsm
// does blocks 0-63 of each packet 32 at a time (eight ZMM registers), then
// block 64, whose first 4 bytes cover the length field, for four packets
// per register.
//
// Registers of ctrVAESAsm:
//	Z0-Z7   32 counter blocks, then keystream
//	Z8      ciphertext scratch
//	Z9      this packet's counter block be64(pnum) || 0, XORed with
//	        round key 0, in every 128-bit lane
//	Z10     block numbers: byte 15 of each 128-bit lane, 4 lanes apart
//	Z11     4 << 120 in every 128-bit lane, the step of Z10
//	Z16-Z30 round keys 0-14, each in every 128-bit lane
//	R8 pnum, SI packet, DX packets left, R11 next 512 bytes of it, R12 halves left
//	0-63(SP) keystream of four block-64s, spilled for the 4-byte XORs

// CTR8 sets Z0-Z7 to the next 32 counter blocks with round key 0 added.
#define CTR8 \
	VPXORD Z10, Z9, Z0; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z1; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z2; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z3; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z4; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z5; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z6; \
	VPADDQ Z11, Z10, Z10; \
	VPXORD Z10, Z9, Z7; \
	VPADDQ Z11, Z10, Z10

// XOR8 XORs the keystream in Z0-Z7 into the 512 bytes at R11.
#define XOR8 \
	VPXORD 0(R11), Z0, Z0; \
	VMOVDQU32 Z0, 0(R11); \
	VPXORD 64(R11), Z1, Z1; \
	VMOVDQU32 Z1, 64(R11); \
	VPXORD 128(R11), Z2, Z2; \
	VMOVDQU32 Z2, 128(R11); \
	VPXORD 192(R11), Z3, Z3; \
	VMOVDQU32 Z3, 192(R11); \
	VPXORD 256(R11), Z4, Z4; \
	VMOVDQU32 Z4, 256(R11); \
	VPXORD 320(R11), Z5, Z5; \
	VMOVDQU32 Z5, 320(R11); \
	VPXORD 384(R11), Z6, Z6; \
	VMOVDQU32 Z6, 384(R11); \
	VPXORD 448(R11), Z7, Z7; \
	VMOVDQU32 Z7, 448(R11)

// func ctrVAESAsm(c *asmCipher, buf *byte, n int, pnum uint64)
TEXT ·ctrVAESAsm(SB), 0, $64-32
	MOVQ c+0(FP), DI
	MOVQ buf+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ pnum+24(FP), R8
	VBROADCASTI32X4 asmCipher_rk+0(DI), Z16
	VBROADCASTI32X4 asmCipher_rk+16(DI), Z17
	VBROADCASTI32X4 asmCipher_rk+32(DI), Z18
	VBROADCASTI32X4 asmCipher_rk+48(DI), Z19
	VBROADCASTI32X4 asmCipher_rk+64(DI), Z20
	VBROADCASTI32X4 asmCipher_rk+80(DI), Z21
	VBROADCASTI32X4 asmCipher_rk+96(DI), Z22
	VBROADCASTI32X4 asmCipher_rk+112(DI), Z23
	VBROADCASTI32X4 asmCipher_rk+128(DI), Z24
	VBROADCASTI32X4 asmCipher_rk+144(DI), Z25
	VBROADCASTI32X4 asmCipher_rk+160(DI), Z26
	VBROADCASTI32X4 asmCipher_rk+176(DI), Z27
	VBROADCASTI32X4 asmCipher_rk+192(DI), Z28
	VBROADCASTI32X4 asmCipher_rk+208(DI), Z29
	VBROADCASTI32X4 asmCipher_rk+224(DI), Z30
	VMOVDQU32       ctrStep<>(SB), Z11

ctrVPacket:
	MOVQ       R8, AX
	BSWAPQ     AX
	VMOVQ      AX, X9
	VSHUFI32X4 $0, Z9, Z9, Z9
	VPXORD     Z16, Z9, Z9
	VMOVDQU32  ctrFirst<>(SB), Z10
	MOVQ       SI, R11
	MOVQ       $2, R12

ctrVHalf:
	CTR8
	VAESENC Z17, Z0, Z0; VAESENC Z17, Z1, Z1; VAESENC Z17, Z2, Z2; VAESENC Z17, Z3, Z3
	VAESENC Z17, Z4, Z4; VAESENC Z17, Z5, Z5; VAESENC Z17, Z6, Z6; VAESENC Z17, Z7, Z7
	VAESENC Z18, Z0, Z0; VAESENC Z18, Z1, Z1; VAESENC Z18, Z2, Z2; VAESENC Z18, Z3, Z3
	VAESENC Z18, Z4, Z4; VAESENC Z18, Z5, Z5; VAESENC Z18, Z6, Z6; VAESENC Z18, Z7, Z7
	VAESENC Z19, Z0, Z0; VAESENC Z19, Z1, Z1; VAESENC Z19, Z2, Z2; VAESENC Z19, Z3, Z3
	VAESENC Z19, Z4, Z4; VAESENC Z19, Z5, Z5; VAESENC Z19, Z6, Z6; VAESENC Z19, Z7, Z7
	VAESENC Z20, Z0, Z0; VAESENC Z20, Z1, Z1; VAESENC Z20, Z2, Z2; VAESENC Z20, Z3, Z3
	VAESENC Z20, Z4, Z4; VAESENC Z20, Z5, Z5; VAESENC Z20, Z6, Z6; VAESENC Z20, Z7, Z7
	VAESENC Z21, Z0, Z0; VAESENC Z21, Z1, Z1; VAESENC Z21, Z2, Z2; VAESENC Z21, Z3, Z3
	VAESENC Z21, Z4, Z4; VAESENC Z21, Z5, Z5; VAESENC Z21, Z6, Z6; VAESENC Z21, Z7, Z7
	VAESENC Z22, Z0, Z0; VAESENC Z22, Z1, Z1; VAESENC Z22, Z2, Z2; VAESENC Z22, Z3, Z3
	VAESENC Z22, Z4, Z4; VAESENC Z22, Z5, Z5; VAESENC Z22, Z6, Z6; VAESENC Z22, Z7, Z7
	VAESENC Z23, Z0, Z0; VAESENC Z23, Z1, Z1; VAESENC Z23, Z2, Z2; VAESENC Z23, Z3, Z3
	VAESENC Z23, Z4, Z4; VAESENC Z23, Z5, Z5; VAESENC Z23, Z6, Z6; VAESENC Z23, Z7, Z7
	VAESENC Z24, Z0, Z0; VAESENC Z24, Z1, Z1; VAESENC Z24, Z2, Z2; VAESENC Z24, Z3, Z3
	VAESENC Z24, Z4, Z4; VAESENC Z24, Z5, Z5; VAESENC Z24, Z6, Z6; VAESENC Z24, Z7, Z7
	VAESENC Z25, Z0, Z0; VAESENC Z25, Z1, Z1; VAESENC Z25, Z2, Z2; VAESENC Z25, Z3, Z3
	VAESENC Z25, Z4, Z4; VAESENC Z25, Z5, Z5; VAESENC Z25, Z6, Z6; VAESENC Z25, Z7, Z7
	VAESENC Z26, Z0, Z0; VAESENC Z26, Z1, Z1; VAESENC Z26, Z2, Z2; VAESENC Z26, Z3, Z3
	VAESENC Z26, Z4, Z4; VAESENC Z26, Z5, Z5; VAESENC Z26, Z6, Z6; VAESENC Z26, Z7, Z7
	VAESENC Z27, Z0, Z0; VAESENC Z27, Z1, Z1; VAESENC Z27, Z2, Z2; VAESENC Z27, Z3, Z3
	VAESENC Z27, Z4, Z4; VAESENC Z27, Z5, Z5; VAESENC Z27, Z6, Z6; VAESENC Z27, Z7, Z7
	VAESENC Z28, Z0, Z0; VAESENC Z28, Z1, Z1; VAESENC Z28, Z2, Z2; VAESENC Z28, Z3, Z3
	VAESENC Z28, Z4, Z4; VAESENC Z28, Z5, Z5; VAESENC Z28, Z6, Z6; VAESENC Z28, Z7, Z7
	VAESENC Z29, Z0, Z0; VAESENC Z29, Z1, Z1; VAESENC Z29, Z2, Z2; VAESENC Z29, Z3, Z3
	VAESENC Z29, Z4, Z4; VAESENC Z29, Z5, Z5; VAESENC Z29, Z6, Z6; VAESENC Z29, Z7, Z7
	VAESENCLAST Z30, Z0, Z0; VAESENCLAST Z30, Z1, Z1; VAESENCLAST Z30, Z2, Z2; VAESENCLAST Z30, Z3, Z3
	VAESENCLAST Z30, Z4, Z4; VAESENCLAST Z30, Z5, Z5; VAESENCLAST Z30, Z6, Z6; VAESENCLAST Z30, Z7, Z7
	XOR8
	ADDQ $512, R11
	DECQ R12
	JNZ  ctrVHalf
	ADDQ $const_PacketSize, SI
	INCQ R8
	DECQ DX
	JNZ  ctrVPacket

	// Block 64 of four packets per register: be64(pnum + lane) || be64(64).
	MOVQ buf+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ pnum+24(FP), R8

ctrVTail:
	VPBROADCASTQ R8, Z0
	VPADDQ       tailLanes<>(SB), Z0, Z0
	VPSHUFB      tailSwap<>(SB), Z0, Z0
	VPORQ        tailBlock<>(SB), Z0, Z0
	VPXORD       Z16, Z0, Z0
	VAESENC      Z17, Z0, Z0
	VAESENC      Z18, Z0, Z0
	VAESENC      Z19, Z0, Z0
	VAESENC      Z20, Z0, Z0
	VAESENC      Z21, Z0, Z0
	VAESENC      Z22, Z0, Z0
	VAESENC      Z23, Z0, Z0
	VAESENC      Z24, Z0, Z0
	VAESENC      Z25, Z0, Z0
	VAESENC      Z26, Z0, Z0
	VAESENC      Z27, Z0, Z0
	VAESENC      Z28, Z0, Z0
	VAESENC      Z29, Z0, Z0
	VAESENCLAST  Z30, Z0, Z0
	VMOVDQU32    Z0, 0(SP)
	XORL         CX, CX

ctrVTailLane:
	MOVQ CX, AX
	SHLQ $4, AX
	MOVL 0(SP)(AX*1), BX
	XORL BX, const_MaxMessage(SI)
	ADDQ $const_PacketSize, SI
	INCQ CX
	DECQ DX
	JZ   ctrVDone
	CMPQ CX, $4
	JNE  ctrVTailLane
	ADDQ $4, R8
	JMP  ctrVTail

ctrVDone:
	WIPE_ZMM
	VMOVDQU32 Z0, 0(SP)
	VZEROUPPER
	RET

// Byte 15 of 128-bit lane i is i: the block numbers of the first register.
DATA ctrFirst<>+0(SB)/8, $0
DATA ctrFirst<>+8(SB)/8, $0
DATA ctrFirst<>+16(SB)/8, $0
DATA ctrFirst<>+24(SB)/8, $0x0100000000000000
DATA ctrFirst<>+32(SB)/8, $0
DATA ctrFirst<>+40(SB)/8, $0x0200000000000000
DATA ctrFirst<>+48(SB)/8, $0
DATA ctrFirst<>+56(SB)/8, $0x0300000000000000
GLOBL ctrFirst<>(SB), RODATA|NOPTR, $64

// 4 << 120 in each 128-bit lane: the next register's block numbers.
DATA ctrStep<>+0(SB)/8, $0
DATA ctrStep<>+8(SB)/8, $0x0400000000000000
DATA ctrStep<>+16(SB)/8, $0
DATA ctrStep<>+24(SB)/8, $0x0400000000000000
DATA ctrStep<>+32(SB)/8, $0
DATA ctrStep<>+40(SB)/8, $0x0400000000000000
DATA ctrStep<>+48(SB)/8, $0
DATA ctrStep<>+56(SB)/8, $0x0400000000000000
GLOBL ctrStep<>(SB), RODATA|NOPTR, $64

// Quadword 2i is i: pnum + lane, for the block 64s of four packets.
DATA tailLanes<>+0(SB)/8, $0
DATA tailLanes<>+8(SB)/8, $0
DATA tailLanes<>+16(SB)/8, $1
DATA tailLanes<>+24(SB)/8, $0
DATA tailLanes<>+32(SB)/8, $2
DATA tailLanes<>+40(SB)/8, $0
DATA tailLanes<>+48(SB)/8, $3
DATA tailLanes<>+56(SB)/8, $0
GLOBL tailLanes<>(SB), RODATA|NOPTR, $64

// Byte-swaps the low quadword of each 128-bit lane and zeroes the high one.
DATA tailSwap<>+0(SB)/8, $0x0001020304050607
DATA tailSwap<>+8(SB)/8, $-1
DATA tailSwap<>+16(SB)/8, $0x0001020304050607
DATA tailSwap<>+24(SB)/8, $-1
DATA tailSwap<>+32(SB)/8, $0x0001020304050607
DATA tailSwap<>+40(SB)/8, $-1
DATA tailSwap<>+48(SB)/8, $0x0001020304050607
DATA tailSwap<>+56(SB)/8, $-1
GLOBL tailSwap<>(SB), RODATA|NOPTR, $64

// be64(64) in the high quadword of each 128-bit lane.
DATA tailBlock<>+0(SB)/8, $0
DATA tailBlock<>+8(SB)/8, $0x4000000000000000
DATA tailBlock<>+16(SB)/8, $0
DATA tailBlock<>+24(SB)/8, $0x4000000000000000
DATA tailBlock<>+32(SB)/8, $0
DATA tailBlock<>+40(SB)/8, $0x4000000000000000
DATA tailBlock<>+48(SB)/8, $0
DATA tailBlock<>+56(SB)/8, $0x4000000000000000
GLOBL tailBlock<>(SB), RODATA|NOPTR, $64

// Dword i is i: lane numbers.
DATA lanes<>+0(SB)/8, $0x0000000100000000
DATA lanes<>+8(SB)/8, $0x0000000300000002
DATA lanes<>+16(SB)/8, $0x0000000500000004
DATA lanes<>+24(SB)/8, $0x0000000700000006
DATA lanes<>+32(SB)/8, $0x0000000900000008
DATA lanes<>+40(SB)/8, $0x0000000b0000000a
DATA lanes<>+48(SB)/8, $0x0000000d0000000c
DATA lanes<>+56(SB)/8, $0x0000000f0000000e
GLOBL lanes<>(SB), RODATA|NOPTR, $64

// Byte swap of each 32-bit word, for VPSHUFB on 512 bits.
DATA bswap32<>+0(SB)/8, $0x0405060700010203
DATA bswap32<>+8(SB)/8, $0x0c0d0e0f08090a0b
DATA bswap32<>+16(SB)/8, $0x0405060700010203
DATA bswap32<>+24(SB)/8, $0x0c0d0e0f08090a0b
DATA bswap32<>+32(SB)/8, $0x0405060700010203
DATA bswap32<>+40(SB)/8, $0x0c0d0e0f08090a0b
DATA bswap32<>+48(SB)/8, $0x0405060700010203
DATA bswap32<>+56(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap32<>(SB), RODATA|NOPTR, $64

