//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// The packet transform. One packet is 17 SHA-256 blocks of the inner HMAC
// (1028 bytes of ciphertext, be64(pnum), padding) plus one outer block, and
// 65 AES-256 blocks of keystream; the HMAC's ipad and opad states come
// precomputed in asmCipher.
//
// Every offset into asmCipher and every packet size comes from go_asm.h,
// which the compiler writes from the Go declarations: asmCipher_rk,
// asmCipher_inner and asmCipher_outer, const_MaxMessage (1024),
// const_plainSize (1028) and const_PacketSize (1060).
//
// sealAsm and openAsm do one packet in one pass. SHA256RNDS2 is a long
// dependency chain, so the AES rounds for 64 bytes of keystream are spread
// between the quads of each SHA-256 block, where they cost almost nothing.
// Batches go faster two packets at a time: see macPairAsm and ctrAsm.
//
// Registers of the one-pass functions:
//	X0      SHA message + K for SHA256RNDS2 (implicit operand)
//	X1, X2  SHA-256 state {F,E,B,A}, {H,G,D,C}
//	X3-X6   message schedule W[0..15] of the current block
//	X7      scratch
//	X8      byte-swap mask for message words
//	X9, X10 state at block start
//	X11-X14 four AES blocks (64 bytes of keystream)
//	X15     round key / scratch
//	DI      *asmCipher: round keys at asmCipher_rk, HMAC states at
//	        asmCipher_inner and asmCipher_outer
//	R8      pnum; R9, R10: counter block halves pre-XORed with round key 0
//	CX      index of the first AES block of the current 64 bytes

// CTR1 sets B to counter block CX+i with round key 0 already added: the
// block is be64(pnum) || be64(CX+i), and CX+i < 256 only moves its last byte.
#define CTR1(B, i) \
	MOVQ   R9, B; \
	LEAQ   i(CX), AX; \
	SHLQ   $56, AX; \
	XORQ   R10, AX; \
	PINSRQ $1, AX, B

#define CTR4 \
	CTR1(X11, 0); \
	CTR1(X12, 1); \
	CTR1(X13, 2); \
	CTR1(X14, 3)

#define AESRND(off) \
	MOVOU  asmCipher_rk+off(DI), X15; \
	AESENC X15, X11; \
	AESENC X15, X12; \
	AESENC X15, X13; \
	AESENC X15, X14

#define AESLAST \
	MOVOU      asmCipher_rk+224(DI), X15; \
	AESENCLAST X15, X11; \
	AESENCLAST X15, X12; \
	AESENCLAST X15, X13; \
	AESENCLAST X15, X14

// KEYSTREAM4 is all of AES for the four blocks from CX, unstitched.
#define KEYSTREAM4 \
	CTR4; \
	AESRND(16); AESRND(32); AESRND(48); AESRND(64); AESRND(80); AESRND(96); AESRND(112); \
	AESRND(128); AESRND(144); AESRND(160); AESRND(176); AESRND(192); AESRND(208); \
	AESLAST

// XOR64 XORs the keystream into the 64 bytes at p and stores them back.
#define XOR1(B, off, p) \
	MOVOU off(p), X15; \
	PXOR  X15, B; \
	MOVOU B, off(p)

#define XOR64(p) \
	XOR1(X11, 0, p); \
	XOR1(X12, 16, p); \
	XOR1(X13, 32, p); \
	XOR1(X14, 48, p)

// Four SHA-256 rounds on the words in Mc for the state in S0 {F,E,B,A},
// S1 {H,G,D,C}. The variants also advance the message schedule as in
// Intel's SHA extensions paper: MSG1 into Mp (the previous words), and
// Mn += alignr(Mc, Mp) then MSG2 into Mn, with T as scratch.
#define Q0(k, S0, S1, Mc) \
	MOVO        Mc, X0; \
	PADDD       ·sha256K+k(SB), X0; \
	SHA256RNDS2 X0, S0, S1; \
	PSHUFD      $0x0e, X0, X0; \
	SHA256RNDS2 X0, S1, S0

#define Q1(k, S0, S1, Mc, Mp) \
	Q0(k, S0, S1, Mc); \
	SHA256MSG1 Mc, Mp

