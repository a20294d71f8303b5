package getopt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var testOpts = []Option{
	{Name: "-e"},
	{Name: "-F"},
	{Name: "-D"},
	{Name: "-k", HasArg: true},
	{Name: "-n", HasArg: true},
	{Name: "--syslog"},
	{Name: "--pprof", HasArg: true},
}

// walk renders every step of a parse, then what is left.
func walk(args ...string) string {
	p := New(args, testOpts)
	var out []string
	for {
		kind, name, arg := p.Next()
		switch kind {
		case Found:
			out = append(out, fmt.Sprintf("%s=%q", name, arg))
		case Unknown:
			out = append(out, "unknown "+name)
		case Missing:
			out = append(out, "missing "+name)
		case Done:
			out = append(out, fmt.Sprintf("rest %q", p.Rest()))
			return strings.Join(out, "; ")
		}
		if kind != Found {
			return strings.Join(out, "; ")
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `rest []`},
		{[]string{"-e"}, `-e=""; rest []`},
		{[]string{"-DFe"}, `-D=""; -F=""; -e=""; rest []`},
		{[]string{"-n5"}, `-n="5"; rest []`},
		{[]string{"-n", "5"}, `-n="5"; rest []`},
		{[]string{"-Fn5", "x"}, `-F=""; -n="5"; rest ["x"]`},
		{[]string{"-Fk", "key", "-e"}, `-F=""; -k="key"; -e=""; rest []`},
		{[]string{"-k", "-e"}, `-k="-e"; rest []`},
		{[]string{"-k=x"}, `-k="=x"; rest []`},
		{[]string{"-k"}, `missing -k`},
		{[]string{"-Fk"}, `-F=""; missing -k`},
		{[]string{"-Q"}, `unknown -Q`},
		{[]string{"-eQ"}, `-e=""; unknown -Q`},
		{[]string{"-e-"}, `-e=""; unknown --`},
		{[]string{"--syslog"}, `--syslog=""; rest []`},
		{[]string{"--syslog=1"}, `unknown --syslog`},
		{[]string{"--syslogx"}, `unknown --syslogx`},
		{[]string{"--foo=bar"}, `unknown --foo=bar`},
		{[]string{"--pprof=:6060"}, `--pprof=":6060"; rest []`},
		{[]string{"--pprof", ":6060"}, `--pprof=":6060"; rest []`},
		{[]string{"--pprof"}, `missing --pprof`},
		{[]string{"--", "-e"}, `rest ["-e"]`},
		{[]string{"-e", "--"}, `-e=""; rest []`},
		{[]string{"-"}, `rest ["-"]`},
		{[]string{"x", "-e"}, `rest ["x" "-e"]`},
		{[]string{"-e", "x", "-F"}, `-e=""; rest ["x" "-F"]`},
	} {
		if got := walk(tc.args...); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

func TestRestAfterDashDash(t *testing.T) {
	p := New([]string{"-e", "--", "--", "a"}, testOpts)
	for {
		if kind, _, _ := p.Next(); kind == Done {
			break
		}
	}
	if got, want := p.Rest(), []string{"--", "a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Rest() = %q, want %q", got, want)
	}
}

func TestNextOptionReports(t *testing.T) {
	opts := []Option{{Name: "-k", HasArg: true}, {Name: "-F"}}
	for _, c := range []struct {
		args      []string
		name, arg string
		done, bad bool
		said      string
	}{
		{[]string{"-kkey"}, "-k", "key", false, false, ""},
		{[]string{"-k"}, "-k", "", false, true, "Missing argument to -k"},
		{[]string{"-Q"}, "-Q", "", false, true, "illegal option -- -Q"},
		{[]string{"word"}, "", "", true, false, ""},
	} {
		var said string
		warnf := func(format string, args ...any) { said = fmt.Sprintf(format, args...) }
		name, arg, done, bad := New(c.args, opts).NextOption(warnf)
		if name != c.name || arg != c.arg || done != c.done || bad != c.bad || said != c.said {
			t.Errorf("%q: got %q %q done=%v bad=%v said %q, want %q %q done=%v bad=%v said %q",
				c.args, name, arg, done, bad, said, c.name, c.arg, c.done, c.bad, c.said)
		}
	}
}
