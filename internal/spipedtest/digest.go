package spipedtest

import (
	"crypto/sha256"
	"fmt"
	"hash"
)

// Digest hashes a stream as it passes, so a test checks a transfer of any
// size against what was sent without keeping a copy.
type Digest struct {
	h hash.Hash
	n int64
}

// NewDigest starts an empty digest.
func NewDigest() *Digest { return &Digest{h: sha256.New()} }

// Write adds p to the stream.
func (d *Digest) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return d.h.Write(p)
}

// Check is nil if the stream was exactly sent, else an error saying how
// long each was and their SHA-256.
func (d *Digest) Check(sent []byte) error {
	want := sha256.Sum256(sent)
	if got := d.h.Sum(nil); d.n != int64(len(sent)) || string(got) != string(want[:]) {
		return fmt.Errorf("%d bytes with SHA-256 %x arrived; %d were sent, with %x", d.n, got, len(sent), want)
	}
	return nil
}
