package cipher

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

type testPath struct {
	name string
	new  func(*DirectionKeys) packetCipher
}

func (p testPath) sealer(k *DirectionKeys, pnum uint64) *Sealer {
	return &Sealer{c: p.new(k), pnum: pnum}
}

func (p testPath) opener(k *DirectionKeys, pnum uint64) *Opener {
	return &Opener{c: p.new(k), pnum: pnum}
}

func pktHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keysFrom(t testing.TB, enc, mac string) *DirectionKeys {
	var k DirectionKeys
	copy(k.Enc[:], pktHex(t, enc))
	copy(k.Mac[:], pktHex(t, mac))
	return &k
}

// PROTOCOL.md §8, -f mode.
const (
	vecEC = "3e812f0e1130dfd79ce80aad9c322a0c80d72c82f8c032f3d6d5df597018250f"
	vecHC = "6d0d5168f2a0af0e4c9212b224e56adc0d4320fc238122ccf2fd6edd7c47a065"
	vecES = "31587b6956f7b11a9023b6d6122eb366f2cdab56f5060a7e227e15c79d843bc3"
	vecHS = "a553c4d44a3bc9304e497bf1739895e1bc715f817086ff1fd96fc589f259fceb"
)

type packetVector struct {
	name        string
	keys        func(testing.TB) *DirectionKeys
	pnum        uint64
	ct16, mac   string
	wholeSHA256 string // of the 1060 bytes; "" if not given
}

var packetVectors = []packetVector{
	{"C->S 0", func(t testing.TB) *DirectionKeys { return keysFrom(t, vecEC, vecHC) }, 0,
		"58c902c0db9fddeec4eb95d70054aca8",
		"9614ec84a746c248f094fa629267466ea7a03a0eff92961aeda9282cd266c97b",
		"b8f6cf12df7f9b8ada4fbcec81387ec78284533330c746823e6595e7e8367e05"},
	{"C->S 1", func(t testing.TB) *DirectionKeys { return keysFrom(t, vecEC, vecHC) }, 1,
		"607cbc869dc9c3e543e9f2d7a4b265f3", "", ""},
	{"S->C 0", func(t testing.TB) *DirectionKeys { return keysFrom(t, vecES, vecHS) }, 0,
		"152e3dad0fba4e7df7c170e1d5943234",
		"71d46e39592944d31ebd876c4b602a005148f675e6e87bf349cf4c54f8e1fc46", ""},
	{"forward-secret C->S 0", forwardSecretKeys, 0, "",
		"951dccca51120740d718732c160844ad5ac3af5b6a14ffa2109e81e09a6f7dbb", ""},
}

func checkVector(t *testing.T, v packetVector, pkt []byte) {
	t.Helper()
	if v.ct16 != "" && !bytes.Equal(pkt[:16], pktHex(t, v.ct16)) {
		t.Errorf("%s: ct[0:16] = %x, want %s", v.name, pkt[:16], v.ct16)
	}
	if v.mac != "" && !bytes.Equal(pkt[plainSize:PacketSize], pktHex(t, v.mac)) {
		t.Errorf("%s: mac = %x, want %s", v.name, pkt[plainSize:PacketSize], v.mac)
	}
	if sum := sha256.Sum256(pkt[:PacketSize]); v.wholeSHA256 != "" && hex.EncodeToString(sum[:]) != v.wholeSHA256 {
		t.Errorf("%s: SHA256(packet) = %x, want %s", v.name, sum, v.wholeSHA256)
	}
}

func TestPacketVectors(t *testing.T) {
	msg := []byte("hello")
	for _, v := range packetVectors {
		k := v.keys(t)
		checkVector(t, v, stdSeal(k, v.pnum, msg)) // the reference itself
		for _, p := range testPaths() {
			t.Run(p.name+"/"+v.name, func(t *testing.T) {
				s := p.sealer(k, 0)
				pkt := make([]byte, PacketSize)
				for i := uint64(0); i <= v.pnum; i++ { // reach pnum by sealing
					copy(pkt, msg)
					s.Seal(pkt, len(msg))
				}
				checkVector(t, v, pkt)
				n, err := p.opener(k, v.pnum).Open(pkt)
				if err != nil || string(pkt[:n]) != "hello" {
					t.Errorf("Open = %q, %v", pkt[:n], err)
				}
			})
		}
	}
}

