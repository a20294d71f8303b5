package cipher

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

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
	Rand      io.Reader // nil means crypto/rand; read for the nonce, then for x
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

// Message sizes on the wire.
const (
	nonceLen = 32
	yLen     = 256
	dhMsgLen = yLen + 32 // y || HMAC(dhmac, y)
)

// phase is what the machine does once its Output has been sent.
type phase uint8

const (
	phReadNonce      phase = iota // read the peer's nonce
	phReadDH                      // read the peer's y || h
	phComputeY                    // client: y_C = 2^e (before nonce_S: it needs none)
	phComputeShared               // y_SC = y_peer^e
	phComputeServerY              // server: y_S = 2^e, once y_C has been checked
	phDone
	phFailed
)

// Errors of a failed handshake. They say what went wrong, never a secret.
var (
	errBadMAC    = errors.New("cipher: handshake MAC mismatch")
	errYTooLarge = errors.New("cipher: peer's Diffie-Hellman value is not below p")
	// ErrNoForwardSecrecy: the peer sent y = 1 (it runs -f) and RequireFS is set.
	ErrNoForwardSecrecy = errors.New("cipher: peer has no forward secrecy (y = 1) and -g is set")
	errFastAndFS        = errors.New("cipher: Fast and RequireFS are exclusive")
	errFailed           = errors.New("cipher: handshake already failed")
)

// Handshake is one side of spiped's handshake as a sans-I/O state machine.
//
// Client: write nonce_C, compute y_C, read nonce_S, write y_C || h_C,
// read y_S || h_S and check it, compute y_SC, done.
// Server: write nonce_S, read nonce_C, read y_C || h_C and check it,
// compute y_S, write y_S || h_S, compute y_SC, done.
// A Fast side never reports StepCompute. Any failure wipes the machine's
// secrets and leaves it at StepFailed; so does Wipe, which the owner calls
// once it has built its Sealer and Opener from Keys.
type Handshake struct {
	role      Role
	fast      bool
	requireFS bool
	phase     phase

	out    [dhMsgLen]byte // what to send; out[outOff:outLen] is pending
	outOff int
	outLen int

	in    [dhMsgLen]byte // the peer message being read
	inLen int

	key    [32]byte           // K
	x      [32]byte           // private exponent minus 2^258
	nonces [2 * nonceLen]byte // nonce_C || nonce_S: the salt's common prefix
	dhmac  [2][32]byte        // dk1: dhmac_C, dhmac_S
	myY    [yLen]byte
	peerY  [yLen]byte
	ySC    [yLen]byte
	cs, sc DirectionKeys // client->server and server->client keys

	// Working memory of the exponentiations and the HMACs, kept here
	// rather than on whichever goroutine's stack runs them. Each use leaves
	// it zero: it would otherwise hold y_SC and the padded K.
	mont montScratch
	hmac hmacScratch
	sha  hash.Hash // the PBKDF2 blocks' digest (pbkdf2 leaves it reset)
}

// NewHandshake draws the nonce (and the private exponent) and returns a
// machine whose first step is StepWrite with the nonce in Output.
// Fast together with RequireFS is an error.
func NewHandshake(cfg HandshakeConfig) (*Handshake, error) {
	h := &Handshake{sha: sha256.New()}
	if err := h.Reset(cfg); err != nil {
		return nil, err
	}
	return h, nil
}

