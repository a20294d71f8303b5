//go:build amd64 && !purego

package cipher

// avx512Cipher runs batches through multi-buffer code: the keystream with
// VAES and the HMACs of 16 packets at once in the 16 lanes of ZMM registers
// (macX16Asm), whose inner hashes are all the same 18 blocks long. A 16-lane
// HMAC costs the same for 1 packet as for 16, so a last group short of
// mbMin packets goes through the SHA-NI pairs of the embedded asmCipher,
// as do single packets (open).
type avx512Cipher struct {
	asmCipher
	// mbMin is mbMinFast but for tests, which set 1 so that every batch
	// runs the 16-lane code, partial groups included.
	mbMin int
}

// mbMinFast is the smallest group of packets that the 16-lane HMAC
// handles faster than SHA-NI pairs; see PERF.md.
const mbMinFast = 8

func newAVX512Cipher(k *DirectionKeys) *avx512Cipher {
	c := &avx512Cipher{mbMin: mbMinFast}
	c.init(k)
	return c
}

// mbCount is how many of n packets the multi-buffer code takes: every
// whole group of 16, and a last partial group of at least mbMin.
func (c *avx512Cipher) mbCount(n int) int {
	if n%16 >= c.mbMin {
		return n
	}
	return n - n%16
}

// laneMask selects the first min(n, 16) lanes.
func laneMask(n int) uint16 {
	if n >= 16 {
		return 0xffff
	}
	return uint16(1)<<n - 1
}

// seal encrypts then MACs (the MAC is over the ciphertext) one group of
// 16 packets at a time, so that the MAC reads them from L1, and writes
// each MAC after its packet.
func (c *avx512Cipher) seal(buf []byte, n int, pnum uint64) {
	buf = buf[:n*PacketSize]
	m := c.mbCount(n)
	for i := 0; i < m; i += 16 {
		g := min(16, m-i)
		ctrVAESAsm(&c.asmCipher, &buf[i*PacketSize], g, pnum+uint64(i))
		macX16Asm(&c.asmCipher, &buf[i*PacketSize], pnum+uint64(i), laneMask(g),
			&buf[i*PacketSize+plainSize], PacketSize)
	}
	if m < n {
		c.asmCipher.seal(buf[m*PacketSize:], n-m, pnum+uint64(m))
	}
}

// openBatch checks the MACs of a group of 16 packets and decrypts it while
// it is in L1, then goes on to the next group. As in the SHA-NI path the
// decryption does not wait for the verdict on the whole batch: the Opener
// clears the batch if any MAC failed. The comparison does not stop at the
// first mismatch.
func (c *avx512Cipher) openBatch(buf []byte, n int, pnum uint64) bool {
	buf = buf[:n*PacketSize]
	m := c.mbCount(n)
	ok := 1
	var macs [16][macSize]byte
	for i := 0; i < m; i += 16 {
		g := min(16, m-i)
		macX16Asm(&c.asmCipher, &buf[i*PacketSize], pnum+uint64(i), laneMask(g), &macs[0][0], macSize)
		for j := 0; j < g; j++ {
			p := buf[(i+j)*PacketSize:]
			ok &= macEqual(&macs[j], p[plainSize:PacketSize])
		}
		ctrVAESAsm(&c.asmCipher, &buf[i*PacketSize], g, pnum+uint64(i))
	}
	if m < n && !c.asmCipher.openBatch(buf[m*PacketSize:], n-m, pnum+uint64(m)) {
		ok = 0
	}
	return ok == 1
}

// macX16Asm writes the HMACs of the packets that mask selects among the 16
// consecutive packets at buf, numbered from pnum: packet i's to
// out + i*outStride. It reads packet 0 and the packets in mask, no other
// (lanes outside the mask run on packet 0's bytes and store nothing), and
// leaves no MAC state in vector registers or on its stack. It needs
// AVX-512F/BW/VL.
//
//go:noescape
func macX16Asm(c *asmCipher, buf *byte, pnum uint64, mask uint16, out *byte, outStride int)

// ctrVAESAsm XORs the keystream into the first 1028 bytes of n >= 1
// consecutive packets at buf, numbered from pnum. It needs AVX-512F and
// VAES.
//
//go:noescape
func ctrVAESAsm(c *asmCipher, buf *byte, n int, pnum uint64)
