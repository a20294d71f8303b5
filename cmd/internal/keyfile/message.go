package keyfile

import (
	"errors"
	"io"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/internal/libc"
)

// Message words an error from cipher.ReadKey as the reference's first line
// does ("Cannot open file: /x: No such file or directory", "Error reading
// file: /x: Is a directory"); the caller prints it and then "Error
// reading shared secret". These are command-line texts, so they live with
// the commands, not in cipher.
func Message(err error) string {
	var ke *cipher.KeyError
	if !errors.As(err, &ke) {
		return libc.Strerror(err)
	}
	what := "Error reading file: "
	if ke.Op == "open" {
		what = "Cannot open file: "
	}
	return what + ke.Path + ": " + libc.Strerror(ke.Err)
}

// Load reads the key at path ("-" for stdin) as both commands do before
// they serve: where cipher.ReadKey fails it prints the reference's two
// lines through warn and reports false; otherwise it prints the warnings
// about the file (Warn) and returns K.
func Load(path string, stdin io.Reader, warn func(string)) ([32]byte, bool) {
	key, err := cipher.ReadKey(path, stdin)
	if err != nil {
		warn(Message(err))
		warn("Error reading shared secret")
		return key, false
	}
	Warn(path, warn)
	return key, true
}