// Reset makes h a new machine, as NewHandshake would, in h's own memory:
// a daemon reuses the machines of handshakes that ended (and were wiped)
// instead of allocating one for every connection.
func (h *Handshake) Reset(cfg HandshakeConfig) error {
	if cfg.Fast && cfg.RequireFS {
		return errFastAndFS
	}
	if cfg.Key == nil {
		return errors.New("cipher: HandshakeConfig.Key is nil")
	}
	if cfg.Role != Client && cfg.Role != Server {
		return fmt.Errorf("cipher: bad role %d", cfg.Role)
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	sha := h.sha
	sha.Reset()
	*h = Handshake{role: cfg.Role, fast: cfg.Fast, requireFS: cfg.RequireFS, key: *cfg.Key, sha: sha}
	mine := h.nonces[:nonceLen]
	if h.role == Server {
		mine = h.nonces[nonceLen:]
	}
	if _, err := io.ReadFull(rnd, mine); err != nil {
		h.Wipe()
		return fmt.Errorf("cipher: drawing the nonce: %w", err)
	}
	if !h.fast {
		if _, err := io.ReadFull(rnd, h.x[:]); err != nil {
			h.Wipe()
			return fmt.Errorf("cipher: drawing the exponent: %w", err)
		}
	}
	h.send(mine)
	h.phase = phReadNonce
	if h.role == Client && !h.fast {
		h.phase = phComputeY
	}
	return nil
}

// send queues b as the next output.
func (h *Handshake) send(b []byte) {
	h.outLen = copy(h.out[:], b)
	h.outOff = 0
}

// Step reports what the machine waits for. It is StepWrite while Output is non-empty.
func (h *Handshake) Step() Step {
	switch {
	case h.phase == phFailed:
		return StepFailed
	case h.outOff < h.outLen:
		return StepWrite
	}
	switch h.phase {
	case phReadNonce, phReadDH:
		return StepRead
	case phDone:
		return StepDone
	default:
		return StepCompute
	}
}

// Output returns the bytes waiting to be sent (valid until the next call).
func (h *Handshake) Output() []byte {
	if h.phase == phFailed {
		return nil
	}
	return h.out[h.outOff:h.outLen]
}

// Wrote records that the first n bytes of Output were sent.
func (h *Handshake) Wrote(n int) {
	if n < 0 || n > h.outLen-h.outOff {
		panic("cipher: Handshake.Wrote beyond Output")
	}
	h.outOff += n
}

// ReadsNext reports whether the machine, once Output is sent, waits for
// the peer (its next step is a read), rather than computing or finishing.
func (h *Handshake) ReadsNext() bool {
	return h.phase == phReadNonce || h.phase == phReadDH
}

// EndsNext reports whether the machine is done once Output is sent: it is
// the handshake's last message.
func (h *Handshake) EndsNext() bool {
	return h.phase == phDone
}

// Need reports how many more peer bytes the current message needs (0 unless StepRead).
func (h *Handshake) Need() int {
	if h.Step() != StepRead {
		return 0
	}
	return h.msgLen() - h.inLen
}

// msgLen is the size of the peer message being read.
func (h *Handshake) msgLen() int {
	if h.phase == phReadNonce {
		return nonceLen
	}
	return dhMsgLen
}

// Input consumes at most Need() bytes of p and returns how many it took.
// Bytes beyond the handshake are never taken: they belong to the data phase.
// A non-nil error means the handshake failed (StepFailed).
func (h *Handshake) Input(p []byte) (int, error) {
	if h.phase == phFailed {
		return 0, errFailed
	}
	need := h.Need()
	if need == 0 {
		return 0, nil
	}
	n := copy(h.in[h.inLen:h.inLen+need], p)
	h.inLen += n
	if n < need {
		return n, nil
	}
	h.inLen = 0
	var err error
	if h.phase == phReadNonce {
		h.gotNonce()
	} else {
		err = h.gotDH()
	}
	if err != nil {
		h.Wipe()
	}
	return n, err
}

// Compute does the pending modular exponentiation(s).
func (h *Handshake) Compute() {
	if h.Step() != StepCompute {
		return
	}
	switch h.phase {
	case phComputeY:
		dhPublic(&h.myY, &h.x, &h.mont)
		h.phase = phReadNonce
	case phComputeShared:
		dhShared(&h.ySC, &h.peerY, &h.x, &h.mont)
		h.deriveKeys()
		h.finish()
	case phComputeServerY:
		// y_S leaves before y_SC is computed, so that the client's and the
		// server's y^e run at the same time instead of one after the
		// other: the same bytes in the same order, one exponentiation less
		// on every connection's critical path. The server still does no
		// arithmetic before y_C has been checked.
		dhPublic(&h.myY, &h.x, &h.mont)
		h.sendDH()
		h.phase = phComputeShared
	}
}
