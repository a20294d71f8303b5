//go:build arm64 && !purego

#include "textflag.h"
#include "go_asm.h"

// The packet transform with the ARMv8 Cryptography Extension: AESE/AESMC
// for AES-256-CTR, SHA256H/SHA256H2/SHA256SU0/SHA256SU1 for HMAC-SHA256.
// One pass per packet: each 64-byte chunk is loaded once, XORed with four
// keystream blocks, stored, and hashed as ciphertext (the XOR's result for
// seal, the loaded bytes for open). The AES rounds that make the next
// chunk's keystream are interleaved with the SHA-256 rounds of this one
// (SHA256_AES_BLOCK), so the AES units work while the SHA-256 dependency
// chain waits, on in-order cores as on out-of-order ones.
//
// Registers:
//	V0, V1     SHA-256 state {a,b,c,d}, {e,f,g,h}
//	V2, V3, V8 SHA-256 working copies
//	V4-V7      message schedule
//	V9         message + round constants
//	V10        four round constants, loaded from sha256K per quad
//	V11-V14    four AES blocks
//	V15        next counter block: be64(pnum) || be64(j)
//	V16        1 in byte 15: adds one to j (j < 256, so no carry)
//	V17-V31    AES-256 round keys 0-14
//	R0 cipher, R1 packet cursor, R2 pnum, R3 MAC out, R4 constants
//	cursor, R5 chunks left, R6-R8 scratch

// SHA256_QUAD runs four rounds on V9 (message + constants).
#define SHA256_QUAD \
	SHA256H  V9.S4, V3, V2 \
	SHA256H2 V9.S4, V8, V3 \
	VMOV     V2.B16, V8.B16

// WK(m) puts the next four constants plus message quad m in V9.
#define WK(m) \
	VLD1.P 16(R4), [V10.S4] \
	VADD   V10.S4, m.S4, V9.S4

// SCHED_QUAD(p, m, n, o) is one quad of rounds on message quad m while
// the schedule moves on: m's successor is begun from n (SHA256SU0) and p's
// is finished from n and o (SHA256SU1). The four quads rotate through
// V4-V7 in that order.
#define SCHED_QUAD(p, m, n, o) \
	WK(m) \
	SHA256SU0 n.S4, m.S4 \
	SHA256SU1 o.S4, n.S4, p.S4 \
	SHA256_QUAD

// SHA256_BLOCK compresses the message words in V4-V7 (already big-endian
// words) into V0, V1.
#define SHA256_BLOCK \
	MOVD $sha256K<>(SB), R4 \
	VMOV V0.B16, V2.B16 \
	VMOV V1.B16, V3.B16 \
	VMOV V2.B16, V8.B16 \
	WK(V4) \
	SHA256SU0 V5.S4, V4.S4 \
	SHA256_QUAD \
	SCHED_QUAD(V4, V5, V6, V7) \
	SCHED_QUAD(V5, V6, V7, V4) \
	SCHED_QUAD(V6, V7, V4, V5) \
	SCHED_QUAD(V7, V4, V5, V6) \
	SCHED_QUAD(V4, V5, V6, V7) \
	SCHED_QUAD(V5, V6, V7, V4) \
	SCHED_QUAD(V6, V7, V4, V5) \
	SCHED_QUAD(V7, V4, V5, V6) \
	SCHED_QUAD(V4, V5, V6, V7) \
	SCHED_QUAD(V5, V6, V7, V4) \
	SCHED_QUAD(V6, V7, V4, V5) \
	WK(V4) \
	SHA256_QUAD \
	SHA256SU1 V6.S4, V5.S4, V7.S4 \
	WK(V5) \
	SHA256_QUAD \
	WK(V6) \
	SHA256_QUAD \
	WK(V7) \
	SHA256_QUAD \
	VADD V2.S4, V0.S4, V0.S4 \
	VADD V3.S4, V1.S4, V1.S4

