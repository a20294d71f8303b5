package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spiped-go/spiped/engine"
)

// --log-connections: one line per connection end. The engine reports an
// end on an event loop, which must never wait, and a hand-off to another
// goroutine costs a thread wake-up: so onEnd itself applies the rate
// limit (at most logRate lines a second after a burst of logBurst) and
// only a record that will be printed goes, through a bounded queue, to the
// goroutine that formats and prints it. What is left out (over the rate,
// or the queue full) is counted, and once a second, if any were, that
// goroutine prints "N connection lines suppressed". The count is also
// spiped_connection_log_suppressed_total in --metrics.
const (
	logQueue  = 1024
	logRate   = 10 // lines a second, sustained
	logBurst  = 20
	logReport = time.Second // how often at most the suppressed count is printed
)

// connRecord is one end, copied out of the engine's ConnEnd.
type connRecord struct {
	peer     netip.AddrPort // invalid for a Unix socket and for CauseLimit
	target   netip.AddrPort // valid for a TCP target
	path     string         // a Unix target
	dur      time.Duration
	toTarget int64
	toSource int64
	cause    engine.Cause
}

// connLog prints connection lines through out (text: warnp's Info, with
// the "spiped: " prefix; JSON: warnp's Print, bare).
type connLog struct {
	json       bool
	info       func(string) // a text line
	print      func(string) // a JSON line
	queue      chan connRecord
	suppressed atomic.Int64 // left out, queue full or over the rate
	done       chan struct{}

	mu     sync.Mutex // the token bucket, shared by the loops
	tokens float64
	last   time.Time
}

func newConnLog(jsonLines bool, info, print func(string)) *connLog {
	return &connLog{json: jsonLines, info: info, print: print,
		queue: make(chan connRecord, logQueue), done: make(chan struct{}),
		tokens: logBurst, last: time.Now()}
}

// onEnd is the engine's OnEnd: it runs on an event loop and never blocks.
func (l *connLog) onEnd(e *engine.ConnEnd) {
	if !l.take() {
		l.suppressed.Add(1)
		return
	}
	r := connRecord{peer: e.Peer, dur: e.Duration, toTarget: e.ToTarget, toSource: e.ToSource, cause: e.Cause}
	if t := e.Target; t != nil {
		if t.Kind == engine.KindUnix {
			r.path = t.Path
		} else {
			r.target = netip.AddrPortFrom(t.AddrPort.Addr().Unmap(), t.AddrPort.Port())
		}
	}
	select {
	case l.queue <- r:
	default:
		l.suppressed.Add(1)
	}
}

// take reports whether the rate allows one more line now.
func (l *connLog) take() bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = math.Min(logBurst, l.tokens+now.Sub(l.last).Seconds()*logRate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// run prints the queue until close; start it once.
func (l *connLog) run() {
	defer close(l.done)
	var reported int64 // of suppressed, the part already printed
	tick := time.NewTicker(logReport)
	defer tick.Stop()
	report := func() {
		if n := l.suppressed.Load() - reported; n > 0 {
			reported += n
			if l.json {
				l.print(fmt.Sprintf(`{"suppressed":%d}`, n))
			} else {
				l.info(fmt.Sprintf("%d connection lines suppressed", n))
			}
		}
	}
	for {
		select {
		case r, ok := <-l.queue:
			if !ok {
				report()
				return
			}
			l.write(r)
		case <-tick.C:
			report()
		}
	}
}

// close prints what is queued and the last suppressed count, and returns
// when that is done. Call it once the engine reports no more ends (after
// Serve has returned).
func (l *connLog) close() {
	close(l.queue)
	<-l.done
}

// jsonLine is a connection line in JSON, fields as in the text line.
type jsonLine struct {
	Peer     *string `json:"peer"`
	Target   *string `json:"target"`
	Duration float64 `json:"duration"`
	ToTarget int64   `json:"to_target"`
	ToSource int64   `json:"to_source"`
	Cause    string  `json:"cause"`
}

// write formats r as text:
//
//	connection peer=127.0.0.1:40312 target=192.0.2.1:25 duration=0.010234s to_target=12 to_source=345 cause=done
//
// (peer and target "-" when there is none), or as a JSON object with the
// same fields (null when there is none; duration in seconds).
func (l *connLog) write(r connRecord) {
	peer, target := "-", "-"
	if r.peer.IsValid() {
		peer = r.peer.String()
	}
	switch {
	case r.path != "":
		target = r.path
	case r.target.IsValid():
		target = r.target.String()
	}
	if !l.json {
		l.info(fmt.Sprintf("connection peer=%s target=%s duration=%ss to_target=%d to_source=%d cause=%s",
			peer, target, strconv.FormatFloat(r.dur.Seconds(), 'f', 6, 64), r.toTarget, r.toSource, r.cause))
		return
	}
	j := jsonLine{Duration: math.Round(r.dur.Seconds()*1e6) / 1e6, ToTarget: r.toTarget, ToSource: r.toSource, Cause: r.cause.String()}
	if peer != "-" {
		j.Peer = &peer
	}
	if target != "-" {
		j.Target = &target
	}
	b, _ := json.Marshal(j)
	l.print(string(b))
}