// forwardSecretKeys derives the forward-secret client keys of §8 (H_C is
// not listed there) from the listed inputs, checking the listed
// intermediate values on the way.
func forwardSecretKeys(t testing.TB) *DirectionKeys {
	p := spipedtest.Group14P()
	exp := func(x []byte) *big.Int {
		e := new(big.Int).Lsh(big.NewInt(1), 258)
		return e.Add(e, new(big.Int).SetBytes(x))
	}
	yC := new(big.Int).Exp(big.NewInt(2), exp(spipedtest.Seq(0x40, 32)), p)
	ySC := new(big.Int).Exp(yC, exp(spipedtest.Seq(0x60, 32)), p).FillBytes(make([]byte, 256))
	if got := yC.FillBytes(make([]byte, 256))[:16]; hex.EncodeToString(got) != "810870b621041df146e0a4383cae190f" {
		t.Fatalf("y_C[0:16] = %x", got)
	}
	if sum := sha256.Sum256(ySC); hex.EncodeToString(sum[:]) != "4100018a203c64302541f66c454cb66e00e3f98bbe996661174c92e303290a70" {
		t.Fatalf("SHA256(y_SC) = %x", sum)
	}
	k := sha256.Sum256(nil)
	dk2, err := pbkdf2.Key(sha256.New, string(k[:]), append(spipedtest.Seq(0, 64), ySC...), 1, 128)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(dk2[:32]) != "dc95cc1bcbfca61be9d603e35b24fa7c1e13a7b86b1aae727ced94c9786caa08" {
		t.Fatalf("E_C = %x", dk2[:32])
	}
	var dk DirectionKeys
	copy(dk.Enc[:], dk2[:32])
	copy(dk.Mac[:], dk2[32:64])
	return &dk
}

func randKeys(rng *rand.Rand) *DirectionKeys {
	var k DirectionKeys
	for i := range k.Enc {
		k.Enc[i] = byte(rng.Uint32())
		k.Mac[i] = byte(rng.Uint32())
	}
	return &k
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randPnum favours the edges: 0, small, and values whose counter bytes are
// all or mostly 0xff.
func randPnum(rng *rand.Rand) uint64 {
	switch rng.IntN(4) {
	case 0:
		return uint64(rng.IntN(100))
	case 1:
		return math.MaxUint64 - uint64(rng.IntN(100))
	case 2:
		return rng.Uint64() | 0xffffffff00000000
	}
	return rng.Uint64()
}

func randLen(rng *rand.Rand, i int) int {
	switch i {
	case 0:
		return 1
	case 1:
		return MaxMessage
	}
	return 1 + rng.IntN(MaxMessage)
}

// TestPacketDifferential seals and opens random messages with every path
// and checks each against the standard-library construction.
func TestPacketDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		k := randKeys(rng)
		pnum := randPnum(rng)
		msg := randBytes(rng, randLen(rng, i))
		want := stdSeal(k, pnum, msg)
		for _, p := range testPaths() {
			pkt := randBytes(rng, PacketSize+rng.IntN(3)) // stale bytes beyond msg must not matter
			copy(pkt, msg)
			p.sealer(k, pnum).Seal(pkt, len(msg))
			if !bytes.Equal(pkt[:PacketSize], want) {
				t.Fatalf("%s: Seal(len %d, pnum %#x) differs from the standard library", p.name, len(msg), pnum)
			}
			n, err := p.opener(k, pnum).Open(pkt)
			if err != nil || !bytes.Equal(pkt[:n], msg) {
				t.Fatalf("%s: Open(len %d, pnum %#x) = %d, %v", p.name, len(msg), pnum, n, err)
			}
		}
	}
}