// SHA256_AES_BLOCK is SHA256_BLOCK with the fourteen AES rounds of the
// four counter blocks in V11-V14 spread over its first fourteen quads, one
// round per quad: the AES units work while the SHA-256 chain waits on its
// latency.
#define SHA256_AES_BLOCK \
	MOVD $sha256K<>(SB), R4 \
	VMOV V0.B16, V2.B16 \
	VMOV V1.B16, V3.B16 \
	VMOV V2.B16, V8.B16 \
	WK(V4) \
	SHA256SU0 V5.S4, V4.S4 \
	SHA256_QUAD \
	AES_ROUND4(V17) \
	SCHED_QUAD(V4, V5, V6, V7) \
	AES_ROUND4(V18) \
	SCHED_QUAD(V5, V6, V7, V4) \
	AES_ROUND4(V19) \
	SCHED_QUAD(V6, V7, V4, V5) \
	AES_ROUND4(V20) \
	SCHED_QUAD(V7, V4, V5, V6) \
	AES_ROUND4(V21) \
	SCHED_QUAD(V4, V5, V6, V7) \
	AES_ROUND4(V22) \
	SCHED_QUAD(V5, V6, V7, V4) \
	AES_ROUND4(V23) \
	SCHED_QUAD(V6, V7, V4, V5) \
	AES_ROUND4(V24) \
	SCHED_QUAD(V7, V4, V5, V6) \
	AES_ROUND4(V25) \
	SCHED_QUAD(V4, V5, V6, V7) \
	AES_ROUND4(V26) \
	SCHED_QUAD(V5, V6, V7, V4) \
	AES_ROUND4(V27) \
	SCHED_QUAD(V6, V7, V4, V5) \
	AES_ROUND4(V28) \
	WK(V4) \
	SHA256_QUAD \
	SHA256SU1 V6.S4, V5.S4, V7.S4 \
	AES_ROUND4(V29) \
	WK(V5) \
	SHA256_QUAD \
	AES_LAST4 \
	WK(V6) \
	SHA256_QUAD \
	WK(V7) \
	SHA256_QUAD \
	VADD V2.S4, V0.S4, V0.S4 \
	VADD V3.S4, V1.S4, V1.S4

// AES_ROUND4(k) runs one middle round (SubBytes, ShiftRows, AddRoundKey k
// then MixColumns) on the four blocks.
#define AES_ROUND4(k) \
	AESE  k.B16, V11.B16 \
	AESMC V11.B16, V11.B16 \
	AESE  k.B16, V12.B16 \
	AESMC V12.B16, V12.B16 \
	AESE  k.B16, V13.B16 \
	AESMC V13.B16, V13.B16 \
	AESE  k.B16, V14.B16 \
	AESMC V14.B16, V14.B16

// AES_LAST4 is the final round (no MixColumns, then round key 14).
#define AES_LAST4 \
	AESE  V30.B16, V11.B16 \
	AESE  V30.B16, V12.B16 \
	AESE  V30.B16, V13.B16 \
	AESE  V30.B16, V14.B16 \
	VEOR  V31.B16, V11.B16, V11.B16 \
	VEOR  V31.B16, V12.B16, V12.B16 \
	VEOR  V31.B16, V13.B16, V13.B16 \
	VEOR  V31.B16, V14.B16, V14.B16

// COUNTERS4 puts the next four counter blocks in V11-V14.
#define COUNTERS4 \
	VMOV  V15.B16, V11.B16 \
	VADD  V16.B16, V15.B16, V15.B16 \
	VMOV  V15.B16, V12.B16 \
	VADD  V16.B16, V15.B16, V15.B16 \
	VMOV  V15.B16, V13.B16 \
	VADD  V16.B16, V15.B16, V15.B16 \
	VMOV  V15.B16, V14.B16 \
	VADD  V16.B16, V15.B16, V15.B16

// KEYSTREAM4 encrypts the next four counter blocks into V11-V14.
#define KEYSTREAM4 \
	COUNTERS4 \
	AES_ROUND4(V17) \
	AES_ROUND4(V18) \
	AES_ROUND4(V19) \
	AES_ROUND4(V20) \
	AES_ROUND4(V21) \
	AES_ROUND4(V22) \
	AES_ROUND4(V23) \
	AES_ROUND4(V24) \
	AES_ROUND4(V25) \
	AES_ROUND4(V26) \
	AES_ROUND4(V27) \
	AES_ROUND4(V28) \
	AES_ROUND4(V29) \
	AES_LAST4

// ROUND_KEYS loads the round keys into V17-V31 and the counter increment
// into V16.
#define ROUND_KEYS \
	ADD    $arm64Cipher_rk, R0, R6 \
	VLD1.P 64(R6), [V17.B16, V18.B16, V19.B16, V20.B16] \
	VLD1.P 64(R6), [V21.B16, V22.B16, V23.B16, V24.B16] \
	VLD1.P 64(R6), [V25.B16, V26.B16, V27.B16, V28.B16] \
	VLD1   (R6), [V29.B16, V30.B16, V31.B16] \
	VEOR   V16.B16, V16.B16, V16.B16 \
	MOVD   $1, R6 \
	VMOV   R6, V16.B[15]

// FIRST_COUNTER sets V15 to the counter block be64(R2) || be64(0).
#define FIRST_COUNTER \
	REV    R2, R6 \
	VEOR   V15.B16, V15.B16, V15.B16 \
	VMOV   R6, V15.D[0]

// PACKET_SETUP loads the round keys, the first counter block (pnum in R2)
// and the inner HMAC state.
#define PACKET_SETUP \
	ROUND_KEYS \
	FIRST_COUNTER \
	ADD    $arm64Cipher_inner, R0, R6 \
	VLD1   (R6), [V0.S4, V1.S4] \
	MOVD   $(const_MaxMessage/64), R5