#define Q2(k, S0, S1, T, Mc, Mp, Mn) \
	Q0(k, S0, S1, Mc); \
	MOVO       Mc, T; \
	PALIGNR    $4, Mp, T; \
	PADDD      T, Mn; \
	SHA256MSG2 Mc, Mn

#define Q12(k, S0, S1, T, Mc, Mp, Mn) \
	Q2(k, S0, S1, T, Mc, Mp, Mn); \
	SHA256MSG1 Mc, Mp

// The quads of the single stream: state X1, X2, words X3-X6, scratch X7.
#define QUAD(k, Mc) Q0(k, X1, X2, Mc)
#define QUAD_M1(k, Mc, Mp) Q1(k, X1, X2, Mc, Mp)
#define QUAD_M2(k, Mc, Mp, Mn) Q2(k, X1, X2, X7, Mc, Mp, Mn)
#define QUAD_M12(k, Mc, Mp, Mn) Q12(k, X1, X2, X7, Mc, Mp, Mn)

// SHA_AES compresses the block in X3-X6 into X1, X2 while AES turns the
// counter blocks already in X11-X14 into keystream.
#define SHA_AES \
	MOVO X1, X9; \
	MOVO X2, X10; \
	QUAD(0, X3);               AESRND(16); \
	QUAD_M1(16, X4, X3);       AESRND(32); \
	QUAD_M1(32, X5, X4);       AESRND(48); \
	QUAD_M12(48, X6, X5, X3);  AESRND(64); \
	QUAD_M12(64, X3, X6, X4);  AESRND(80); \
	QUAD_M12(80, X4, X3, X5);  AESRND(96); \
	QUAD_M12(96, X5, X4, X6);  AESRND(112); \
	QUAD_M12(112, X6, X5, X3); AESRND(128); \
	QUAD_M12(128, X3, X6, X4); AESRND(144); \
	QUAD_M12(144, X4, X3, X5); AESRND(160); \
	QUAD_M12(160, X5, X4, X6); AESRND(176); \
	QUAD_M12(176, X6, X5, X3); AESRND(192); \
	QUAD_M12(192, X3, X6, X4); AESRND(208); \
	QUAD_M2(208, X4, X3, X5);  AESLAST; \
	QUAD_M2(224, X5, X4, X6); \
	QUAD(240, X6); \
	PADDD X9, X1; \
	PADDD X10, X2

// SHA compresses the block in X3-X6 into X1, X2.
#define SHA \
	MOVO X1, X9; \
	MOVO X2, X10; \
	QUAD(0, X3); \
	QUAD_M1(16, X4, X3); \
	QUAD_M1(32, X5, X4); \
	QUAD_M12(48, X6, X5, X3); \
	QUAD_M12(64, X3, X6, X4); \
	QUAD_M12(80, X4, X3, X5); \
	QUAD_M12(96, X5, X4, X6); \
	QUAD_M12(112, X6, X5, X3); \
	QUAD_M12(128, X3, X6, X4); \
	QUAD_M12(144, X4, X3, X5); \
	QUAD_M12(160, X5, X4, X6); \
	QUAD_M12(176, X6, X5, X3); \
	QUAD_M12(192, X3, X6, X4); \
	QUAD_M2(208, X4, X3, X5); \
	QUAD_M2(224, X5, X4, X6); \
	QUAD(240, X6); \
	PADDD X9, X1; \
	PADDD X10, X2

// PACKET_SETUP prepares the counter halves and the inner HMAC state.
#define PACKET_SETUP \
	MOVQ  R8, R9; \
	BSWAPQ R9; \
	XORQ  asmCipher_rk+0(DI), R9; \
	MOVQ  asmCipher_rk+8(DI), R10; \
	MOVOU asmCipher_inner(DI), X1; \
	MOVOU asmCipher_inner+16(DI), X2; \
	XORL  CX, CX

// LOAD4 fills M0-M3 with the 64 bytes at p as big-endian words.
#define LOAD4(p, M0, M1, M2, M3) \
	MOVOU  0(p), M0; \
	PSHUFB X8, M0; \
	MOVOU  16(p), M1; \
	PSHUFB X8, M1; \
	MOVOU  32(p), M2; \
	PSHUFB X8, M2; \
	MOVOU  48(p), M3; \
	PSHUFB X8, M3

