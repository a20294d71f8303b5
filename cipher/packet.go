package cipher

import (
	"encoding/binary"
	"errors"
)

// The data-packet format (PROTOCOL.md §4):
//
//	plain(1028) = M || zeros up to 1024 || be32(len(M))
//	ct(1028)    = AES-256-CTR(Enc, counter block be64(pnum) || be64(0)) XOR plain
//	mac(32)     = HMAC-SHA256(Mac, ct || be64(pnum))
//	wire(1060)  = ct || mac
const (
	// MaxMessage is the largest message one packet carries.
	MaxMessage = 1024
	// PacketSize is the size of every data packet on the wire.
	PacketSize = 1060

	plainSize = MaxMessage + 4 // message slot plus the be32 length
	macSize   = PacketSize - plainSize
)

var (
	errAuth   = errors.New("cipher: packet authentication failed")
	errLength = errors.New("cipher: packet carries an invalid message length")
	errShort  = errors.New("cipher: packet shorter than PacketSize")
)

// macEqual returns 1 if got[:macSize] equals want and 0 if not, in time
// independent of both. It compares four 64-bit words where
// crypto/subtle.ConstantTimeCompare compares 32 bytes one at a time, which
// was 3 % of an opening daemon's CPU in bulk.
func macEqual(want *[macSize]byte, got []byte) int {
	got = got[:macSize]
	var v uint64
	for i := 0; i < macSize; i += 8 {
		v |= binary.LittleEndian.Uint64(want[i:]) ^ binary.LittleEndian.Uint64(got[i:])
	}
	// v|-v has its top bit set exactly when v is not zero.
	return int((v|-v)>>63) ^ 1
}

// DirectionKeys are the keys of one direction of a connection.
type DirectionKeys struct {
	Enc [32]byte // AES-256 key
	Mac [32]byte // HMAC-SHA256 key
}

// packetCipher is one implementation of the packet transform with its keys
// already scheduled. The packet number is the caller's.
type packetCipher interface {
	// seal encrypts and authenticates n consecutive packets of buf, whose
	// plaintexts (message, zero padding, be32 length) are already in place,
	// numbering them from pnum.
	seal(buf []byte, n int, pnum uint64)
	// open decrypts pkt[:plainSize] in place and reports whether the MAC
	// matched. On false the contents of pkt are unspecified.
	open(pkt []byte, pnum uint64) bool
	// openBatch is open for the n consecutive packets of buf, numbered from
	// pnum; it reports whether every MAC matched.
	openBatch(buf []byte, n int, pnum uint64) bool
	// wipe zeroes every key-derived value.
	wipe()
	// rekey replaces every key-derived value with k's, in place.
	rekey(k *DirectionKeys)
}

// Sealer seals packets for one direction; it owns the packet counter.
type Sealer struct {
	c     packetCipher
	spent packetCipher // c once wiped, kept for Reset
	pnum  uint64
}

// NewSealer returns a Sealer with packet number 0.
func NewSealer(k *DirectionKeys) *Sealer {
	s := new(Sealer)
	s.Reset(k)
	return s
}

// Reset keys s afresh from k, packet number 0, in the memory of the keys
// it held (wiped or not), so that a connection reusing an ended one's
// sealer allocates nothing.
func (s *Sealer) Reset(k *DirectionKeys) {
	if s.c == nil {
		s.c, s.spent = s.spent, nil
	}
	s.c = rekeyed(s.c, k)
	s.pnum = 0
}

// rekeyed is c keyed from k in place, or a new cipher if there is none.
func rekeyed(c packetCipher, k *DirectionKeys) packetCipher {
	if c == nil {
		return newCipher(k)
	}
	c.rekey(k)
	return c
}

// Seal turns pkt[:msgLen] (1 <= msgLen <= MaxMessage, len(pkt) >= PacketSize)
// into one sealed packet in pkt[:PacketSize], in place.
func (s *Sealer) Seal(pkt []byte, msgLen int) {
	if msgLen < 1 || msgLen > MaxMessage {
		panic("cipher: Seal message length out of range")
	}
	frame(pkt[:PacketSize], msgLen)
	s.c.seal(pkt, 1, s.pnum)
	s.pnum++
}