// TAIL_BLOCK(ptr, pn, m0, m1, m2, m3) fills message quads m0-m3 with the
// last inner block of a packet whose length field (ciphertext) is at ptr
// and whose number is in pn.
#define TAIL_BLOCK(ptr, pn, m0, m1, m2, m3) \
	MOVWU (ptr), R7 \
	REVW  R7, R7 \
	VEOR  m0.B16, m0.B16, m0.B16 \
	VEOR  m1.B16, m1.B16, m1.B16 \
	VEOR  m2.B16, m2.B16, m2.B16 \
	VEOR  m3.B16, m3.B16, m3.B16 \
	VMOV  R7, m0.S[0] \
	LSR   $32, pn, R8 \
	VMOV  R8, m0.S[1] \
	VMOV  pn, m0.S[2] \
	MOVW  $0x80000000, R8 \
	VMOV  R8, m0.S[3] \
	MOVW  $((64+const_plainSize+8)*8), R8 \
	VMOV  R8, m3.S[3]

// INNER_TAIL hashes the last inner block of the packet at R1 (its
// ciphertext length field), number R2.
#define INNER_TAIL \
	TAIL_BLOCK(R1, R2, V4, V5, V6, V7) \
	SHA256_BLOCK

// OUTER hashes the inner digest (V0, V1) from the opad state and leaves
// the big-endian MAC in V0, V1.
#define OUTER \
	VMOV  V0.B16, V4.B16 \
	VMOV  V1.B16, V5.B16 \
	VEOR  V6.B16, V6.B16, V6.B16 \
	VEOR  V7.B16, V7.B16, V7.B16 \
	MOVW  $0x80000000, R8 \
	VMOV  R8, V6.S[0] \
	MOVW  $((64+32)*8), R8 \
	VMOV  R8, V7.S[3] \
	ADD   $arm64Cipher_outer, R0, R6 \
	VLD1  (R6), [V0.S4, V1.S4] \
	SHA256_BLOCK \
	VREV32 V0.B16, V0.B16 \
	VREV32 V1.B16, V1.B16

// CLEAR zeroes every vector register that held keys, keystream, state or
// plaintext, so none outlives the call.
#define CLEAR \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	VEOR V8.B16, V8.B16, V8.B16 \
	VEOR V9.B16, V9.B16, V9.B16 \
	VEOR V10.B16, V10.B16, V10.B16 \
	VEOR V11.B16, V11.B16, V11.B16 \
	VEOR V12.B16, V12.B16, V12.B16 \
	VEOR V13.B16, V13.B16, V13.B16 \
	VEOR V14.B16, V14.B16, V14.B16 \
	VEOR V15.B16, V15.B16, V15.B16 \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	VEOR V20.B16, V20.B16, V20.B16 \
	VEOR V21.B16, V21.B16, V21.B16 \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16 \
	VEOR V24.B16, V24.B16, V24.B16 \
	VEOR V25.B16, V25.B16, V25.B16 \
	VEOR V26.B16, V26.B16, V26.B16 \
	VEOR V27.B16, V27.B16, V27.B16 \
	VEOR V28.B16, V28.B16, V28.B16 \
	VEOR V29.B16, V29.B16, V29.B16 \
	VEOR V30.B16, V30.B16, V30.B16 \
	VEOR V31.B16, V31.B16, V31.B16

// func sealArm64(c *arm64Cipher, pkt *byte, pnum uint64)
TEXT ·sealArm64(SB), NOSPLIT, $0-24
	MOVD c+0(FP), R0
	MOVD pkt+8(FP), R1
	MOVD pnum+16(FP), R2
	PACKET_SETUP
	KEYSTREAM4

sealChunk:
	// V11-V14 hold this chunk's keystream.
	VLD1   (R1), [V4.B16, V5.B16, V6.B16, V7.B16]
	VEOR   V4.B16, V11.B16, V11.B16
	VEOR   V5.B16, V12.B16, V12.B16
	VEOR   V6.B16, V13.B16, V13.B16
	VEOR   V7.B16, V14.B16, V14.B16
	VST1.P [V11.B16, V12.B16, V13.B16, V14.B16], 64(R1)
	VREV32 V11.B16, V4.B16
	VREV32 V12.B16, V5.B16
	VREV32 V13.B16, V6.B16
	VREV32 V14.B16, V7.B16
	COUNTERS4
	SHA256_AES_BLOCK
	SUBS   $1, R5
	BNE    sealChunk

	// R1 is at the length field; V11 holds the keystream of its block
	// (64), V12-V14 spare blocks.
	MOVWU  (R1), R7
	VMOV   V11.S[0], R6
	EORW   R6, R7
	MOVW   R7, (R1)
	INNER_TAIL
	OUTER
	ADD    $4, R1
	VST1   [V0.B16, V1.B16], (R1)
	CLEAR
	RET

// func openArm64(c *arm64Cipher, pkt *byte, pnum uint64, mac *[32]byte)
TEXT ·openArm64(SB), NOSPLIT, $0-32
	MOVD c+0(FP), R0
	MOVD pkt+8(FP), R1
	MOVD pnum+16(FP), R2
	MOVD mac+24(FP), R3
	PACKET_SETUP
	KEYSTREAM4