// TAIL4 fills M0-M3 with the final inner block of the packet at p whose
// number is pn: its last 4 ciphertext bytes, be64(pn), 0x80, zeros, and the
// bit length (64 + 1036 bytes = 8800 bits). Uses AX, BX.
#define TAIL4(p, pn, M0, M1, M2, M3) \
	MOVL   const_MaxMessage(p), AX; \
	BSWAPL AX; \
	MOVQ   pn, BX; \
	SHRQ   $32, BX; \
	SHLQ   $32, BX; \
	ORQ    BX, AX; \
	MOVQ   AX, M0; \
	MOVL   pn, BX; \
	MOVQ   $0x8000000000000000, AX; \
	ORQ    BX, AX; \
	PINSRQ $1, AX, M0; \
	PXOR   M1, M1; \
	PXOR   M2, M2; \
	MOVOU  innerLen<>(SB), M3

// DIGEST2 turns state S0, S1 into the digest words {A,B,C,D}, {E,F,G,H}.
#define DIGEST2(S0, S1, T) \
	PSHUFD  $0x1b, S0, S0; \
	PSHUFD  $0xb1, S1, S1; \
	MOVO    S0, T; \
	PBLENDW $0xf0, S1, S0; \
	PALIGNR $8, T, S1

// OUTER4 loads the outer block for the inner digest in S0, S1 into M0-M3
// and the outer HMAC state into S0, S1.
#define OUTER4(S0, S1, T, M0, M1, M2, M3) \
	DIGEST2(S0, S1, T); \
	MOVO  S0, M0; \
	MOVO  S1, M1; \
	MOVOU outerTail<>(SB), M2; \
	MOVOU outerTail<>+16(SB), M3; \
	MOVOU asmCipher_outer(DI), S0; \
	MOVOU asmCipher_outer+16(DI), S1

// STORE_MAC writes the digest of state S0, S1 to the 32 bytes at m.
#define STORE_MAC(S0, S1, T, m) \
	DIGEST2(S0, S1, T); \
	PSHUFB X8, S0; \
	PSHUFB X8, S1; \
	MOVOU  S0, m; \
	MOVOU  S1, 16+m

// CLEAR drops keys, keystream and MAC states from the vector registers.
#define CLEAR \
	PXOR X0, X0; PXOR X1, X1; PXOR X2, X2; PXOR X3, X3; \
	PXOR X4, X4; PXOR X5, X5; PXOR X6, X6; PXOR X7, X7; \
	PXOR X9, X9; PXOR X10, X10; PXOR X11, X11; PXOR X12, X12; \
	PXOR X13, X13; PXOR X14, X14; PXOR X15, X15

// Packets in pairs. SHA256RNDS2 has a latency of about twice its
// throughput, so a single HMAC chain leaves half the SHA unit idle: two
// packets' HMACs run side by side, stream A in X1, X2 / X3-X6 / X7 and
// stream B in X9, X10 / X11-X14 / X15, sharing X0. That leaves no registers
// for AES, so the keystream is a separate pass (ctrAsm), eight blocks wide.

