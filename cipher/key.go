package cipher

import (
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
)

// KeyError is ReadKey's error: which step failed on which file, and why.
// The wording the reference prints ("Cannot open file: ...") is the
// command line's to choose; cipher only says what happened.
type KeyError struct {
	Op   string // "open" or "read"
	Path string // as given to ReadKey; "-" is standard input
	Err  error  // the cause: the errno for a file, as C's errno would be
}

func (e *KeyError) Error() string {
	return e.Op + " key file " + e.Path + ": " + e.Err.Error()
}

func (e *KeyError) Unwrap() error { return e.Err }

// ReadKey reads the key file at path ("-" reads stdin) and returns K, the
// SHA-256 of every byte of it: no trimming, no size limit, empty is valid.
// Its errors are *KeyError.
func ReadKey(path string, stdin io.Reader) ([32]byte, error) {
	var k [32]byte
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return k, &KeyError{Op: "open", Path: path, Err: cause(err)}
		}
		defer f.Close()
		r = f
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return k, &KeyError{Op: "read", Path: path, Err: cause(err)}
	}
	h.Sum(k[:0])
	return k, nil
}

// cause drops the *fs.PathError around an errno: KeyError already says
// which operation on which path.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
