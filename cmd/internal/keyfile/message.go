package keyfile

import (
	"errors"

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