// PAIR_SHA compresses both streams' blocks; the states at block start are
// kept at 0-63(SP).
#define PAIR_SHA \
	MOVOU X1, 0(SP); \
	MOVOU X2, 16(SP); \
	MOVOU X9, 32(SP); \
	MOVOU X10, 48(SP); \
	Q0(0, X1, X2, X3);                          Q0(0, X9, X10, X11); \
	Q1(16, X1, X2, X4, X3);                     Q1(16, X9, X10, X12, X11); \
	Q1(32, X1, X2, X5, X4);                     Q1(32, X9, X10, X13, X12); \
	Q12(48, X1, X2, X7, X6, X5, X3);            Q12(48, X9, X10, X15, X14, X13, X11); \
	Q12(64, X1, X2, X7, X3, X6, X4);            Q12(64, X9, X10, X15, X11, X14, X12); \
	Q12(80, X1, X2, X7, X4, X3, X5);            Q12(80, X9, X10, X15, X12, X11, X13); \
	Q12(96, X1, X2, X7, X5, X4, X6);            Q12(96, X9, X10, X15, X13, X12, X14); \
	Q12(112, X1, X2, X7, X6, X5, X3);           Q12(112, X9, X10, X15, X14, X13, X11); \
	Q12(128, X1, X2, X7, X3, X6, X4);           Q12(128, X9, X10, X15, X11, X14, X12); \
	Q12(144, X1, X2, X7, X4, X3, X5);           Q12(144, X9, X10, X15, X12, X11, X13); \
	Q12(160, X1, X2, X7, X5, X4, X6);           Q12(160, X9, X10, X15, X13, X12, X14); \
	Q12(176, X1, X2, X7, X6, X5, X3);           Q12(176, X9, X10, X15, X14, X13, X11); \
	Q12(192, X1, X2, X7, X3, X6, X4);           Q12(192, X9, X10, X15, X11, X14, X12); \
	Q2(208, X1, X2, X7, X4, X3, X5);            Q2(208, X9, X10, X15, X12, X11, X13); \
	Q2(224, X1, X2, X7, X5, X4, X6);            Q2(224, X9, X10, X15, X13, X12, X14); \
	Q0(240, X1, X2, X6);                        Q0(240, X9, X10, X14); \
	MOVOU 0(SP), X7; \
	PADDD X7, X1; \
	MOVOU 16(SP), X7; \
	PADDD X7, X2; \
	MOVOU 32(SP), X15; \
	PADDD X15, X9; \
	MOVOU 48(SP), X15; \
	PADDD X15, X10

// AESRND8 runs one AES round with the key at off(DI) on X0-X7.
#define AESRND8(off, op) \
	MOVOU asmCipher_rk+off(DI), X8; \
	op X8, X0; op X8, X1; op X8, X2; op X8, X3; \
	op X8, X4; op X8, X5; op X8, X6; op X8, X7

// XOR16 XORs block B into the 16 bytes at off(p).
#define XOR16(B, off, p) \
	MOVOU off(p), X9; \
	PXOR  X9, B; \
	MOVOU B, off(p)

// AES-256 key expansion as in Intel's AES-NI white paper.
#define EXPAND_EVEN(rcon, off) \
	AESKEYGENASSIST $rcon, X3, X2; \
	PSHUFD          $0xff, X2, X2; \
	MOVO            X1, X4; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X1; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X1; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X1; \
	PXOR            X2, X1; \
	MOVOU           X1, off(BX)

#define EXPAND_ODD(off) \
	AESKEYGENASSIST $0, X1, X2; \
	PSHUFD          $0xaa, X2, X2; \
	MOVO            X3, X4; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X3; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X3; \
	PSLLDQ          $4, X4; \
	PXOR            X4, X3; \
	PXOR            X2, X3; \
	MOVOU           X3, off(BX)

// func sealAsm(c *asmCipher, pkt *byte, pnum uint64)
TEXT ·sealAsm(SB), NOSPLIT, $0-24
	MOVQ  c+0(FP), DI
	MOVQ  pkt+8(FP), SI
	MOVQ  pnum+16(FP), R8
	MOVOU flipMask<>(SB), X8
	PACKET_SETUP
	KEYSTREAM4
	XOR64(SI)
	MOVQ SI, R11
	MOVQ $(const_MaxMessage/64), R12

sealChunk:
	// The ciphertext of this chunk is in X11-X14: hash it while AES
	// makes the keystream of the next one (for the last chunk, block 64
	// and three spare blocks).
	MOVO   X11, X3
	PSHUFB X8, X3
	MOVO   X12, X4
	PSHUFB X8, X4
	MOVO   X13, X5
	PSHUFB X8, X5
	MOVO   X14, X6
	PSHUFB X8, X6
	ADDQ   $4, CX
	CTR4
	SHA_AES
	ADDQ   $64, R11
	DECQ   R12
	JZ     sealTail
	XOR64(R11)
	JMP    sealChunk

