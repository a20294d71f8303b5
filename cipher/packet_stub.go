package cipher

// THIS FILE IS A TEMPORARY CONTRACT. Each declaration moves to its own file
// (packet.go, packet_*.go) with a real body; delete it from here then.

const (
	// MaxMessage is the largest message one packet carries.
	MaxMessage = 1024
	// PacketSize is the size of every data packet on the wire.
	PacketSize = 1060
)

// DirectionKeys are the keys of one direction of a connection.
type DirectionKeys struct {
	Enc [32]byte // AES-256 key
	Mac [32]byte // HMAC-SHA256 key
}

// Sealer seals packets for one direction; it owns the packet counter.
type Sealer struct{}

// NewSealer returns a Sealer with packet number 0.
func NewSealer(k *DirectionKeys) *Sealer { panic("todo") }

// Seal turns pkt[:msgLen] (1 <= msgLen <= MaxMessage, len(pkt) >= PacketSize)
// into one sealed packet in pkt[:PacketSize], in place.
func (s *Sealer) Seal(pkt []byte, msgLen int) { panic("todo") }

// SealBatch seals the frames of buf in place. A plaintext stream of total
// bytes (total >= 1) lies in consecutive payload slots buf[i*PacketSize:][:MaxMessage];
// every slot is full except possibly the last. It returns the number of wire
// bytes, ceil(total/MaxMessage)*PacketSize.
func (s *Sealer) SealBatch(buf []byte, total int) int { panic("todo") }

// Wipe zeroes the keys.
func (s *Sealer) Wipe() {}

// Opener opens packets for one direction; it owns the packet counter.
type Opener struct{}

// NewOpener returns an Opener expecting packet number 0.
func NewOpener(k *DirectionKeys) *Opener { panic("todo") }

// Open verifies and decrypts pkt[:PacketSize] in place and returns the length
// of the message now in pkt[:n]. Any error is fatal for the connection.
func (o *Opener) Open(pkt []byte) (n int, err error) { panic("todo") }

// Wipe zeroes the keys.
func (o *Opener) Wipe() {}

// Path reports the live implementation of Seal/Open, e.g. "aesni+shani" or "generic".
func Path() string { return "generic" }
