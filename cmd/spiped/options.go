package main

import (
	"errors"
	"io"
	"math"
	"syscall"
	"time"

	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/cmd/internal/pipeopts"
	"github.com/spiped-go/spiped/cmd/internal/version"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/internal/libc"
)

// usageText is the reference's, plus -b where upstream spiped puts it.
const usageText = `usage: spiped {-e | -d} -s <source socket> -t <target socket> [-b <bind address>] -k <key file>
    [-DFj] [-f | -g] [-n <max # connections>] [-o <connection timeout>]
    [-p <pidfile>] [-r <rtime> | -R] [--syslog]
    [-u {<username> | <:groupname> | <username:groupname>}]
       spiped -v
`

// options is the parsed command line, with the reference's defaults applied.
type options struct {
	pipeopts.Options // -b, -f, -g, -j, -k, -o, -t

	decrypt     bool          // -d
	dnsRetry    bool          // -D: daemonize first, retry lookups
	encrypt     bool          // -e
	foreground  bool          // -F
	maxConns    int           // -n; 0 = unlimited
	pidfile     string        // -p, else the -s string plus ".pid"
	reResolve   time.Duration // -r; 0 = never (-R)
	source      string        // -s
	syslog      bool          // --syslog
	user        string        // -u
	hasUser     bool          // -u was given
	pprof       string        // --pprof, "" if none
	drain       time.Duration // --drain-timeout; meaningful if hasDrain
	hasDrain    bool          // --drain-timeout was given (else no limit)
	proxyHeader bool          // -P
	listenFD    int           // a listener passed by socket activation, 0 if none (not an option)
	logConns    bool          // --log-connections
	logJSON     bool          // --log-format json (else text)
	metrics     string        // --metrics, "" if none
}

// optionList is spiped's command line: the options it shares with spipe,
// and its own.
var optionList = append(pipeopts.List(), []getopt.Option{
	{Name: "-d"},
	{Name: "-D"},
	{Name: "-e"},
	{Name: "-F"},
	{Name: "-n", HasArg: true},
	{Name: "-p", HasArg: true},
	{Name: "-r", HasArg: true},
	{Name: "-R"},
	{Name: "-s", HasArg: true},
	{Name: "--syslog"},
	{Name: "-u", HasArg: true},
	{Name: "-v"},
	{Name: "--pprof", HasArg: true},
	{Name: "--drain-timeout", HasArg: true},
	{Name: "-P"},
	{Name: "--log-connections"},
	{Name: "--log-format", HasArg: true},
	{Name: "--metrics", HasArg: true},
}...)

// parse reads args (without argv[0]) as the reference's main() does,
// printing usage and errors to stderr through w. It returns the options,
// or nil and the status to exit with once usage, -v or an error is printed.
func parse(args []string, w *warnp.Warner, stderr io.Writer) (*options, int) {
	o := &options{}
	var n uint64
	var nSet bool
	var rSecs float64
	cmd := getopt.Command{Options: optionList, Usage: usageText, Stderr: stderr, Warnf: w.Warnf}
	seen, code, ok := cmd.Parse(args, func(name, arg string) (err error) {
		if shared, err := o.Take(name, arg); shared {
			return err
		}
		switch name {
		case "-d", "-e":
			// One or the other (Parse has refused a repeat of either).
			if o.encrypt || o.decrypt {
				return getopt.ErrUsage
			}
			o.decrypt, o.encrypt = name == "-d", name == "-e"
		case "-D":
			o.dnsRetry = true
		case "-F":
			o.foreground = true
		case "-n":
			nSet = true
			n, err = libc.ParseSize(arg)
		case "-p":
			o.pidfile = arg
		case "-r":
			rSecs, err = libc.ParseSeconds(arg)
		case "-R":
			// Recorded in seen; reResolve stays 0.
		case "-s":
			o.source = arg
		case "--syslog":
			o.syslog = true
		case "-u":
			o.user, o.hasUser = arg, true
		case "-v":
			io.WriteString(stderr, "spiped "+version.Version+"\n")
			return getopt.ErrExit
		case "--pprof":
			o.pprof = arg
		case "--drain-timeout":
			var secs float64
			// 0 closes what is open at once; inf is no limit, as without
			// the option; NaN means nothing.
			if secs, err = libc.ParseSeconds(arg); err == nil && math.IsNaN(secs) {
				err = syscall.EINVAL
			} else if err == nil {
				o.drain, o.hasDrain = libc.Duration(secs), !math.IsInf(secs, 1)
			}
		case "-P":
			o.proxyHeader = true
		case "--log-connections":
			o.logConns = true
		case "--log-format":
			if arg != "text" && arg != "json" {
				return errors.New("must be text or json")
			}
			o.logJSON = arg == "json"
		case "--metrics":
			if arg == "" {
				err = syscall.EINVAL
			}
			o.metrics = arg
		}
		return err
	})
	if !ok {
		return nil, code
	}

	// Defaults, as the reference sets them: -n 100, -r 0 means 60 (and -o 0
	// means 5, which Complete applies).
	if !nSet {
		n = 100
	}
	if rSecs == 0 {
		rSecs = 60
	}

	// An empty argument counts as given, as in the reference: -k "" then
	// fails to open the file rather than printing usage.
	switch {
	case !o.decrypt && !o.encrypt,
		!o.Complete(seen),
		rSecs != 60 && seen["-R"],
		!seen["-s"]:
		return nil, cmd.UsageError()
	}

	if n > math.MaxInt {
		n = 0 // any limit past what memory allows is no limit
	}
	o.maxConns = int(n)
	if !seen["-R"] {
		o.reResolve = libc.Duration(rSecs)
		if math.IsInf(rSecs, 1) || math.IsNaN(rSecs) {
			o.reResolve = 0
		}
	}
	if !seen["-p"] {
		o.pidfile = o.source + ".pid"
	}
	// Ours: a format for lines that are not printed is a mistake to point out.
	if seen["--log-format"] && !o.logConns {
		w.Warn("--log-format needs --log-connections")
		return nil, 1
	}
	return o, 0
}
