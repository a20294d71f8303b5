package getopt

import (
	"strings"
	"testing"
)

// FuzzGetopt parses arbitrary command lines against arbitrary option
// lists and compares every step with model, a second reading of the rules
// written word by word rather than as a state machine.
//
// spec lists the options, space separated: "e", "k:" (takes an argument),
// "-syslog", "-pprof:"; argv is the command line, words split at NUL.
func FuzzGetopt(f *testing.F) {
	const spiped = "b: d D e f F g j k: n: o: p: r: R s: -syslog t: u: v -pprof:"
	for _, argv := range []string{
		"", "-e", "-DFj", "-n5", "-n\x005", "-Fk\x00key\x00-e", "-k\x00-e", "-k=x", "-k", "-Fk",
		"-Q", "-eQ", "-e-", "--syslog", "--syslog=1", "--syslogx", "--foo=bar",
		"--pprof=:6060", "--pprof\x00:6060", "--pprof", "--\x00-e", "-e\x00--", "-",
		"x\x00-e", "-e\x00x\x00-F", "-e\x00-s\x00/s\x00-t\x00[::1]:8\x00-k\x00/k",
	} {
		f.Add(spiped, argv)
	}
	f.Add("a: --", "--\x00-a")
	f.Add("-long:", "--long=\x00--long\x00x")
	f.Fuzz(func(t *testing.T, spec, argv string) {
		opts := parseSpec(spec)
		args := strings.Split(argv, "\x00")
		if argv == "" {
			args = nil
		}
		want, wantRest := model(args, opts)
		p := New(args, opts)
		var got []event
		for steps := 0; ; steps++ {
			if steps > len(argv)+len(args)+1 {
				t.Fatalf("%q: no end after %d steps: %v", args, steps, got)
			}
			kind, name, arg := p.Next()
			if kind == Done {
				break
			}
			got = append(got, event{kind, name, arg})
			if kind != Found {
				break
			}
		}
		if !sameEvents(got, want) {
			t.Fatalf("opts %v args %q:\n got %v\nwant %v", opts, args, got, want)
		}
		if len(want) > 0 && want[len(want)-1].kind != Found {
			return // the caller stops at an error; Rest is not defined
		}
		if rest := p.Rest(); strings.Join(rest, "\x00") != strings.Join(wantRest, "\x00") || len(rest) != len(wantRest) {
			t.Fatalf("args %q: rest %q, want %q", args, rest, wantRest)
		}
		for _, e := range got {
			o := find(opts, e.name)
			if o == nil || (!o.HasArg && e.arg != "") {
				t.Fatalf("args %q: %v is not an option of %v", args, e, opts)
			}
		}
	})
}

type event struct {
	kind      Kind
	name, arg string
}

func sameEvents(a, b []event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseSpec turns the fuzzer's option list into Options. Names with '='
// cannot be written on a command line, and "-" alone is not an option.
func parseSpec(spec string) []Option {
	var opts []Option
	for _, w := range strings.Fields(spec) {
		o := Option{Name: "-" + strings.TrimSuffix(w, ":"), HasArg: strings.HasSuffix(w, ":")}
		long := strings.HasPrefix(o.Name, "--")
		if strings.Contains(o.Name, "=") || (!long && len(o.Name) != 2) || (long && len(o.Name) < 3) {
			continue
		}
		opts = append(opts, o)
	}
	return opts
}

func find(opts []Option, name string) *Option {
	for i := range opts {
		if opts[i].Name == name {
			return &opts[i]
		}
	}
	return nil
}

// model is libcperciva's getopt read word by word: it returns the events
// up to the first error, and the words after the options.
func model(args []string, opts []Option) ([]event, []string) {
	var ev []event
	for i := 0; i < len(args); {
		w := args[i]
		if w == "--" {
			return ev, args[i+1:]
		}
		if len(w) < 2 || w[0] != '-' {
			return ev, args[i:]
		}
		i++
		if w[1] == '-' {
			name, value, hasValue := strings.Cut(w, "=")
			o := find(opts, name)
			switch {
			case o == nil:
				return append(ev, event{Unknown, w, ""}), nil
			case !o.HasArg && hasValue:
				return append(ev, event{Unknown, name, ""}), nil
			case !o.HasArg:
				ev = append(ev, event{Found, name, ""})
			case hasValue:
				ev = append(ev, event{Found, name, value})
			case i < len(args):
				ev = append(ev, event{Found, name, args[i]})
				i++
			default:
				return append(ev, event{Missing, name, ""}), nil
			}
			continue
		}
		for j := 1; j < len(w); j++ {
			name := "-" + w[j:j+1]
			o := find(opts, name)
			switch {
			case o == nil:
				return append(ev, event{Unknown, name, ""}), nil
			case !o.HasArg:
				ev = append(ev, event{Found, name, ""})
				continue
			case j+1 < len(w):
				ev = append(ev, event{Found, name, w[j+1:]})
			case i < len(args):
				ev = append(ev, event{Found, name, args[i]})
				i++
			default:
				return append(ev, event{Missing, name, ""}), nil
			}
			break
		}
	}
	return ev, nil
}