openChunk:
	// V11-V14 hold this chunk's keystream.
	VLD1   (R1), [V4.B16, V5.B16, V6.B16, V7.B16]
	VEOR   V4.B16, V11.B16, V11.B16
	VEOR   V5.B16, V12.B16, V12.B16
	VEOR   V6.B16, V13.B16, V13.B16
	VEOR   V7.B16, V14.B16, V14.B16
	VST1.P [V11.B16, V12.B16, V13.B16, V14.B16], 64(R1)
	VREV32 V4.B16, V4.B16
	VREV32 V5.B16, V5.B16
	VREV32 V6.B16, V6.B16
	VREV32 V7.B16, V7.B16
	COUNTERS4
	SHA256_AES_BLOCK
	SUBS   $1, R5
	BNE    openChunk

	// The hash takes the ciphertext of the length field, read before it
	// is decrypted with V11 (the keystream of block 64).
	TAIL_BLOCK(R1, R2, V4, V5, V6, V7)
	MOVWU  (R1), R7
	VMOV   V11.S[0], R6
	EORW   R6, R7
	MOVW   R7, (R1)
	SHA256_BLOCK
	OUTER
	VST1   [V0.B16, V1.B16], (R3)
	CLEAR
	RET


// Pairs of packets (a batch's packets two at a time). One packet's HMAC
// is a single SHA256H/SHA256H2 dependency chain that leaves the SHA-256
// unit idle most cycles; two packets' chains interleaved fill it. AES work
// goes between the quads as in the single-packet code, but the two chains
// (V0-V9, V16-V25, constants in V10) leave no room for resident round keys:
// each AES round loads its key (R9) into V27, and the keystream of four
// blocks is XORed into memory (R14 for packet a, R15 for packet b) as soon
// as it is ready, the chains reading the ciphertext back from memory.
//
//	V11-V14 four AES blocks, V15 and V28 the next counter blocks of a and
//	b, V26 the counter increment, V27 a round key, V29 and V30 data.

// PAIR_QUAD(m, mb) is one quad of rounds of each chain on message quads m
// and mb, with no schedule left to compute (the last quads of a block).
#define PAIR_QUAD(m, mb) \
	VLD1.P 16(R4), [V10.S4] \
	VADD V10.S4, m.S4, V9.S4 \
	VADD V10.S4, mb.S4, V25.S4 \
	SHA256H V9.S4, V3, V2 \
	SHA256H V25.S4, V19, V18 \
	SHA256H2 V9.S4, V8, V3 \
	SHA256H2 V25.S4, V24, V19 \
	VMOV V2.B16, V8.B16 \
	VMOV V18.B16, V24.B16

// PAIR_SCHED_QUAD is SCHED_QUAD for two chains at once, packet a's in
// V2/V3/V8 with message quads p, m, n, o and packet b's in V18/V19/V24
// with pb, mb, nb, ob, one instruction of each in turn: the two chains
// keep the SHA-256 unit busy while each waits on its own latency.
#define PAIR_SCHED_QUAD(p, m, n, o, pb, mb, nb, ob) \
	VLD1.P 16(R4), [V10.S4] \
	VADD V10.S4, m.S4, V9.S4 \
	VADD V10.S4, mb.S4, V25.S4 \
	SHA256SU0 n.S4, m.S4 \
	SHA256SU0 nb.S4, mb.S4 \
	SHA256SU1 o.S4, n.S4, p.S4 \
	SHA256SU1 ob.S4, nb.S4, pb.S4 \
	SHA256H V9.S4, V3, V2 \
	SHA256H V25.S4, V19, V18 \
	SHA256H2 V9.S4, V8, V3 \
	SHA256H2 V25.S4, V24, V19 \
	VMOV V2.B16, V8.B16 \
	VMOV V18.B16, V24.B16

#define SHA256_PAIR_BLOCK \
	MOVD $sha256K<>(SB), R4 \
	VMOV V0.B16, V2.B16 \
	VMOV V1.B16, V3.B16 \
	VMOV V2.B16, V8.B16 \
	VMOV V16.B16, V18.B16 \
	VMOV V17.B16, V19.B16 \
	VMOV V18.B16, V24.B16 \
	VLD1.P 16(R4), [V10.S4] \
	VADD V10.S4, V4.S4, V9.S4 \
	VADD V10.S4, V20.S4, V25.S4 \
	SHA256SU0 V5.S4, V4.S4 \
	SHA256SU0 V21.S4, V20.S4 \
	SHA256H V9.S4, V3, V2 \
	SHA256H V25.S4, V19, V18 \
	SHA256H2 V9.S4, V8, V3 \
	SHA256H2 V25.S4, V24, V19 \
	VMOV V2.B16, V8.B16 \
	VMOV V18.B16, V24.B16 \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	PAIR_SCHED_QUAD(V7, V4, V5, V6, V23, V20, V21, V22) \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	PAIR_SCHED_QUAD(V7, V4, V5, V6, V23, V20, V21, V22) \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	PAIR_QUAD(V4, V20) \
	SHA256SU1 V6.S4, V5.S4, V7.S4 \
	SHA256SU1 V22.S4, V21.S4, V23.S4 \
	PAIR_QUAD(V5, V21) \
	PAIR_QUAD(V6, V22) \
	PAIR_QUAD(V7, V23) \
	VADD V2.S4, V0.S4, V0.S4 \
	VADD V3.S4, V1.S4, V1.S4 \
	VADD V18.S4, V16.S4, V16.S4 \
	VADD V19.S4, V17.S4, V17.S4