// SealBatch seals the frames of buf in place. A plaintext stream of total
// bytes (total >= 1) lies in consecutive payload slots buf[i*PacketSize:][:MaxMessage];
// every slot is full except possibly the last. It returns the number of wire
// bytes, ceil(total/MaxMessage)*PacketSize.
func (s *Sealer) SealBatch(buf []byte, total int) int {
	if total < 1 {
		panic("cipher: SealBatch of nothing")
	}
	n := (total + MaxMessage - 1) / MaxMessage
	wire := n * PacketSize
	buf = buf[:wire]
	for i := 0; i < n-1; i++ {
		binary.BigEndian.PutUint32(buf[i*PacketSize+MaxMessage:], MaxMessage)
	}
	frame(buf[(n-1)*PacketSize:], total-(n-1)*MaxMessage)
	s.c.seal(buf, n, s.pnum)
	s.pnum += uint64(n)
	return wire
}

// frame zeroes the padding after the message in pkt and writes its length.
func frame(pkt []byte, msgLen int) {
	clear(pkt[msgLen:MaxMessage])
	binary.BigEndian.PutUint32(pkt[MaxMessage:], uint32(msgLen))
}

// Wipe zeroes the keys. Sealing afterwards panics rather than use zero
// keys, until Reset.
func (s *Sealer) Wipe() {
	if s.c != nil {
		s.c.wipe()
		s.c, s.spent = nil, s.c
	}
}

// Opener opens packets for one direction; it owns the packet counter.
type Opener struct {
	c      packetCipher
	pnum   uint64
	failed bool
}

// NewOpener returns an Opener expecting packet number 0.
func NewOpener(k *DirectionKeys) *Opener {
	o := new(Opener)
	o.Reset(k)
	return o
}

// Reset keys o afresh from k, expecting packet number 0, in the memory of
// the keys it held (wiped or not), and clears a failure.
func (o *Opener) Reset(k *DirectionKeys) {
	o.c = rekeyed(o.c, k)
	o.pnum, o.failed = 0, false
}

// Open verifies and decrypts pkt[:PacketSize] in place and returns the length
// of the message now in pkt[:n]. Any error is fatal for the connection: the
// Opener fails every later call too, and pkt holds no plaintext.
func (o *Opener) Open(pkt []byte) (n int, err error) {
	if o.failed {
		return 0, errAuth
	}
	if len(pkt) < PacketSize {
		o.failed = true
		return 0, errShort
	}
	if !o.c.open(pkt, o.pnum) {
		o.failed = true
		clear(pkt[:PacketSize])
		return 0, errAuth
	}
	o.pnum++
	n = int(binary.BigEndian.Uint32(pkt[MaxMessage:]))
	if n < 1 || n > MaxMessage {
		o.failed = true
		clear(pkt[:PacketSize])
		return 0, errLength
	}
	return n, nil
}

// OpenBatch opens the len(lens) consecutive packets of buf in place, as
// that many calls of Open would, and writes their message lengths to lens:
// message i is now buf[i*PacketSize:][:lens[i]]. The lengths are uint16,
// like bufpool.Batch.Len, which they always fit. It is faster than Open on
// packets in pairs. Any error is fatal for the connection as for Open, and
// then buf holds no plaintext.
func (o *Opener) OpenBatch(buf []byte, lens []uint16) error {
	n := len(lens)
	if o.failed {
		return errAuth
	}
	if len(buf) < n*PacketSize {
		o.failed = true
		return errShort
	}
	buf = buf[:n*PacketSize]
	if !o.c.openBatch(buf, n, o.pnum) {
		o.failed = true
		clear(buf)
		return errAuth
	}
	o.pnum += uint64(n)
	for i := range lens {
		l := binary.BigEndian.Uint32(buf[i*PacketSize+MaxMessage:])
		if l < 1 || l > MaxMessage {
			o.failed = true
			clear(buf)
			return errLength
		}
		lens[i] = uint16(l)
	}
	return nil
}

// Wipe zeroes the keys. Every later Open fails, until Reset.
func (o *Opener) Wipe() {
	o.failed = true
	o.c.wipe()
}

// Path reports the live implementation of Seal/Open: "amd64-avx512-vaes",
// "amd64-aesni-shani" or "generic".
func Path() string { return livePath }
