package cipher

import "crypto/hmac"

// The contents of the handshake's messages and its key schedule: what the
// state machine in handshake.go does on each message, kept apart from the
// stepping so that each file reads as one job. Every secret derived here
// lives in the Handshake and is wiped by finish or Wipe.

// gotNonce takes the peer's nonce, derives dk1 and moves on.
func (h *Handshake) gotNonce() {
	peer := h.nonces[nonceLen:]
	if h.role == Server {
		peer = h.nonces[:nonceLen]
	}
	copy(peer, h.in[:nonceLen])
	// dk1 = PBKDF2(K, nonce_C || nonce_S, 64): dhmac_C, dhmac_S.
	pbkdf2Blocks([]*[32]byte{&h.dhmac[0], &h.dhmac[1]}, &h.key, h.nonces[:], nil, h.sha, &h.hmac)
	h.phase = phReadDH
	if h.role == Client {
		if h.fast {
			h.myY = yOne()
		}
		h.sendDH() // y_C was computed before nonce_S arrived
	}
}

// gotDH checks the peer's y || h in the reference's order: the MAC in
// constant time, then y < p, then under -g y != 1.
func (h *Handshake) gotDH() error {
	peerMAC := &h.dhmac[1]
	if h.role == Server {
		peerMAC = &h.dhmac[0]
	}
	copy(h.peerY[:], h.in[:yLen])
	var want [32]byte
	hmacSHA256(&want, peerMAC, h.peerY[:], &h.hmac)
	if !hmac.Equal(want[:], h.in[yLen:dhMsgLen]) {
		return errBadMAC
	}
	belowP, isOne := dhCheck(&h.peerY)
	if !belowP {
		return errYTooLarge
	}
	if h.requireFS && isOne {
		return ErrNoForwardSecrecy
	}
	if !h.fast {
		if h.role == Client {
			h.phase = phComputeShared
		} else {
			h.phase = phComputeServerY
		}
		return nil
	}
	h.ySC = yOne()
	h.deriveKeys()
	if h.role == Server {
		h.myY = yOne()
		h.sendDH()
	}
	h.finish()
	return nil
}

// yOne is the value a -f side sends and uses as y_SC: 255 zero bytes then 1.
func yOne() (y [yLen]byte) {
	y[yLen-1] = 1
	return y
}

// sendDH queues myY || HMAC(own dhmac, myY).
func (h *Handshake) sendDH() {
	myMAC := &h.dhmac[0]
	if h.role == Server {
		myMAC = &h.dhmac[1]
	}
	copy(h.out[:yLen], h.myY[:])
	hmacSHA256((*[32]byte)(h.out[yLen:]), myMAC, h.myY[:], &h.hmac)
	h.outOff, h.outLen = 0, dhMsgLen
}

// deriveKeys computes dk2 = PBKDF2(K, nonce_C || nonce_S || y_SC, 128)
// straight into the four keys: E_C, H_C, E_S, H_S.
func (h *Handshake) deriveKeys() {
	pbkdf2Blocks([]*[32]byte{&h.cs.Enc, &h.cs.Mac, &h.sc.Enc, &h.sc.Mac}, &h.key, h.nonces[:], h.ySC[:], h.sha, &h.hmac)
}

// finish ends a successful handshake and drops what only it needed.
func (h *Handshake) finish() {
	h.wipeHandshakeSecrets()
	h.phase = phDone
}

// Keys returns the keys for what this side sends and what it receives.
// Valid once Step is StepDone, until Wipe: build the Sealer and Opener, then Wipe.
func (h *Handshake) Keys() (send, recv *DirectionKeys) {
	if h.Step() != StepDone {
		return nil, nil
	}
	if h.role == Client {
		return &h.cs, &h.sc
	}
	return &h.sc, &h.cs
}

// wipeHandshakeSecrets zeroes K, x, dk1 and y_SC, which only the handshake needs.
func (h *Handshake) wipeHandshakeSecrets() {
	clear(h.key[:])
	clear(h.x[:])
	clear(h.dhmac[0][:])
	clear(h.dhmac[1][:])
	clear(h.ySC[:])
}

// Wipe zeroes every secret the machine holds (K copy, x, dk1, y_SC and the
// keys Keys returned); the machine is StepFailed afterwards.
func (h *Handshake) Wipe() {
	h.wipeHandshakeSecrets()
	h.cs = DirectionKeys{}
	h.sc = DirectionKeys{}
	h.phase = phFailed
	h.outOff, h.outLen = 0, 0
}