sealTail:
	MOVQ X11, BX
	XORL BX, const_MaxMessage(SI)
	TAIL4(SI, R8, X3, X4, X5, X6)
	SHA
	OUTER4(X1, X2, X7, X3, X4, X5, X6)
	SHA
	STORE_MAC(X1, X2, X7, const_plainSize(SI))
	CLEAR
	RET

// func openAsm(c *asmCipher, pkt *byte, pnum uint64, mac *[32]byte)
TEXT ·openAsm(SB), NOSPLIT, $0-32
	MOVQ  c+0(FP), DI
	MOVQ  pkt+8(FP), SI
	MOVQ  pnum+16(FP), R8
	MOVOU flipMask<>(SB), X8
	PACKET_SETUP
	MOVQ  SI, R11
	MOVQ  $(const_MaxMessage/64), R12

openChunk:
	// The MAC and the keystream are independent: hash the ciphertext
	// chunk while AES makes its keystream, then decrypt it in place.
	LOAD4(R11, X3, X4, X5, X6)
	CTR4
	SHA_AES
	XOR64(R11)
	ADDQ $64, R11
	ADDQ $4, CX
	DECQ R12
	JNZ  openChunk

	TAIL4(SI, R8, X3, X4, X5, X6)
	CTR4
	SHA_AES
	MOVQ X11, BX
	XORL BX, const_MaxMessage(SI)
	OUTER4(X1, X2, X7, X3, X4, X5, X6)
	SHA
	MOVQ mac+24(FP), R11
	STORE_MAC(X1, X2, X7, 0(R11))
	CLEAR
	RET

// func macPairAsm(c *asmCipher, a, b *byte, pnum uint64, macA, macB *[32]byte)
TEXT ·macPairAsm(SB), NOSPLIT, $64-48
	MOVQ  c+0(FP), DI
	MOVQ  a+8(FP), SI
	MOVQ  b+16(FP), DX
	MOVQ  pnum+24(FP), R8
	LEAQ  1(R8), R9
	MOVOU flipMask<>(SB), X8
	MOVOU asmCipher_inner(DI), X1
	MOVOU asmCipher_inner+16(DI), X2
	MOVO  X1, X9
	MOVO  X2, X10
	MOVQ  SI, R11
	MOVQ  DX, R13
	MOVQ  $(const_MaxMessage/64), R12

macPairChunk:
	LOAD4(R11, X3, X4, X5, X6)
	LOAD4(R13, X11, X12, X13, X14)
	PAIR_SHA
	ADDQ $64, R11
	ADDQ $64, R13
	DECQ R12
	JNZ  macPairChunk

	TAIL4(SI, R8, X3, X4, X5, X6)
	TAIL4(DX, R9, X11, X12, X13, X14)
	PAIR_SHA
	OUTER4(X1, X2, X7, X3, X4, X5, X6)
	OUTER4(X9, X10, X15, X11, X12, X13, X14)
	PAIR_SHA
	MOVQ macA+32(FP), R11
	STORE_MAC(X1, X2, X7, 0(R11))
	MOVQ macB+40(FP), R11
	STORE_MAC(X9, X10, X15, 0(R11))
	CLEAR
	MOVOU X0, 0(SP)
	MOVOU X0, 16(SP)
	MOVOU X0, 32(SP)
	MOVOU X0, 48(SP)
	RET

// func ctrAsm(c *asmCipher, buf *byte, n int, pnum uint64)
TEXT ·ctrAsm(SB), NOSPLIT, $0-32
	MOVQ c+0(FP), DI
	MOVQ buf+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ pnum+24(FP), R8
	MOVQ asmCipher_rk+8(DI), R10

ctrPacket:
	MOVQ   R8, R9
	BSWAPQ R9
	XORQ   asmCipher_rk+0(DI), R9
	XORL   CX, CX
	MOVQ   SI, R11
	MOVQ   $(const_MaxMessage/128), R12

