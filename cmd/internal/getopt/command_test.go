package getopt

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestCommandParse: every way a command line ends, with what is printed
// and the status.
func TestCommandParse(t *testing.T) {
	take := func(name, arg string) error {
		switch {
		case name == "-v":
			return ErrExit
		case name == "-e" && arg == "":
			return ErrUsage
		case arg == "bad":
			return syscall.EINVAL
		case arg == "odd":
			return errors.New("must be even")
		}
		return nil
	}
	for _, c := range []struct {
		args []string
		out  string // warnings, then usage
		code int
		ok   bool
	}{
		{[]string{"-k", "key", "-F"}, "", 0, true},
		{[]string{"-F", "-F"}, "USAGE", 1, false},
		{[]string{"-Q"}, "W illegal option -- -Q\nUSAGE", 1, false},
		{[]string{"-k"}, "W Missing argument to -k\nUSAGE", 1, false},
		{[]string{"-F", "word"}, "USAGE", 1, false},
		{[]string{"-e"}, "USAGE", 1, false},
		{[]string{"-v", "-Q"}, "", 0, false},
		{[]string{"-k", "bad", "-Q"}, "W Error parsing argument: -k bad: Invalid argument\n", 1, false},
		{[]string{"-k", "odd"}, "W Error parsing argument: -k odd: must be even\n", 1, false},
	} {
		var out strings.Builder
		cmd := Command{
			Options: []Option{{Name: "-k", HasArg: true}, {Name: "-F"}, {Name: "-e"}, {Name: "-v"}},
			Usage:   "USAGE", Stderr: &out,
			Warnf: func(format string, args ...any) { fmt.Fprintf(&out, "W "+format+"\n", args...) },
		}
		seen, code, ok := cmd.Parse(c.args, take)
		if out.String() != c.out || code != c.code || ok != c.ok {
			t.Errorf("%q: printed %q, status %d, ok %v; want %q, %d, %v", c.args, out.String(), code, ok, c.out, c.code, c.ok)
		}
		if ok && (!seen["-k"] || !seen["-F"] || seen["-v"]) {
			t.Errorf("%q: seen %v", c.args, seen)
		}
	}
}
