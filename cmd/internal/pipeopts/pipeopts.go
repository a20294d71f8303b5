// Package pipeopts reads the options spipe and spiped share (-b, -f, -g,
// -j, -k, -o, -t): the same letters with the same meaning, arguments and
// defaults in both reference commands, so they are read in one place.
package pipeopts

import (
	"time"

	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/internal/libc"
)

// Options are the shared options' values.
type Options struct {
	Bind        string        // -b
	HasBind     bool          // -b was given
	Fast        bool          // -f
	RequireFS   bool          // -g
	NoKeepalive bool          // -j
	KeyFile     string        // -k
	Timeout     time.Duration // -o, once Complete has applied the default
	Target      string        // -t

	timeoutSecs float64 // -o as given; 0 means the default
}

// List returns the shared options for a command's getopt list.
func List() []getopt.Option {
	return []getopt.Option{
		{Name: "-b", HasArg: true},
		{Name: "-f"},
		{Name: "-g"},
		{Name: "-j"},
		{Name: "-k", HasArg: true},
		{Name: "-o", HasArg: true},
		{Name: "-t", HasArg: true},
	}
}

// Take reads a shared option into o: handled says whether name is one,
// err is what a getopt.Command take function returns for a bad argument.
func (o *Options) Take(name, arg string) (handled bool, err error) {
	switch name {
	case "-b":
		o.Bind, o.HasBind = arg, true
	case "-f":
		o.Fast = true
	case "-g":
		o.RequireFS = true
	case "-j":
		o.NoKeepalive = true
	case "-k":
		o.KeyFile = arg
	case "-o":
		o.timeoutSecs, err = libc.ParseSeconds(arg)
	case "-t":
		o.Target = arg
	default:
		return false, nil
	}
	return true, err
}

// Complete applies the reference's default (-o 0, or none, is 5 seconds)
// and reports whether the shared options allow the command to run: -k and
// -t given (an empty argument counts, as in the reference: -k "" then
// fails to open the file), not both -f and -g, and a timeout above 0 (so
// not NaN). Otherwise the command prints its usage.
func (o *Options) Complete(seen map[string]bool) bool {
	secs := o.timeoutSecs
	if secs == 0 {
		secs = 5
	}
	if (o.Fast && o.RequireFS) || !seen["-k"] || !seen["-t"] || !(secs > 0) {
		return false
	}
	o.Timeout = libc.Duration(secs)
	return true
}
