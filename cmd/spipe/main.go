// Command spipe is the secure pipe client, a drop-in replacement for the
// reference spipe 1.6.2: it connects to a spiped -d, copies standard input
// to it and what comes back to standard output, with the reference's
// options, messages and exit statuses. It adds -b <bind address>.
package main

import (
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spiped-go/spiped/cmd/internal/bindaddr"
	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/cmd/internal/keyfile"
	"github.com/spiped-go/spiped/cmd/internal/version"
	"github.com/spiped-go/spiped/cmd/internal/warnp"
	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/libc"
)

// usageText is the reference's, plus -b where upstream puts it for spiped.
const usageText = `usage: spipe -t <target socket> [-b <bind address>] -k <key file> [-f | -g] [-j]
    [-o <connection timeout>]
       spipe -v
`

func main() {
	os.Exit(spipe())
}

// options is the parsed command line.
type options struct {
	bind        string        // -b
	hasBind     bool          // -b was given
	fast        bool          // -f
	requireFS   bool          // -g
	noKeepalive bool          // -j
	keyFile     string        // -k
	timeout     time.Duration // -o
	target      string        // -t
}

var optionList = []getopt.Option{
	{Name: "-b", HasArg: true},
	{Name: "-f"},
	{Name: "-g"},
	{Name: "-j"},
	{Name: "-k", HasArg: true},
	{Name: "-o", HasArg: true},
	{Name: "-t", HasArg: true},
	{Name: "-v"},
}

func spipe() int {
	w := warnp.New(filepath.Base(os.Args[0]), os.Stderr)
	o, code := parse(os.Args[1:], w, os.Stderr)
	if o == nil {
		return code
	}
	tgt, err := engine.Resolve(o.target)
	if err != nil {
		w.Warn(libc.Strerror(err))
		w.Warnf("Error resolving socket address: %s", o.target)
		return 1
	}
	if len(tgt) == 0 {
		w.Warnf("No addresses found for %s", o.target)
		return 1
	}
	var bind *engine.Addr
	if o.hasBind {
		a, name, err := bindaddr.Resolve(o.bind)
		if err != nil {
			w.Warn(libc.Strerror(err))
			w.Warnf("Error resolving socket address: %s", name)
			return 1
		}
		if a == nil {
			w.Warnf("No address found for %s", name)
			return 1
		}
		bind = a
	}
	key, ok := keyfile.Load(o.keyFile, os.Stdin, w.Warn)
	if !ok {
		return 1
	}
	cfg := engine.ClientConfig{
		Target:      tgt,
		Bind:        bind,
		Key:         key,
		Fast:        o.fast,
		RequireFS:   o.requireFS,
		NoKeepalive: o.noKeepalive,
		Timeout:     o.timeout,
	}
	clear(key[:])

	// SIGTERM ends spipe quietly with status 0, as the reference's
	// graceful shutdown does.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		os.Exit(0)
	}()
	err = engine.RunClient(cfg, os.Stdin, os.Stdout)
	clear(cfg.Key[:])
	if err != nil {
		w.Warn(err.Error())
		return 1
	}
	return 0
}

// parse reads args as the reference spipe does. It returns the options,
// or nil and the status to exit with once usage or an error is printed.
func parse(args []string, w *warnp.Warner, stderr io.Writer) (*options, int) {
	o := &options{}
	var secs float64
	cmd := getopt.Command{Options: optionList, Usage: usageText, Stderr: stderr, Warnf: w.Warnf}
	seen, code, ok := cmd.Parse(args, func(name, arg string) (err error) {
		switch name {
		case "-b":
			o.bind, o.hasBind = arg, true
		case "-f":
			o.fast = true
		case "-g":
			o.requireFS = true
		case "-j":
			o.noKeepalive = true
		case "-k":
			o.keyFile = arg
		case "-o":
			secs, err = libc.ParseSeconds(arg)
		case "-t":
			o.target = arg
		case "-v":
			io.WriteString(stderr, "spipe "+version.Version+"\n")
			return getopt.ErrExit
		}
		return err
	})
	if !ok {
		return nil, code
	}
	if secs == 0 {
		secs = 5
	}
	if (o.fast && o.requireFS) || !seen["-k"] || !(secs > 0) || !seen["-t"] {
		return nil, cmd.UsageError()
	}
	o.timeout = libc.Duration(secs)
	return o, 0
}