// AES_JOB_SETUP(ctr) puts the next four counter blocks of ctr in V11-V14
// and points R9 at round key 0.
#define AES_JOB_SETUP(ctr) \
	ADD   $arm64Cipher_rk, R0, R9 \
	VMOV  ctr.B16, V11.B16 \
	VADD  V26.B16, ctr.B16, ctr.B16 \
	VMOV  ctr.B16, V12.B16 \
	VADD  V26.B16, ctr.B16, ctr.B16 \
	VMOV  ctr.B16, V13.B16 \
	VADD  V26.B16, ctr.B16, ctr.B16 \
	VMOV  ctr.B16, V14.B16 \
	VADD  V26.B16, ctr.B16, ctr.B16

// AES_JOB_ROUND runs the next middle round on V11-V14.
#define AES_JOB_ROUND \
	VLD1.P 16(R9), [V27.B16] \
	AESE   V27.B16, V11.B16 \
	AESMC  V11.B16, V11.B16 \
	AESE   V27.B16, V12.B16 \
	AESMC  V12.B16, V12.B16 \
	AESE   V27.B16, V13.B16 \
	AESMC  V13.B16, V13.B16 \
	AESE   V27.B16, V14.B16 \
	AESMC  V14.B16, V14.B16

// AES_JOB_LAST runs the final round (round keys 13 and 14).
#define AES_JOB_LAST \
	VLD1.P 16(R9), [V27.B16] \
	AESE   V27.B16, V11.B16 \
	AESE   V27.B16, V12.B16 \
	AESE   V27.B16, V13.B16 \
	AESE   V27.B16, V14.B16 \
	VLD1   (R9), [V27.B16] \
	VEOR   V27.B16, V11.B16, V11.B16 \
	VEOR   V27.B16, V12.B16, V12.B16 \
	VEOR   V27.B16, V13.B16, V13.B16 \
	VEOR   V27.B16, V14.B16, V14.B16

// AES_JOB_XOR(p) XORs the keystream in V11-V14 into the 64 bytes at p and
// advances p.
#define AES_JOB_XOR(p) \
	VLD1   (p), [V29.B16, V30.B16] \
	VEOR   V29.B16, V11.B16, V11.B16 \
	VEOR   V30.B16, V12.B16, V12.B16 \
	VST1.P [V11.B16, V12.B16], 32(p) \
	VLD1   (p), [V29.B16, V30.B16] \
	VEOR   V29.B16, V13.B16, V13.B16 \
	VEOR   V30.B16, V14.B16, V14.B16 \
	VST1.P [V13.B16, V14.B16], 32(p)

// AES_JOB(ctr, p) is a whole job: four blocks of keystream XORed at p.
#define AES_JOB(ctr, p) \
	AES_JOB_SETUP(ctr) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_LAST \
	AES_JOB_XOR(p)

// SHA256_PAIR_AES_BLOCK is SHA256_PAIR_BLOCK with a keystream job for
// packet a (counter V15, data at R14) spread over its first eight quads and
// one for packet b (V28, R15) over the last eight.
#define SHA256_PAIR_AES_BLOCK \
	MOVD $sha256K<>(SB), R4 \
	VMOV V0.B16, V2.B16 \
	VMOV V1.B16, V3.B16 \
	VMOV V2.B16, V8.B16 \
	VMOV V16.B16, V18.B16 \
	VMOV V17.B16, V19.B16 \
	VMOV V18.B16, V24.B16 \
	VLD1.P 16(R4), [V10.S4] \
	VADD V10.S4, V4.S4, V9.S4 \
	VADD V10.S4, V20.S4, V25.S4 \
	SHA256SU0 V5.S4, V4.S4 \
	SHA256SU0 V21.S4, V20.S4 \
	SHA256H V9.S4, V3, V2 \
	SHA256H V25.S4, V19, V18 \
	SHA256H2 V9.S4, V8, V3 \
	SHA256H2 V25.S4, V24, V19 \
	VMOV V2.B16, V8.B16 \
	VMOV V18.B16, V24.B16 \
	AES_JOB_SETUP(V15) \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V7, V4, V5, V6, V23, V20, V21, V22) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	AES_JOB_LAST \
	AES_JOB_XOR(R14) \
	PAIR_SCHED_QUAD(V7, V4, V5, V6, V23, V20, V21, V22) \
	AES_JOB_SETUP(V28) \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V4, V5, V6, V7, V20, V21, V22, V23) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V5, V6, V7, V4, V21, V22, V23, V20) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_SCHED_QUAD(V6, V7, V4, V5, V22, V23, V20, V21) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_QUAD(V4, V20) \
	SHA256SU1 V6.S4, V5.S4, V7.S4 \
	SHA256SU1 V22.S4, V21.S4, V23.S4 \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_QUAD(V5, V21) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_QUAD(V6, V22) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	PAIR_QUAD(V7, V23) \
	AES_JOB_LAST \
	AES_JOB_XOR(R15) \
	VADD V2.S4, V0.S4, V0.S4 \
	VADD V3.S4, V1.S4, V1.S4 \
	VADD V18.S4, V16.S4, V16.S4 \
	VADD V19.S4, V17.S4, V17.S4

