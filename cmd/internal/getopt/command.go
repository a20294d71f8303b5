package getopt

import (
	"errors"
	"io"

	"github.com/spiped-go/spiped/internal/libc"
)

// Command is a command line read as the reference's spipe and spiped read
// theirs: one getopt loop in which an unknown option, a missing argument,
// an option given twice and a word after the options all end in the usage
// text, and an argument that does not parse ends in "Error parsing
// argument". Both commands use it, so the rules are written once.
type Command struct {
	Options []Option
	Usage   string                           // the usage text, printed as it is
	Stderr  io.Writer                        // where Usage goes
	Warnf   func(format string, args ...any) // the reference's warnx: "spiped: ..." lines
}

// Errors a Parse take function returns for what is not an argument error.
var (
	ErrUsage = errors.New("getopt: usage") // print usage, exit 1 (as for -e with -d)
	ErrExit  = errors.New("getopt: exit")  // take printed what the option asks for (-v): exit 0
)

// Parse hands each option of args, in order, to take. It returns the
// options given and true to go on, or false and the status to exit with
// once it printed usage or a message: take's ErrUsage and ErrExit as they
// say, any other error as "Error parsing argument: <option> <arg>: <error
// as strerror words it>".
func (c *Command) Parse(args []string, take func(name, arg string) error) (seen map[string]bool, exit int, ok bool) {
	seen = map[string]bool{}
	p := New(args, c.Options)
	for {
		name, arg, done, bad := p.NextOption(c.Warnf)
		if done {
			break
		}
		if bad || seen[name] {
			return seen, c.UsageError(), false
		}
		seen[name] = true
		switch err := take(name, arg); err {
		case nil:
		case ErrUsage:
			return seen, c.UsageError(), false
		case ErrExit:
			return seen, 0, false
		default:
			c.Warnf("Error parsing argument: %s %s: %s", name, arg, libc.Strerror(err))
			return seen, 1, false
		}
	}
	if len(p.Rest()) != 0 {
		return seen, c.UsageError(), false
	}
	return seen, 0, true
}

// UsageError prints the usage text and returns 1, the status to exit with.
func (c *Command) UsageError() int {
	io.WriteString(c.Stderr, c.Usage)
	return 1
}
