package engine_test

import (
	"sync"
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

func startEngine(t testing.TB, o spipedtest.Opts) *spipedtest.Daemon {
	t.Helper()
	spipedtest.NeedProc(t)
	var lastErr error
	for range 5 {
		spec := o.Source
		if spec == "" {
			spec = spipedtest.FreeSpec(t)
		}
		src, err := engine.Resolve(spec)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", spec, err)
		}
		tgt, err := engine.Resolve(o.Target)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", o.Target, err)
		}
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
		srv, err := engine.Listen(engine.Config{
			Encrypt:     o.Encrypt,
			Source:      src[0],
			Target:      o.Target,
			TargetAddrs: tgt,
			Key:         key,
			Fast:        o.Fast,
			RequireFS:   o.RequireFS,
			MaxConns:    maxConns,
			Timeout:     timeout,
			Warn:        func(string) {},
		})
		if err != nil {
			lastErr = err
			if o.Source != "" {
				break
			}
			continue
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		d := &spipedtest.Daemon{Name: "engine", Spec: spec, Stats: func() any { return srv.Stats() }}
		var once sync.Once
		d.Stop = func() {
			once.Do(func() {
				srv.Shutdown()
				select {
				case <-served:
				case <-time.After(10 * time.Second):
					t.Errorf("engine: Serve did not return within 10 s of Shutdown")
				}
			})
		}
		t.Cleanup(d.Stop)
		return d
	}
	t.Fatalf("engine.Listen: %v", lastErr)
	return nil
}