// PAIR_SETUP loads both inner states, both first counter blocks (pnum in
// R2, pnum+1 in R12), the counter increment, and the chunk count.
#define PAIR_SETUP \
	ADD   $const_PacketSize, R1, R11 \
	ADD   $1, R2, R12 \
	MOVD  R1, R14 \
	MOVD  R11, R15 \
	ADD   $arm64Cipher_inner, R0, R6 \
	VLD1  (R6), [V0.S4, V1.S4] \
	VMOV  V0.B16, V16.B16 \
	VMOV  V1.B16, V17.B16 \
	REV   R2, R6 \
	VEOR  V15.B16, V15.B16, V15.B16 \
	VMOV  R6, V15.D[0] \
	REV   R12, R6 \
	VEOR  V28.B16, V28.B16, V28.B16 \
	VMOV  R6, V28.D[0] \
	VEOR  V26.B16, V26.B16, V26.B16 \
	MOVD  $1, R6 \
	VMOV  R6, V26.B[15]

// PAIR_LOAD loads the next ciphertext chunk of a (R1) and b (R11) as
// message words.
#define PAIR_LOAD \
	VLD1.P 64(R1), [V4.B16, V5.B16, V6.B16, V7.B16] \
	VLD1.P 64(R11), [V20.B16, V21.B16, V22.B16, V23.B16] \
	VREV32 V4.B16, V4.B16 \
	VREV32 V5.B16, V5.B16 \
	VREV32 V6.B16, V6.B16 \
	VREV32 V7.B16, V7.B16 \
	VREV32 V20.B16, V20.B16 \
	VREV32 V21.B16, V21.B16 \
	VREV32 V22.B16, V22.B16 \
	VREV32 V23.B16, V23.B16

// LENGTH_XOR(ctr, p) XORs the keystream of the next counter block of ctr
// (block 64) into the four bytes at p.
#define LENGTH_XOR(ctr, p) \
	AES_JOB_SETUP(ctr) \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_ROUND \
	AES_JOB_LAST \
	MOVWU  (p), R7 \
	VMOV   V11.S[0], R6 \
	EORW   R6, R7 \
	MOVW   R7, (p)

// PAIR_OUTER runs both outer hashes and leaves the big-endian MACs in V0,
// V1 (a) and V16, V17 (b).
#define PAIR_OUTER \
	VMOV  V0.B16, V4.B16 \
	VMOV  V1.B16, V5.B16 \
	VMOV  V16.B16, V20.B16 \
	VMOV  V17.B16, V21.B16 \
	VEOR  V6.B16, V6.B16, V6.B16 \
	VEOR  V7.B16, V7.B16, V7.B16 \
	MOVW  $0x80000000, R8 \
	VMOV  R8, V6.S[0] \
	MOVW  $((64+32)*8), R8 \
	VMOV  R8, V7.S[3] \
	VMOV  V6.B16, V22.B16 \
	VMOV  V7.B16, V23.B16 \
	ADD   $arm64Cipher_outer, R0, R6 \
	VLD1  (R6), [V0.S4, V1.S4] \
	VMOV  V0.B16, V16.B16 \
	VMOV  V1.B16, V17.B16 \
	SHA256_PAIR_BLOCK \
	VREV32 V0.B16, V0.B16 \
	VREV32 V1.B16, V1.B16 \
	VREV32 V16.B16, V16.B16 \
	VREV32 V17.B16, V17.B16

// func sealPairArm64(c *arm64Cipher, a *byte, pnum uint64)
//
// Packets a and a+PacketSize. The keystream runs one chunk ahead of the
// hash: chunk 0 first, then chunk i+1 of both packets during the hash of
// chunk i, the last chunk hashed alone.
TEXT ·sealPairArm64(SB), NOSPLIT, $0-24
	MOVD c+0(FP), R0
	MOVD a+8(FP), R1
	MOVD pnum+16(FP), R2
	PAIR_SETUP
	AES_JOB(V15, R14)
	AES_JOB(V28, R15)
	MOVD $(const_MaxMessage/64-1), R5

