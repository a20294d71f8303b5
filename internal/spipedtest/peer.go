package spipedtest

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
)

// Peer is one side of a connection that does every handshake step by
// hand, so a test can replace any of them; its fields are the protocol's
// state, open to a test that forges messages.
type Peer struct {
	Conn   net.Conn
	Client bool // we play the client (we talk to a -d)
	Key    []byte
	Rand   io.Reader

	NonceC, NonceS []byte
	DHMACC, DHMACS []byte
	X              *big.Int // exponent 2^258 + x
	Y              []byte   // our y
	PeerY          []byte   // the y the daemon sent (client role)
	PeerMsg        []byte   // the daemon's whole 288-byte DH message
	Send, Recv     DirKeys
	SendN, RecvN   uint64
}

// NewPeer plays the client (client: it talks to a -d) or the server on c
// with the pre-shared key K, drawing nonces and exponents from rnd.
func NewPeer(c net.Conn, client bool, key []byte, rnd io.Reader) *Peer {
	return &Peer{Conn: c, Client: client, Key: key, Rand: rnd}
}

// Nonces exchanges the nonces and derives the DH MAC keys.
func (p *Peer) Nonces() error {
	mine := make([]byte, 32)
	io.ReadFull(p.Rand, mine)
	if _, err := p.Conn.Write(mine); err != nil {
		return err
	}
	theirs := make([]byte, 32)
	if _, err := io.ReadFull(p.Conn, theirs); err != nil {
		return fmt.Errorf("reading nonce: %w", err)
	}
	if p.Client {
		p.NonceC, p.NonceS = mine, theirs
	} else {
		p.NonceC, p.NonceS = theirs, mine
	}
	dk1 := PBKDF2SHA256(p.Key, Cat(p.NonceC, p.NonceS), 64)
	p.DHMACC, p.DHMACS = dk1[:32], dk1[32:]
	return nil
}

// OurMACKey is the DH MAC key of our side.
func (p *Peer) OurMACKey() []byte {
	if p.Client {
		return p.DHMACC
	}
	return p.DHMACS
}

// TheirMACKey is the DH MAC key of the daemon's side.
func (p *Peer) TheirMACKey() []byte {
	if p.Client {
		return p.DHMACS
	}
	return p.DHMACC
}

// GenY draws x and returns y = 2^(2^258+x) mod p; fast returns y = 1.
func (p *Peer) GenY(fast bool) []byte {
	if fast {
		p.X = nil
		p.Y = One256()
		return p.Y
	}
	xb := make([]byte, 32)
	io.ReadFull(p.Rand, xb)
	p.X = exponent(xb)
	p.Y = Pad256(new(big.Int).Exp(big.NewInt(2), p.X, Group14P()))
	return p.Y
}

func exponent(x []byte) *big.Int {
	e := new(big.Int).Lsh(big.NewInt(1), 258)
	return e.Add(e, new(big.Int).SetBytes(x))
}

// DHMessage is y || HMAC(macKey, y).
func DHMessage(y, macKey []byte) []byte {
	return Cat(y, HMACSHA256(macKey, y))
}

// ReadDH reads the daemon's 288-byte DH message and checks it as a correct
// side would (without -g).
func (p *Peer) ReadDH() error {
	m := make([]byte, DHMessageLen)
	if _, err := io.ReadFull(p.Conn, m); err != nil {
		return fmt.Errorf("reading DH message: %w", err)
	}
	p.PeerMsg = m
	if !hmac.Equal(HMACSHA256(p.TheirMACKey(), m[:DHLen]), m[DHLen:]) {
		return errors.New("daemon's DH MAC does not verify")
	}
	if new(big.Int).SetBytes(m[:DHLen]).Cmp(Group14P()) >= 0 {
		return errors.New("daemon's y >= p")
	}
	p.PeerY = m[:DHLen]
	return nil
}

// KeysFrom derives the data keys from a y_SC of our choosing.
func (p *Peer) KeysFrom(ySC []byte) {
	dk2 := PBKDF2SHA256(p.Key, Cat(p.NonceC, p.NonceS, ySC), 128)
	c := DirKeys{dk2[0:32], dk2[32:64]}
	s := DirKeys{dk2[64:96], dk2[96:128]}
	if p.Client {
		p.Send, p.Recv = c, s
	} else {
		p.Send, p.Recv = s, c
	}
	p.SendN, p.RecvN = 0, 0
}

// SharedSecret is what an honest side computes: 1 if either side is fast
// (the -f side sets 1; the peer of a -f side gets 1^e = 1), else peerY^e.
func (p *Peer) SharedSecret(peerY []byte) []byte {
	if p.X == nil {
		return One256()
	}
	return Pad256(new(big.Int).Exp(new(big.Int).SetBytes(peerY), p.X, Group14P()))
}

// Handshake runs an honest Handshake (fast: y = 1).
func (p *Peer) Handshake(fast bool) error {
	if err := p.Nonces(); err != nil {
		return err
	}
	y := p.GenY(fast)
	if p.Client {
		if _, err := p.Conn.Write(DHMessage(y, p.OurMACKey())); err != nil {
			return err
		}
		if err := p.ReadDH(); err != nil {
			return err
		}
	} else {
		if err := p.ReadDH(); err != nil {
			return err
		}
		if _, err := p.Conn.Write(DHMessage(y, p.OurMACKey())); err != nil {
			return err
		}
	}
	p.KeysFrom(p.SharedSecret(p.PeerY))
	return nil
}

// HandshakeGlued runs an honest client handshake against a -d whose nonce
// comes first: it reads that nonce, then sends its own nonce and its DH
// message in one write, so the daemon finds both in one read.
func (p *Peer) HandshakeGlued() error {
	if !p.Client {
		return fmt.Errorf("HandshakeGlued plays the client")
	}
	p.NonceS = make([]byte, 32)
	if _, err := io.ReadFull(p.Conn, p.NonceS); err != nil {
		return fmt.Errorf("reading nonce: %w", err)
	}
	p.NonceC = make([]byte, 32)
	io.ReadFull(p.Rand, p.NonceC)
	dk1 := PBKDF2SHA256(p.Key, Cat(p.NonceC, p.NonceS), 64)
	p.DHMACC, p.DHMACS = dk1[:32], dk1[32:]
	if _, err := p.Conn.Write(Cat(p.NonceC, DHMessage(p.GenY(false), p.OurMACKey()))); err != nil {
		return err
	}
	if err := p.ReadDH(); err != nil {
		return err
	}
	p.KeysFrom(p.SharedSecret(p.PeerY))
	return nil
}

// SealNext seals msg with the next send counter.
func (p *Peer) SealNext(msg []byte) []byte {
	pkt := SealPacket(p.Send, p.SendN, msg)
	p.SendN++
	return pkt
}

// SendData cuts data into 1024-byte messages and writes the packets.
func (p *Peer) SendData(data []byte) error {
	var out []byte
	for len(data) > 0 {
		n := min(len(data), MaxMessage)
		out = append(out, p.SealNext(data[:n])...)
		data = data[n:]
	}
	_, err := p.Conn.Write(out)
	return err
}

// ReadData reads and opens packets until EOF; it returns the plaintext and
// the error that ended the stream (nil for a clean EOF on a packet boundary).
func (p *Peer) ReadData() ([]byte, error) {
	var out []byte
	buf := make([]byte, PacketSize)
	for {
		if _, err := io.ReadFull(p.Conn, buf); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		m, err := OpenPacket(p.Recv, p.RecvN, buf)
		if err != nil {
			return out, err
		}
		p.RecvN++
		out = append(out, m...)
	}
}
