package cipher

// THIS FILE IS A TEMPORARY CONTRACT. Each declaration moves to its own file
// (packet.go, handshake.go, key.go) with a real body; delete it from here then.

import "io"

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

// ReadKey reads the key file at path ("-" reads stdin) and returns K.
func ReadKey(path string, stdin io.Reader) ([32]byte, error) { panic("todo") }

// Role says which end of the handshake a side plays.
type Role uint8

const (
	Client Role = iota // spiped -e, spipe
	Server             // spiped -d
)

// HandshakeConfig configures one handshake.
type HandshakeConfig struct {
	Key       *[32]byte // K
	Role      Role
	Fast      bool      // -f: no Diffie-Hellman, y = 1
	RequireFS bool      // -g: refuse a peer whose y == 1
	Rand      io.Reader // nil means crypto/rand
}

// Step says what a handshake waits for.
type Step uint8

const (
	StepWrite   Step = iota // Output() holds bytes to send
	StepRead                // Need() more peer bytes via Input
	StepCompute             // call Compute (on any goroutine; nothing else touches h meanwhile)
	StepDone                // Keys() are ready
	StepFailed              // drop the connection
)

// Handshake is one side of spiped's handshake as a state machine.
type Handshake struct{}

// NewHandshake draws the nonce (and the private exponent) and returns a
// machine whose first step is StepWrite with the nonce in Output.
// Fast together with RequireFS is an error.
func NewHandshake(cfg HandshakeConfig) (*Handshake, error) { panic("todo") }

// Step reports what the machine waits for. It is StepWrite while Output is non-empty.
func (h *Handshake) Step() Step { panic("todo") }

// Output returns the bytes waiting to be sent (valid until the next call).
func (h *Handshake) Output() []byte { panic("todo") }

// Wrote records that the first n bytes of Output were sent.
func (h *Handshake) Wrote(n int) { panic("todo") }

// Need reports how many more peer bytes the current message needs (0 unless StepRead).
func (h *Handshake) Need() int { panic("todo") }

// Input consumes at most Need() bytes of p and returns how many it took.
// Bytes beyond the handshake are never taken: they belong to the data phase.
// A non-nil error means the handshake failed (StepFailed).
func (h *Handshake) Input(p []byte) (int, error) { panic("todo") }

// Compute does the pending modular exponentiation(s).
func (h *Handshake) Compute() { panic("todo") }

// Keys returns the keys for what this side sends and what it receives.
// Valid once Step is StepDone.
func (h *Handshake) Keys() (send, recv *DirectionKeys) { panic("todo") }

// Wipe zeroes every secret the machine holds (nonces' derived keys, x, K copy).
func (h *Handshake) Wipe() {}