sealPairChunk:
	PAIR_LOAD
	SHA256_PAIR_AES_BLOCK
	SUBS $1, R5
	BNE  sealPairChunk

	PAIR_LOAD
	SHA256_PAIR_BLOCK
	LENGTH_XOR(V15, R1)
	LENGTH_XOR(V28, R11)
	TAIL_BLOCK(R1, R2, V4, V5, V6, V7)
	TAIL_BLOCK(R11, R12, V20, V21, V22, V23)
	SHA256_PAIR_BLOCK
	PAIR_OUTER
	ADD  $4, R1
	ADD  $4, R11
	VST1 [V0.B16, V1.B16], (R1)
	VST1 [V16.B16, V17.B16], (R11)
	CLEAR
	RET

// func openPairArm64(c *arm64Cipher, a *byte, pnum uint64, macA, macB *[32]byte)
//
// Packets a and a+PacketSize. Each chunk is loaded for the hash before its
// keystream job, in the same block, decrypts it in memory.
TEXT ·openPairArm64(SB), NOSPLIT, $0-40
	MOVD c+0(FP), R0
	MOVD a+8(FP), R1
	MOVD pnum+16(FP), R2
	MOVD macA+24(FP), R3
	MOVD macB+32(FP), R13
	PAIR_SETUP
	MOVD $(const_MaxMessage/64), R5

openPairChunk:
	PAIR_LOAD
	SHA256_PAIR_AES_BLOCK
	SUBS $1, R5
	BNE  openPairChunk

	// The hash takes the ciphertext of the length fields, read before
	// they are decrypted.
	TAIL_BLOCK(R1, R2, V4, V5, V6, V7)
	TAIL_BLOCK(R11, R12, V20, V21, V22, V23)
	LENGTH_XOR(V15, R1)
	LENGTH_XOR(V28, R11)
	SHA256_PAIR_BLOCK
	PAIR_OUTER
	VST1 [V0.B16, V1.B16], (R3)
	VST1 [V16.B16, V17.B16], (R13)
	CLEAR
	RET

// func expandKeyArm64(key *[32]byte, rk *[15][16]byte)
//
// FIPS-197 §5.2 for Nk = 8, as crypto/aes does it on arm64: SubWord is
// AESE with an all-zero round key on a vector whose bytes a table lookup
// first moves to where ShiftRows takes them back (with RotWord folded in
// for every eighth word), so no S-box table is read with key bytes.
TEXT ·expandKeyArm64(SB), NOSPLIT, $0-16
	MOVD   key+0(FP), R9
	MOVD   rk+8(FP), R10
	LDP    rotInvSRows<>(SB), (R0, R1)
	VMOV   R0, V3.D[0]
	VMOV   R1, V3.D[1]
	LDP    invSRows<>(SB), (R0, R1)
	VMOV   R0, V4.D[0]
	VMOV   R1, V4.D[1]
	VEOR   V0.B16, V0.B16, V0.B16
	MOVW   $1, R13
	MOVD   $7, R8
	LDPW   (R9), (R0, R1)
	LDPW   8(R9), (R2, R3)
	LDPW   16(R9), (R4, R5)
	LDPW   24(R9), (R6, R7)
	STPW.P (R0, R1), 8(R10)
	STPW.P (R2, R3), 8(R10)

expandLoop:
	STPW.P (R4, R5), 8(R10)
	STPW.P (R6, R7), 8(R10)
	VMOV   R7, V2.S[0]
	VTBL   V3.B16, [V2.B16], V2.B16
	AESE   V0.B16, V2.B16
	EORW   R13, R0
	LSLW   $1, R13
	VMOV   V2.S[0], R9
	EORW   R9, R0
	EORW   R0, R1
	EORW   R1, R2
	EORW   R2, R3
	VMOV   R3, V2.S[0]
	VTBL   V4.B16, [V2.B16], V2.B16
	AESE   V0.B16, V2.B16
	VMOV   V2.S[0], R9
	EORW   R9, R4
	EORW   R4, R5
	EORW   R5, R6
	EORW   R6, R7
	STPW.P (R0, R1), 8(R10)
	STPW.P (R2, R3), 8(R10)
	SUBS   $1, R8
	BNE    expandLoop

	// The last pass computed words 60-63, which AES-256 does not use;
	// clear them and the rest of the scratch.
	VEOR   V2.B16, V2.B16, V2.B16
	MOVD   ZR, R0
	MOVD   ZR, R1
	MOVD   ZR, R2
	MOVD   ZR, R3
	MOVD   ZR, R4
	MOVD   ZR, R5
	MOVD   ZR, R6
	MOVD   ZR, R7
	MOVD   ZR, R9
	RET

