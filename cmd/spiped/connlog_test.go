package main

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/engine"
)

// lines collects what a connLog prints.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) add(prefix string) func(string) {
	return func(s string) {
		l.mu.Lock()
		l.got = append(l.got, prefix+s)
		l.mu.Unlock()
	}
}

// Each kind of peer and target, in text and in JSON.
func TestConnLogFormat(t *testing.T) {
	ends := []engine.ConnEnd{
		{Peer: netip.MustParseAddrPort("192.0.2.7:51234"), Target: new(engine.IPAddr(netip.MustParseAddrPort("127.0.0.1:25"))),
			Duration: 1234567 * time.Microsecond, ToTarget: 512, ToSource: 2048, Cause: engine.CauseDone},
		{Target: new(engine.UnixAddr("/run/app.sock")), Duration: time.Millisecond, Cause: engine.CauseTargetRefused},
		{Peer: netip.MustParseAddrPort("[2001:db8::1]:443"), Target: new(engine.IPAddr(netip.MustParseAddrPort("[fe80::1%2]:8025"))),
			Duration: 5 * time.Second, Cause: engine.CauseHandshakeTimeout},
		{Cause: engine.CauseLimit},
	}
	want := []string{
		"I connection peer=192.0.2.7:51234 target=127.0.0.1:25 duration=1.234567s to_target=512 to_source=2048 cause=done",
		"I connection peer=- target=/run/app.sock duration=0.001000s to_target=0 to_source=0 cause=target-refused",
		"I connection peer=[2001:db8::1]:443 target=[fe80::1%2]:8025 duration=5.000000s to_target=0 to_source=0 cause=handshake-timeout",
		"I connection peer=- target=- duration=0.000000s to_target=0 to_source=0 cause=limit",
		`P {"peer":"192.0.2.7:51234","target":"127.0.0.1:25","duration":1.234567,"to_target":512,"to_source":2048,"cause":"done"}`,
		`P {"peer":null,"target":"/run/app.sock","duration":0.001,"to_target":0,"to_source":0,"cause":"target-refused"}`,
		`P {"peer":"[2001:db8::1]:443","target":"[fe80::1%2]:8025","duration":5,"to_target":0,"to_source":0,"cause":"handshake-timeout"}`,
		`P {"peer":null,"target":null,"duration":0,"to_target":0,"to_source":0,"cause":"limit"}`,
	}
	var out lines
	for _, js := range []bool{false, true} {
		l := newConnLog(js, out.add("I "), out.add("P "))
		go l.run()
		for i := range ends {
			l.onEnd(&ends[i])
		}
		l.close() // prints everything queued before returning
	}
	if got := strings.Join(out.got, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// Past the burst, lines are counted on the loop, without a hand-off to
// the printer, and the count comes out (at the latest on close); a full
// queue counts too and never blocks.
func TestConnLogLimits(t *testing.T) {
	var out lines
	l := newConnLog(false, out.add(""), out.add(""))
	// Nobody reads yet: the burst is queued, the rest counted at once.
	for range logQueue + 100 {
		l.onEnd(&engine.ConnEnd{Cause: engine.CauseHandshakeFailed})
	}
	if n, q := l.suppressed.Load(), len(l.queue); n != logQueue+100-logBurst || q != logBurst {
		t.Fatalf("%d suppressed and %d queued, want %d and the burst of %d", n, q, logQueue+100-logBurst, logBurst)
	}
	// A full queue: a line the rate allows is counted too.
	full := newConnLog(false, out.add(""), out.add(""))
	for range logQueue {
		full.queue <- connRecord{}
	}
	full.onEnd(&engine.ConnEnd{Cause: engine.CauseDone})
	if n := full.suppressed.Load(); n != 1 {
		t.Fatalf("full queue: %d suppressed, want 1", n)
	}
	go l.run()
	l.close()
	if len(out.got) != logBurst+1 {
		t.Fatalf("printed %d lines, want the burst of %d and a count", len(out.got), logBurst)
	}
	if want := "1104 connection lines suppressed"; out.got[logBurst] != want {
		t.Errorf("last line %q, want %q", out.got[logBurst], want)
	}
}
