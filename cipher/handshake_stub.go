package cipher

// THIS FILE IS A TEMPORARY CONTRACT: handshake.go, dh.go and key.go replace it.

import "io"

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