// Byte shuffles for SubWord through AESE (from crypto/aes): with RotWord,
// and without.
DATA rotInvSRows<>+0x00(SB)/8, $0x080f0205040b0e01
DATA rotInvSRows<>+0x08(SB)/8, $0x00070a0d0c030609
GLOBL rotInvSRows<>(SB), RODATA|NOPTR, $16
DATA invSRows<>+0x00(SB)/8, $0x0b0e0104070a0d00
DATA invSRows<>+0x08(SB)/8, $0x0306090c0f020508
GLOBL invSRows<>(SB), RODATA|NOPTR, $16

// SHA-256 round constants, four per quad.
DATA sha256K<>+0(SB)/4, $0x428a2f98
DATA sha256K<>+4(SB)/4, $0x71374491
DATA sha256K<>+8(SB)/4, $0xb5c0fbcf
DATA sha256K<>+12(SB)/4, $0xe9b5dba5
DATA sha256K<>+16(SB)/4, $0x3956c25b
DATA sha256K<>+20(SB)/4, $0x59f111f1
DATA sha256K<>+24(SB)/4, $0x923f82a4
DATA sha256K<>+28(SB)/4, $0xab1c5ed5
DATA sha256K<>+32(SB)/4, $0xd807aa98
DATA sha256K<>+36(SB)/4, $0x12835b01
DATA sha256K<>+40(SB)/4, $0x243185be
DATA sha256K<>+44(SB)/4, $0x550c7dc3
DATA sha256K<>+48(SB)/4, $0x72be5d74
DATA sha256K<>+52(SB)/4, $0x80deb1fe
DATA sha256K<>+56(SB)/4, $0x9bdc06a7
DATA sha256K<>+60(SB)/4, $0xc19bf174
DATA sha256K<>+64(SB)/4, $0xe49b69c1
DATA sha256K<>+68(SB)/4, $0xefbe4786
DATA sha256K<>+72(SB)/4, $0x0fc19dc6
DATA sha256K<>+76(SB)/4, $0x240ca1cc
DATA sha256K<>+80(SB)/4, $0x2de92c6f
DATA sha256K<>+84(SB)/4, $0x4a7484aa
DATA sha256K<>+88(SB)/4, $0x5cb0a9dc
DATA sha256K<>+92(SB)/4, $0x76f988da
DATA sha256K<>+96(SB)/4, $0x983e5152
DATA sha256K<>+100(SB)/4, $0xa831c66d
DATA sha256K<>+104(SB)/4, $0xb00327c8
DATA sha256K<>+108(SB)/4, $0xbf597fc7
DATA sha256K<>+112(SB)/4, $0xc6e00bf3
DATA sha256K<>+116(SB)/4, $0xd5a79147
DATA sha256K<>+120(SB)/4, $0x06ca6351
DATA sha256K<>+124(SB)/4, $0x14292967
DATA sha256K<>+128(SB)/4, $0x27b70a85
DATA sha256K<>+132(SB)/4, $0x2e1b2138
DATA sha256K<>+136(SB)/4, $0x4d2c6dfc
DATA sha256K<>+140(SB)/4, $0x53380d13
DATA sha256K<>+144(SB)/4, $0x650a7354
DATA sha256K<>+148(SB)/4, $0x766a0abb
DATA sha256K<>+152(SB)/4, $0x81c2c92e
DATA sha256K<>+156(SB)/4, $0x92722c85
DATA sha256K<>+160(SB)/4, $0xa2bfe8a1
DATA sha256K<>+164(SB)/4, $0xa81a664b
DATA sha256K<>+168(SB)/4, $0xc24b8b70
DATA sha256K<>+172(SB)/4, $0xc76c51a3
DATA sha256K<>+176(SB)/4, $0xd192e819
DATA sha256K<>+180(SB)/4, $0xd6990624
DATA sha256K<>+184(SB)/4, $0xf40e3585
DATA sha256K<>+188(SB)/4, $0x106aa070
DATA sha256K<>+192(SB)/4, $0x19a4c116
DATA sha256K<>+196(SB)/4, $0x1e376c08
DATA sha256K<>+200(SB)/4, $0x2748774c
DATA sha256K<>+204(SB)/4, $0x34b0bcb5
DATA sha256K<>+208(SB)/4, $0x391c0cb3
DATA sha256K<>+212(SB)/4, $0x4ed8aa4a
DATA sha256K<>+216(SB)/4, $0x5b9cca4f
DATA sha256K<>+220(SB)/4, $0x682e6ff3
DATA sha256K<>+224(SB)/4, $0x748f82ee
DATA sha256K<>+228(SB)/4, $0x78a5636f
DATA sha256K<>+232(SB)/4, $0x84c87814
DATA sha256K<>+236(SB)/4, $0x8cc70208
DATA sha256K<>+240(SB)/4, $0x90befffa
DATA sha256K<>+244(SB)/4, $0xa4506ceb
DATA sha256K<>+248(SB)/4, $0xbef9a3f7
DATA sha256K<>+252(SB)/4, $0xc67178f2
GLOBL sha256K<>(SB), RODATA|NOPTR, $256
