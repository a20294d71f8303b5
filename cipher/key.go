package cipher

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// ReadKey reads the key file at path ("-" reads stdin) and returns K, the
// SHA-256 of every byte of it: no trimming, no size limit, empty is valid.
// Its errors read like the reference's first line, for example
// "Cannot open file: /x: No such file or directory"; the caller adds
// "Error reading shared secret".
func ReadKey(path string, stdin io.Reader) ([32]byte, error) {
	var k [32]byte
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return k, fmt.Errorf("Cannot open file: %s: %s", path, strerror(err))
		}
		defer f.Close()
		r = f
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return k, fmt.Errorf("Error reading file: %s: %s", path, strerror(err))
	}
	h.Sum(k[:0])
	return k, nil
}

// strerror renders err the way C's strerror does: Go's errno texts are
// glibc's with the first letter lowered.
func strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:]
}