// TestOpenDecryptsWholePlaintext opens packets with garbage padding (which
// the protocol does not check) and compares all 1028 decrypted bytes.
func TestOpenDecryptsWholePlaintext(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100; i++ {
		k := randKeys(rng)
		pnum := randPnum(rng)
		plain := randBytes(rng, plainSize)
		binary.BigEndian.PutUint32(plain[MaxMessage:], uint32(randLen(rng, i)))
		for _, p := range testPaths() {
			pkt := stdSealPlain(k, pnum, plain)
			if _, err := p.opener(k, pnum).Open(pkt); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			if !bytes.Equal(pkt[:plainSize], plain) {
				t.Fatalf("%s: decrypted plaintext differs (pnum %#x)", p.name, pnum)
			}
		}
	}
}

func TestSealBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	totals := []int{1, 1023, 1024, 1025, 65536}
	for i := 0; i < 20; i++ {
		totals = append(totals, 1+rng.IntN(65536))
	}
	for _, total := range totals {
		k := randKeys(rng)
		pnum := randPnum(rng)
		if pnum > math.MaxUint64-70 {
			pnum -= 70 // the counter never wraps within a test
		}
		stream := randBytes(rng, total)
		npkt := (total + MaxMessage - 1) / MaxMessage
		for _, p := range testPaths() {
			buf := bytes.Repeat([]byte{0xaa}, npkt*PacketSize+PacketSize)
			for i := 0; i < npkt; i++ {
				copy(buf[i*PacketSize:][:MaxMessage], stream[i*MaxMessage:])
			}
			s := p.sealer(k, pnum)
			if got := s.SealBatch(buf, total); got != npkt*PacketSize {
				t.Fatalf("%s: SealBatch(%d) = %d, want %d", p.name, total, got, npkt*PacketSize)
			}
			o := p.opener(k, pnum)
			var back []byte
			for i := 0; i < npkt; i++ {
				msg := stream[i*MaxMessage : min(total, (i+1)*MaxMessage)]
				pkt := buf[i*PacketSize : (i+1)*PacketSize]
				if !bytes.Equal(pkt, stdSeal(k, pnum+uint64(i), msg)) {
					t.Fatalf("%s: SealBatch(%d) packet %d differs from the standard library", p.name, total, i)
				}
				n, err := o.Open(pkt)
				if err != nil {
					t.Fatalf("%s: Open of batch packet %d: %v", p.name, i, err)
				}
				back = append(back, pkt[:n]...)
			}
			if !bytes.Equal(back, stream) {
				t.Fatalf("%s: SealBatch(%d) stream does not round-trip", p.name, total)
			}
			if !bytes.Equal(buf[npkt*PacketSize:], bytes.Repeat([]byte{0xaa}, PacketSize)) {
				t.Fatalf("%s: SealBatch(%d) wrote past its packets", p.name, total)
			}
			pkt := []byte("next")[:4:4]
			pkt = append(pkt, make([]byte, PacketSize-4)...)
			s.Seal(pkt, 4)
			if !bytes.Equal(pkt, stdSeal(k, pnum+uint64(npkt), []byte("next"))) {
				t.Fatalf("%s: packet number after SealBatch(%d) is wrong", p.name, total)
			}
		}
	}
}

// mustFailForever checks that o rejected a packet, left no plaintext, and
// now rejects a genuine packet too.
func mustFailForever(t *testing.T, o *Opener, rejected []byte, n int, err error, genuine []byte) {
	t.Helper()
	if err == nil || n != 0 {
		t.Fatalf("Open accepted a bad packet: n = %d, err = %v", n, err)
	}
	if !bytes.Equal(rejected[:PacketSize], make([]byte, PacketSize)) {
		t.Fatalf("a rejected packet was not cleared")
	}
	if n, err := o.Open(bytes.Clone(genuine)); err == nil || n != 0 {
		t.Fatalf("Open accepted a packet after a failure: n = %d, err = %v", n, err)
	}
}

func TestOpenRejectsEveryFlippedBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	k := randKeys(rng)
	const pnum = 0x0123456789abcdef
	genuine := stdSeal(k, pnum, randBytes(rng, 700))
	for _, p := range testPaths() {
		for pos := 0; pos < PacketSize; pos++ {
			bad := bytes.Clone(genuine)
			bad[pos] ^= 1 << (pos % 8)
			o := p.opener(k, pnum)
			n, err := o.Open(bad)
			mustFailForever(t, o, bad, n, err, genuine)
		}
	}
}

func TestOpenRejectsWrongPacketNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	k := randKeys(rng)
	var pkts [3][]byte
	for i := range pkts {
		pkts[i] = stdSeal(k, uint64(i), randBytes(rng, 1+i))
	}
	for _, p := range testPaths() {
		t.Run(p.name+"/skip", func(t *testing.T) {
			o := p.opener(k, 0)
			bad := bytes.Clone(pkts[1])
			n, err := o.Open(bad)
			mustFailForever(t, o, bad, n, err, pkts[0])
		})
		t.Run(p.name+"/replay", func(t *testing.T) {
			o := p.opener(k, 0)
			if _, err := o.Open(bytes.Clone(pkts[0])); err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(pkts[0])
			n, err := o.Open(bad)
			mustFailForever(t, o, bad, n, err, pkts[1])
		})
		t.Run(p.name+"/reorder", func(t *testing.T) {
			o := p.opener(k, 0)
			if _, err := o.Open(bytes.Clone(pkts[0])); err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(pkts[2])
			n, err := o.Open(bad)
			mustFailForever(t, o, bad, n, err, pkts[1])
		})
		t.Run(p.name+"/other direction", func(t *testing.T) {
			other := *k
			other.Mac[0] ^= 1
			o := p.opener(&other, 0)
			bad := bytes.Clone(pkts[0])
			n, err := o.Open(bad)
			if err == nil || n != 0 {
				t.Fatalf("Open with the wrong MAC key = %d, %v", n, err)
			}
		})
		t.Run(p.name+"/short", func(t *testing.T) {
			o := p.opener(k, 0)
			if n, err := o.Open(bytes.Clone(pkts[0][:PacketSize-1])); err == nil || n != 0 {
				t.Fatalf("Open of a short packet = %d, %v", n, err)
			}
			if _, err := o.Open(bytes.Clone(pkts[0])); err == nil {
				t.Fatal("Open accepted a packet after a short one")
			}
		})
	}
}

// TestOpenLengths opens authentic packets whose length field is at and
// beyond the edges of 1..1024.
func TestOpenLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	k := randKeys(rng)
	for _, length := range []uint32{0, 1, MaxMessage, MaxMessage + 1, 0x10000, 0x80000001, math.MaxUint32} {
		plain := make([]byte, plainSize)
		binary.BigEndian.PutUint32(plain[MaxMessage:], length)
		for _, p := range testPaths() {
			o := p.opener(k, 5)
			pkt := stdSealPlain(k, 5, plain)
			n, err := o.Open(pkt)
			if length >= 1 && length <= MaxMessage {
				if err != nil || n != int(length) {
					t.Errorf("%s: length %d: Open = %d, %v", p.name, length, n, err)
				}
				continue
			}
			mustFailForever(t, o, pkt, n, err, stdSeal(k, 6, []byte("x")))
		}
	}
}

func TestSealPanicsOnBadLength(t *testing.T) {
	k := randKeys(rand.New(rand.NewPCG(13, 14)))
	for _, n := range []int{0, -1, MaxMessage + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Seal(len %d) did not panic", n)
				}
			}()
			NewSealer(k).Seal(make([]byte, PacketSize), n)
		}()
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("SealBatch(0) did not panic")
			}
		}()
		NewSealer(k).SealBatch(make([]byte, PacketSize), 0)
	}()
}

