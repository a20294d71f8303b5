// Package getopt parses command lines the way the reference spiped's
// libcperciva getopt does, which differs from Go's flag package in ways
// scripts can see: single-letter options pack ("-DFj", "-n5", "-Fk key"),
// an option's argument may start with a dash ("-s -e" sets -s to "-e"),
// long options take "--name=value" or "--name value", "--" ends the
// options, and parsing stops at the first non-option word.
package getopt

// Option is one option the caller accepts, named with its dashes:
// "-e" or "--syslog".
type Option struct {
	Name   string
	HasArg bool
}

// Kind says what Next found.
type Kind uint8

const (
	Found   Kind = iota // a known option (with its argument if it takes one)
	Unknown             // not a known option, or "--long=value" for one without an argument
	Missing             // a known option whose argument is missing
	Done                // no more options: Rest holds what is left
)

// Parser walks one command line.
type Parser struct {
	args   []string // without argv[0]
	opts   []Option
	next   int    // index of the word being parsed
	packed string // rest of a word of packed single-letter options
}

// New returns a parser of args (argv without argv[0]) for opts.
func New(args []string, opts []Option) *Parser {
	return &Parser{args: args, opts: opts}
}

// Next returns the next option: its kind, its name and its argument.
// For Found and Missing the name is the registered one; for Unknown it is
// the text as written ("-Q", "--foo=bar"), except that a known option
// without an argument given "=value" is reported by its registered name,
// as the reference does.
func (p *Parser) Next() (kind Kind, name, arg string) {
	if p.packed == "" {
		if p.next >= len(p.args) {
			return Done, "", ""
		}
		w := p.args[p.next]
		switch {
		case len(w) >= 2 && w[0] == '-' && w[1] != '-':
			p.packed = w[1:]
		case len(w) >= 2 && w[0] == '-' && w[1] == '-':
			p.next++
			if len(w) == 2 {
				return Done, "", ""
			}
			return p.lookup(w, false)
		default:
			return Done, "", ""
		}
	}
	os := "-" + p.packed[:1]
	p.packed = p.packed[1:]
	if p.packed == "" {
		p.next++
	}
	return p.lookup(os, true)
}

// NextOption is Next for a command's parse loop. A missing argument or an
// unknown option is reported through warnf in the reference's words
// ("Missing argument to -k", "illegal option -- -Q") and returns bad, after
// which the command prints its usage; the end of the options returns done.
func (p *Parser) NextOption(warnf func(format string, args ...any)) (name, arg string, done, bad bool) {
	kind, name, arg := p.Next()
	switch kind {
	case Missing:
		warnf("Missing argument to %s", name)
		return name, "", false, true
	case Unknown:
		warnf("illegal option -- %s", name)
		return name, "", false, true
	case Done:
		return "", "", true, false
	}
	return name, arg, false, false
}

// lookup resolves os, a single-letter option cut from a packed word or a
// whole "--long[=value]" word, and fetches its argument.
func (p *Parser) lookup(os string, single bool) (Kind, string, string) {
	o, value, hasValue := p.search(os)
	if o == nil {
		return Unknown, os, ""
	}
	if !o.HasArg {
		if hasValue {
			return Unknown, o.Name, ""
		}
		return Found, o.Name, ""
	}
	switch {
	case single && p.packed != "":
		value, hasValue = p.packed, true
		p.packed = ""
		p.next++
	case hasValue:
	case p.next < len(p.args):
		value, hasValue = p.args[p.next], true
		p.next++
	}
	if !hasValue {
		return Missing, o.Name, ""
	}
	return Found, o.Name, value
}

// search finds the option os names: "name" exactly, or "name=value".
func (p *Parser) search(os string) (o *Option, value string, hasValue bool) {
	for i := range p.opts {
		n := p.opts[i].Name
		if len(os) < len(n) || os[:len(n)] != n {
			continue
		}
		if len(os) == len(n) {
			return &p.opts[i], "", false
		}
		if os[len(n)] == '=' {
			return &p.opts[i], os[len(n)+1:], true
		}
	}
	return nil, "", false
}

// Rest returns the words after the options (valid once Next returned Done).
func (p *Parser) Rest() []string {
	return p.args[p.next:]
}
