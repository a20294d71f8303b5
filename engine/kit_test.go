package engine_test

import (
	"testing"
	"time"

	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

type impl struct {
	name  string
	start func(t testing.TB, o spipedtest.Opts) *spipedtest.Daemon
}

// hostileImpls are the daemons every hostile test runs against: ours
// in-process and as the built command, and the reference (skipped when
// absent unless CI is set).
func hostileImpls() []impl {
	return []impl{
		{"engine", startEngine},
		{"binary", spipedtest.StartBinary},
		{"reference", spipedtest.StartReference},
	}
}

// startEngine runs our engine in process (engine.ServeForTest) with the
// configuration o describes.
func startEngine(t testing.TB, o spipedtest.Opts) *spipedtest.Daemon {
	t.Helper()
	spipedtest.NeedProc(t)
	var key [32]byte
	copy(key[:], o.Key)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	maxConns := o.MaxConns
	if maxConns < 0 {
		maxConns = 100
	}
	_, d := engine.ServeForTest(t, engine.Config{Encrypt: o.Encrypt, Target: o.Target, Key: key,
		Fast: o.Fast, RequireFS: o.RequireFS, MaxConns: maxConns, Timeout: timeout,
		Warn: func(string) {}}, o.Source)
	return d
}
