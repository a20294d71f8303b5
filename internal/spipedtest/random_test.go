package spipedtest

import (
	"bytes"
	"testing"
)

// Every bit of the seed and the stream's name change the bytes; the same
// pair gives the same bytes.
func TestRandomBytes(t *testing.T) {
	a := RandomBytes(1, "x", 64)
	if !bytes.Equal(a, RandomBytes(1, "x", 64)) {
		t.Fatal("same seed and stream, different bytes")
	}
	for _, other := range [][]byte{RandomBytes(1<<40|1, "x", 64), RandomBytes(257, "x", 64), RandomBytes(1, "y", 64)} {
		if bytes.Equal(a, other) {
			t.Fatal("a different seed (high bits included) or stream gave the same bytes")
		}
	}
}
