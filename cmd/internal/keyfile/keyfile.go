// Package keyfile checks a key file the way the reference does not: it
// accepts any file, so an empty key or one that others can read goes
// unnoticed. Both still work (the protocol hashes whatever the file
// holds), so they draw a warning, never a refusal. It also words the
// errors of reading a key file as the reference prints them (Message).
package keyfile

import (
	"io/fs"
	"os"
)

// Warn stats the key file at path ("-", standard input, is not checked)
// and warns, once per problem, if it is readable by group or others or if
// it is an empty regular file. It says nothing when the file cannot be
// stat'ed: reading it reports that. The file is stat'ed through symlinks,
// as it is read.
func Warn(path string, warn func(string)) {
	if path == "-" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	if fi.Mode().Perm()&0o044 != 0 {
		warn("WARNING: key file " + path + " is readable by group or others")
	}
	if fi.Mode()&fs.ModeType == 0 && fi.Size() == 0 {
		warn("WARNING: key file " + path + " is empty")
	}
}