func TestPacketNoAllocations(t *testing.T) {
	k := randKeys(rand.New(rand.NewPCG(15, 16)))
	paths := append(testPaths(), testPath{"live", func(k *DirectionKeys) packetCipher { return newCipher(k) }})
	for _, p := range paths {
		s := p.sealer(k, 0)
		pkt := make([]byte, PacketSize)
		if a := testing.AllocsPerRun(50, func() { s.Seal(pkt, 100) }); a != 0 {
			t.Errorf("%s: Seal allocates %v times", p.name, a)
		}
		batch := make([]byte, 64*PacketSize)
		if a := testing.AllocsPerRun(20, func() { s.SealBatch(batch, 64*MaxMessage) }); a != 0 {
			t.Errorf("%s: SealBatch allocates %v times", p.name, a)
		}
		const runs = 50
		sealed := make([]byte, (runs+1)*PacketSize)
		p.sealer(k, 0).SealBatch(sealed, (runs+1)*MaxMessage)
		o := p.opener(k, 0)
		next := sealed
		if a := testing.AllocsPerRun(runs, func() {
			if _, err := o.Open(next); err != nil {
				t.Fatal(err)
			}
			next = next[PacketSize:]
		}); a != 0 {
			t.Errorf("%s: Open allocates %v times", p.name, a)
		}
		sealed = make([]byte, (runs+1)*3*PacketSize)
		p.sealer(k, 0).SealBatch(sealed, (runs+1)*3*MaxMessage)
		o = p.opener(k, 0)
		lens := make([]uint16, 3)
		if a := testing.AllocsPerRun(runs, func() {
			if err := o.OpenBatch(sealed, lens); err != nil {
				t.Fatal(err)
			}
			sealed = sealed[3*PacketSize:]
		}); a != 0 {
			t.Errorf("%s: OpenBatch allocates %v times", p.name, a)
		}
	}
}

func TestWipe(t *testing.T) {
	k := randKeys(rand.New(rand.NewPCG(17, 18)))
	pkt := stdSeal(k, 0, []byte("hi"))
	o := NewOpener(k)
	o.Wipe()
	if n, err := o.Open(pkt); err == nil || n != 0 {
		t.Errorf("Open after Wipe = %d, %v", n, err)
	}
	s := NewSealer(k)
	s.Wipe()
	s.Wipe() // twice is harmless
	defer func() {
		if recover() == nil {
			t.Errorf("Seal after Wipe did not panic")
		}
	}()
	s.Seal(make([]byte, PacketSize), 1)
}

// TestGenericWithoutGCM checks the generic path's fallback keystream, used
// when crypto/cipher refuses GCM (GODEBUG=fips140=only).
func TestGenericWithoutGCM(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for i := 0; i < 20; i++ {
		k := randKeys(rng)
		pnum := randPnum(rng)
		msg := randBytes(rng, randLen(rng, i))
		g := newGenericCipher(k)
		g.gcm = nil
		pkt := make([]byte, PacketSize)
		copy(pkt, msg)
		(&Sealer{c: g, pnum: pnum}).Seal(pkt, len(msg))
		if !bytes.Equal(pkt, stdSeal(k, pnum, msg)) {
			t.Fatalf("Seal without GCM differs from the standard library (pnum %#x)", pnum)
		}
		if n, err := (&Opener{c: g, pnum: pnum}).Open(pkt); err != nil || !bytes.Equal(pkt[:n], msg) {
			t.Fatalf("Open without GCM = %d, %v", n, err)
		}
	}
}

func TestGenericWipeZeroesMACStates(t *testing.T) {
	k := randKeys(rand.New(rand.NewPCG(19, 20)))
	g := newGenericCipher(k)
	istate, ostate := g.istate, g.ostate
	g.wipe()
	if !bytes.Equal(istate, make([]byte, len(istate))) || !bytes.Equal(ostate, make([]byte, len(ostate))) {
		t.Error("wipe left the HMAC states")
	}
}

// sealedBatch returns n standard-library packets numbered from pnum with
// random messages, and the messages.
func sealedBatch(rng *rand.Rand, k *DirectionKeys, n int, pnum uint64) ([]byte, [][]byte) {
	var buf []byte
	var msgs [][]byte
	for i := 0; i < n; i++ {
		msg := randBytes(rng, randLen(rng, rng.IntN(4)))
		msgs = append(msgs, msg)
		buf = append(buf, stdSeal(k, pnum+uint64(i), msg)...)
	}
	return buf, msgs
}

func TestOpenBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 63, 64} {
		k := randKeys(rng)
		pnum := randPnum(rng)
		if pnum > math.MaxUint64-70 {
			pnum -= 70
		}
		sealed, msgs := sealedBatch(rng, k, n+1, pnum)
		for _, p := range testPaths() {
			o := p.opener(k, pnum)
			buf := bytes.Clone(sealed)
			lens := make([]uint16, n)
			if err := o.OpenBatch(buf, lens); err != nil {
				t.Fatalf("%s: OpenBatch of %d: %v", p.name, n, err)
			}
			for i, msg := range msgs[:n] {
				if !bytes.Equal(buf[i*PacketSize:][:lens[i]], msg) {
					t.Fatalf("%s: OpenBatch of %d: message %d differs", p.name, n, i)
				}
			}
			// The counter moved on by n: the next packet opens alone.
			if m, err := o.Open(buf[n*PacketSize:]); err != nil || !bytes.Equal(buf[n*PacketSize:][:m], msgs[n]) {
				t.Fatalf("%s: Open after OpenBatch of %d = %d, %v", p.name, n, m, err)
			}
		}
	}
}

func TestOpenBatchRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	k := randKeys(rng)
	const n, pnum = 5, 1000
	sealed, _ := sealedBatch(rng, k, n, pnum)
	next := stdSeal(k, pnum+n, []byte("next"))
	for _, p := range testPaths() {
		for pos := 0; pos < len(sealed); pos += 37 { // every packet, all regions
			buf := bytes.Clone(sealed)
			buf[pos] ^= 0x10
			o := p.opener(k, pnum)
			if err := o.OpenBatch(buf, make([]uint16, n)); err == nil {
				t.Fatalf("%s: OpenBatch accepted a flipped bit at %d", p.name, pos)
			}
			if !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatalf("%s: a rejected batch was not cleared", p.name)
			}
			if _, err := o.Open(bytes.Clone(next)); err == nil {
				t.Fatalf("%s: Open accepted a packet after a failed batch", p.name)
			}
		}
		if err := p.opener(k, pnum+1).OpenBatch(bytes.Clone(sealed), make([]uint16, n)); err == nil {
			t.Fatalf("%s: OpenBatch accepted a skipped packet number", p.name)
		}
		if err := p.opener(k, pnum).OpenBatch(bytes.Clone(sealed[:n*PacketSize-1]), make([]uint16, n)); err == nil {
			t.Fatalf("%s: OpenBatch accepted a short buffer", p.name)
		}
		for bad := 0; bad < n; bad++ {
			plain := make([]byte, plainSize)
			binary.BigEndian.PutUint32(plain[MaxMessage:], MaxMessage+1)
			buf := bytes.Clone(sealed)
			copy(buf[bad*PacketSize:], stdSealPlain(k, pnum+uint64(bad), plain))
			o := p.opener(k, pnum)
			if err := o.OpenBatch(buf, make([]uint16, n)); err == nil || !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatalf("%s: OpenBatch with a bad length in packet %d: %v", p.name, bad, err)
			}
		}
	}
}

// TestMacEqual checks the word-wise MAC comparison against crypto/subtle:
// equal MACs, every single flipped bit, and random pairs.
func TestMacEqual(t *testing.T) {
	r := spipedtest.NewRand(spipedtest.Seed(t), "macEqual")
	var want [macSize]byte
	for trial := 0; trial < 100; trial++ {
		for i := range want {
			want[i] = byte(r.Uint32())
		}
		got := append([]byte(nil), want[:]...)
		if macEqual(&want, got) != 1 {
			t.Fatalf("equal MACs compared unequal: %x", want)
		}
		for bit := 0; bit < 8*macSize; bit++ {
			got[bit/8] ^= 1 << (bit % 8)
			if macEqual(&want, got) != 0 {
				t.Fatalf("bit %d flipped compared equal", bit)
			}
			got[bit/8] ^= 1 << (bit % 8)
		}
		for i := range got {
			got[i] = byte(r.Uint32())
		}
		if g, w := macEqual(&want, got), subtle.ConstantTimeCompare(want[:], got); g != w {
			t.Fatalf("macEqual(%x, %x) = %d, crypto/subtle says %d", want, got, g, w)
		}
	}
}
