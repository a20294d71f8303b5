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

	"github.com/spiped-go/spiped/cmd/internal/bindaddr"
	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/cmd/internal/keyfile"
	"github.com/spiped-go/spiped/cmd/internal/pipeopts"
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

// optionList is spipe's command line: the options it shares with spiped,
// and -v.
var optionList = append(pipeopts.List(), getopt.Option{Name: "-v"})

func spipe() int {
	w := warnp.New(filepath.Base(os.Args[0]), os.Stderr)
	o, code := parse(os.Args[1:], w, os.Stderr)
	if o == nil {
		return code
	}
	tgt, err := engine.Resolve(o.Target)
	if err != nil {
		w.Warn(libc.Strerror(err))
		w.Warnf("Error resolving socket address: %s", o.Target)
		return 1
	}
	if len(tgt) == 0 {
		w.Warnf("No addresses found for %s", o.Target)
		return 1
	}
	var bind *engine.Addr
	if o.HasBind {
		a, name, err := bindaddr.Resolve(o.Bind)
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
	key, ok := keyfile.Load(o.KeyFile, os.Stdin, w.Warn)
	if !ok {
		return 1
	}
	cfg := engine.ClientConfig{
		Target:      tgt,
		Bind:        bind,
		Key:         key,
		Fast:        o.Fast,
		RequireFS:   o.RequireFS,
		NoKeepalive: o.NoKeepalive,
		Timeout:     o.Timeout,
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
func parse(args []string, w *warnp.Warner, stderr io.Writer) (*pipeopts.Options, int) {
	o := &pipeopts.Options{}
	cmd := getopt.Command{Options: optionList, Usage: usageText, Stderr: stderr, Warnf: w.Warnf}
	seen, code, ok := cmd.Parse(args, func(name, arg string) error {
		if name == "-v" {
			io.WriteString(stderr, "spipe "+version.Version+"\n")
			return getopt.ErrExit
		}
		_, err := o.Take(name, arg)
		return err
	})
	if !ok {
		return nil, code
	}
	if !o.Complete(seen) {
		return nil, cmd.UsageError()
	}
	return o, 0
}