ctrBlocks:
	CTR1(X0, 0); CTR1(X1, 1); CTR1(X2, 2); CTR1(X3, 3)
	CTR1(X4, 4); CTR1(X5, 5); CTR1(X6, 6); CTR1(X7, 7)
	AESRND8(16, AESENC); AESRND8(32, AESENC); AESRND8(48, AESENC); AESRND8(64, AESENC)
	AESRND8(80, AESENC); AESRND8(96, AESENC); AESRND8(112, AESENC); AESRND8(128, AESENC)
	AESRND8(144, AESENC); AESRND8(160, AESENC); AESRND8(176, AESENC); AESRND8(192, AESENC)
	AESRND8(208, AESENC); AESRND8(224, AESENCLAST)
	XOR16(X0, 0, R11); XOR16(X1, 16, R11); XOR16(X2, 32, R11); XOR16(X3, 48, R11)
	XOR16(X4, 64, R11); XOR16(X5, 80, R11); XOR16(X6, 96, R11); XOR16(X7, 112, R11)
	ADDQ $8, CX
	ADDQ $128, R11
	DECQ R12
	JNZ  ctrBlocks

	// Block 64 covers the last 4 bytes.
	CTR1(X0, 0)
	MOVOU asmCipher_rk+16(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+32(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+48(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+64(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+80(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+96(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+112(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+128(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+144(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+160(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+176(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+192(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+208(DI), X8; AESENC X8, X0
	MOVOU asmCipher_rk+224(DI), X8; AESENCLAST X8, X0
	MOVL  const_MaxMessage(SI), AX
	MOVQ  X0, BX
	XORL  BX, AX
	MOVL  AX, const_MaxMessage(SI)

	ADDQ $const_PacketSize, SI
	INCQ R8
	DECQ DX
	JNZ  ctrPacket
	PXOR X0, X0; PXOR X1, X1; PXOR X2, X2; PXOR X3, X3
	PXOR X4, X4; PXOR X5, X5; PXOR X6, X6; PXOR X7, X7
	PXOR X8, X8; PXOR X9, X9
	RET

// func expandKeyAsm(key *[32]byte, rk *[15][16]byte)
TEXT ·expandKeyAsm(SB), NOSPLIT, $0-16
	MOVQ  key+0(FP), AX
	MOVQ  rk+8(FP), BX
	MOVOU 0(AX), X1
	MOVOU 16(AX), X3
	MOVOU X1, 0(BX)
	MOVOU X3, 16(BX)
	EXPAND_EVEN(0x01, 32)
	EXPAND_ODD(48)
	EXPAND_EVEN(0x02, 64)
	EXPAND_ODD(80)
	EXPAND_EVEN(0x04, 96)
	EXPAND_ODD(112)
	EXPAND_EVEN(0x08, 128)
	EXPAND_ODD(144)
	EXPAND_EVEN(0x10, 160)
	EXPAND_ODD(176)
	EXPAND_EVEN(0x20, 192)
	EXPAND_ODD(208)
	EXPAND_EVEN(0x40, 224)
	PXOR X1, X1
	PXOR X2, X2
	PXOR X3, X3
	PXOR X4, X4
	RET

// Byte swap of each 32-bit word.
DATA flipMask<>+0(SB)/8, $0x0405060700010203
DATA flipMask<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL flipMask<>(SB), RODATA|NOPTR, $16

// Words 12-15 of the final inner block: 0, 0, 0 and the inner hash's
// length in bits, (64 + 1028 + 8) * 8 = 8800.
DATA innerLen<>+0(SB)/8, $0
DATA innerLen<>+8(SB)/8, $(((64+const_plainSize+8)*8)<<32)
GLOBL innerLen<>(SB), RODATA|NOPTR, $16

// Words 8-15 of the outer block: 0x80000000, 0..., 768 (64 + 32 bytes).
DATA outerTail<>+0(SB)/8, $0x80000000
DATA outerTail<>+8(SB)/8, $0
DATA outerTail<>+16(SB)/8, $0
DATA outerTail<>+24(SB)/8, $0x0000030000000000
GLOBL outerTail<>(SB), RODATA|NOPTR, $32

// SHA-256 round constants, four per quad; packet_avx512_amd64.s broadcasts
// them one at a time.
DATA ·sha256K+0(SB)/4, $0x428a2f98
DATA ·sha256K+4(SB)/4, $0x71374491
DATA ·sha256K+8(SB)/4, $0xb5c0fbcf
DATA ·sha256K+12(SB)/4, $0xe9b5dba5
DATA ·sha256K+16(SB)/4, $0x3956c25b
DATA ·sha256K+20(SB)/4, $0x59f111f1
DATA ·sha256K+24(SB)/4, $0x923f82a4
DATA ·sha256K+28(SB)/4, $0xab1c5ed5
DATA ·sha256K+32(SB)/4, $0xd807aa98
DATA ·sha256K+36(SB)/4, $0x12835b01
DATA ·sha256K+40(SB)/4, $0x243185be
DATA ·sha256K+44(SB)/4, $0x550c7dc3
DATA ·sha256K+48(SB)/4, $0x72be5d74
DATA ·sha256K+52(SB)/4, $0x80deb1fe
DATA ·sha256K+56(SB)/4, $0x9bdc06a7
DATA ·sha256K+60(SB)/4, $0xc19bf174
DATA ·sha256K+64(SB)/4, $0xe49b69c1
DATA ·sha256K+68(SB)/4, $0xefbe4786
DATA ·sha256K+72(SB)/4, $0x0fc19dc6
DATA ·sha256K+76(SB)/4, $0x240ca1cc
DATA ·sha256K+80(SB)/4, $0x2de92c6f
DATA ·sha256K+84(SB)/4, $0x4a7484aa
DATA ·sha256K+88(SB)/4, $0x5cb0a9dc
DATA ·sha256K+92(SB)/4, $0x76f988da
DATA ·sha256K+96(SB)/4, $0x983e5152
DATA ·sha256K+100(SB)/4, $0xa831c66d
DATA ·sha256K+104(SB)/4, $0xb00327c8
DATA ·sha256K+108(SB)/4, $0xbf597fc7
DATA ·sha256K+112(SB)/4, $0xc6e00bf3
DATA ·sha256K+116(SB)/4, $0xd5a79147
DATA ·sha256K+120(SB)/4, $0x06ca6351
DATA ·sha256K+124(SB)/4, $0x14292967
DATA ·sha256K+128(SB)/4, $0x27b70a85
DATA ·sha256K+132(SB)/4, $0x2e1b2138
DATA ·sha256K+136(SB)/4, $0x4d2c6dfc
DATA ·sha256K+140(SB)/4, $0x53380d13
DATA ·sha256K+144(SB)/4, $0x650a7354
DATA ·sha256K+148(SB)/4, $0x766a0abb
DATA ·sha256K+152(SB)/4, $0x81c2c92e
DATA ·sha256K+156(SB)/4, $0x92722c85
DATA ·sha256K+160(SB)/4, $0xa2bfe8a1
DATA ·sha256K+164(SB)/4, $0xa81a664b
DATA ·sha256K+168(SB)/4, $0xc24b8b70
DATA ·sha256K+172(SB)/4, $0xc76c51a3
DATA ·sha256K+176(SB)/4, $0xd192e819
DATA ·sha256K+180(SB)/4, $0xd6990624
DATA ·sha256K+184(SB)/4, $0xf40e3585
DATA ·sha256K+188(SB)/4, $0x106aa070
DATA ·sha256K+192(SB)/4, $0x19a4c116
DATA ·sha256K+196(SB)/4, $0x1e376c08
DATA ·sha256K+200(SB)/4, $0x2748774c
DATA ·sha256K+204(SB)/4, $0x34b0bcb5
DATA ·sha256K+208(SB)/4, $0x391c0cb3
DATA ·sha256K+212(SB)/4, $0x4ed8aa4a
DATA ·sha256K+216(SB)/4, $0x5b9cca4f
DATA ·sha256K+220(SB)/4, $0x682e6ff3
DATA ·sha256K+224(SB)/4, $0x748f82ee
DATA ·sha256K+228(SB)/4, $0x78a5636f
DATA ·sha256K+232(SB)/4, $0x84c87814
DATA ·sha256K+236(SB)/4, $0x8cc70208
DATA ·sha256K+240(SB)/4, $0x90befffa
DATA ·sha256K+244(SB)/4, $0xa4506ceb
DATA ·sha256K+248(SB)/4, $0xbef9a3f7
DATA ·sha256K+252(SB)/4, $0xc67178f2
GLOBL ·sha256K(SB), RODATA|NOPTR, $256
