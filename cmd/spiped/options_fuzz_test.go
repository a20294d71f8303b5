package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spiped-go/spiped/cmd/internal/version"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
)

// FuzzSpipedArgs gives parse arbitrary command lines (words split at NUL).
// parse only reads its arguments: addresses are resolved and the key read
// later, in run. Each run must end in exactly one of: options that pass
// the reference's checks with nothing printed, the version with status 0,
// or status 1 after usage (perhaps after an illegal or missing option) or
// after an "Error parsing argument" message.
func FuzzSpipedArgs(f *testing.F) {
	for _, argv := range []string{
		"", "-v", "-e\x00-d", "-e\x00-s\x00/s\x00-t\x00[::1]:8\x00-k\x00/k",
		"-d\x00-s\x00[127.0.0.1]:8025\x00-t\x00localhost:22\x00-k\x00key\x00-DFj\x00-n5\x00-o\x000x1p-3\x00-r\x00inf",
		"-eFk\x00k\x00-s\x00-t\x00-t\x00-s\x00-R\x00-g\x00-p\x00\x00-u\x00nobody:nogroup\x00--syslog\x00--pprof=:0",
		"-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00-f\x00-g", "-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00-n\x00-1",
		"-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00-o\x00nan", "-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00-r\x001e999",
		"-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00-R\x00-r\x005", "-Q", "-e-", "--syslog=1", "--foo=bar", "-e\x00-s",
		"--\x00-v", "-\x00-e", "-e\x00extra", "-n\x0099999999999999999999", "-b\x00[::1]\x00-v",
		"-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00--log-connections\x00--log-format\x00json\x00--metrics\x00:0",
		"-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00--log-format=xml", "-e\x00-s\x00a\x00-t\x00b\x00-k\x00c\x00--log-format\x00text",
	} {
		f.Add(argv)
	}
	f.Fuzz(func(t *testing.T, argv string) {
		args := strings.Split(argv, "\x00")
		if argv == "" {
			args = nil
		}
		var out bytes.Buffer
		o, code := parse(args, warnp.New("spiped", &out), &out)
		text := out.String()
		switch {
		case o != nil:
			if code != 0 || text != "" {
				t.Fatalf("%q: options with status %d and output %q", args, code, text)
			}
			checkOptions(t, args, o)
		case code == 0:
			if text != "spiped "+version.Version+"\n" {
				t.Fatalf("%q: status 0 without options, output %q", args, text)
			}
		case code == 1:
			// An option's name or argument may itself hold newlines.
			warning, usage := strings.CutSuffix(text, usageText)
			usage = usage && (warning == "" ||
				strings.HasSuffix(warning, "\n") &&
					(strings.HasPrefix(warning, "spiped: illegal option -- -") ||
						strings.HasPrefix(warning, "spiped: Missing argument to -")))
			parseErr := strings.HasPrefix(text, "spiped: Error parsing argument: -") &&
				strings.HasSuffix(text, "\n") && !strings.Contains(text, usageText)
			// Ours: --log-format without --log-connections.
			needs := text == "spiped: --log-format needs --log-connections\n"
			if !usage && !parseErr && !needs {
				t.Fatalf("%q: status 1, output %q", args, text)
			}
		default:
			t.Fatalf("%q: status %d", args, code)
		}
	})
}

// checkOptions holds a parse result to the reference's rules.
func checkOptions(t *testing.T, args []string, o *options) {
	t.Helper()
	switch {
	case o.encrypt == o.decrypt:
		t.Fatalf("%q: encrypt %v decrypt %v", args, o.encrypt, o.decrypt)
	case o.Fast && o.RequireFS:
		t.Fatalf("%q: both -f and -g", args)
	case o.Timeout <= 0 || o.maxConns < 0 || o.reResolve < 0:
		t.Fatalf("%q: timeout %v, max %d, re-resolve %v", args, o.Timeout, o.maxConns, o.reResolve)
	case !o.hasUser && o.user != "", !o.HasBind && o.Bind != "":
		t.Fatalf("%q: -u %q / -b %q without the option", args, o.user, o.Bind)
	}
	// Every value came from the command line: a word, or the tail of one.
	for _, v := range []string{o.source, o.Target, o.KeyFile, o.Bind, o.user, o.pidfile, o.pprof, o.metrics} {
		if v != "" && v != o.source+".pid" && !strings.Contains(strings.Join(args, "\x00"), v) {
			t.Fatalf("%q: value %q is not in the arguments", args, v)
		}
	}
}
