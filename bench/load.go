package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// opTimeout bounds every single dial, write and read of the load generators.
const opTimeout = 5 * time.Second

// bulkResult is one bulk run: throughput at the sink and each daemon's CPU
// time per byte moved, over the same window.
type bulkResult struct {
	mbps         float64
	encNs, decNs float64       // CPU ns per byte
	stall        time.Duration // longest time in the window with no byte at the sink
}

// snapshot is what the harness reads at each edge of a measuring window.
type snapshot struct {
	at                 time.Time
	bytes              int64
	encTicks, decTicks uint64
}

func snap(pr *pair, sink *service) (snapshot, error) {
	e, err1 := cpuTicks(pr.enc.pid())
	d, err2 := cpuTicks(pr.dec.pid())
	return snapshot{at: time.Now(), bytes: sink.bytes.Load(), encTicks: e, decTicks: d}, errors.Join(err1, err2)
}

// runBulk pushes data through the pair on `streams` connections as fast as
// they take it; after warm-up it measures for dur what reaches the sink.
func runBulk(pr *pair, sink *service, streams int, warm, dur time.Duration) (bulkResult, error) {
	hardStop := time.Now().Add(opTimeout + warm + dur + opTimeout)
	conns := make([]net.Conn, 0, streams)
	var stop atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan error, streams)
	defer func() {
		stop.Store(true)
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	buf := make([]byte, 64<<10)
	for i := 0; i < streams; i++ {
		c, err := net.DialTimeout("tcp4", pr.addr, opTimeout)
		if err != nil {
			return bulkResult{}, err
		}
		_ = c.SetDeadline(hardStop)
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := c.Write(buf); err != nil {
					if !stop.Load() {
						errc <- err
					}
					return
				}
			}
		}()
	}
	if !waitUntil(opTimeout, func() bool { return sink.bytes.Load() > 0 }) {
		return bulkResult{}, errors.New("no data reached the sink")
	}
	time.Sleep(warm)
	a, err := snap(pr, sink)
	if err != nil {
		return bulkResult{}, err
	}
	stall := watchProgress(sink, dur)
	b, err := snap(pr, sink)
	if err != nil {
		return bulkResult{}, err
	}
	select {
	case err := <-errc:
		return bulkResult{}, fmt.Errorf("load stream: %w", err)
	default:
	}
	n := b.bytes - a.bytes
	if n <= 0 {
		return bulkResult{}, errors.New("no data moved in the window")
	}
	w := b.at.Sub(a.at)
	nsPerTick := float64(time.Second) / clockTicks
	return bulkResult{
		mbps:  float64(n) / w.Seconds() / 1e6,
		encNs: float64(b.encTicks-a.encTicks) * nsPerTick / float64(n),
		decNs: float64(b.decTicks-a.decTicks) * nsPerTick / float64(n),
		stall: stall,
	}, nil
}

// watchProgress waits dur while watching the sink, and returns the longest
// stretch in which no byte arrived: a stalled pipe shows as low throughput
// with idle daemons, which this tells apart from slowness.
func watchProgress(sink *service, dur time.Duration) time.Duration {
	const tick = 20 * time.Millisecond
	end := time.Now().Add(dur)
	last, lastAt := sink.bytes.Load(), time.Now()
	var longest time.Duration
	for now := time.Now(); now.Before(end); now = time.Now() {
		time.Sleep(min(tick, end.Sub(now)))
		if n := sink.bytes.Load(); n != last {
			last, lastAt = n, time.Now()
		}
		longest = max(longest, time.Since(lastAt))
	}
	return longest
}

// waitUntil polls cond every millisecond for at most limit.
func waitUntil(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// connRateResult counts complete connections (connect, 1 byte there and
// back, close) over a run.
type connRateResult struct {
	ok, failed int64
	elapsed    time.Duration
	firstErr   error
}

func (r connRateResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// runConnRate has `workers` clients open connections one after another for dur.
func runConnRate(addr string, workers int, dur time.Duration) connRateResult {
	var ok, failed atomic.Int64
	var once sync.Once
	var firstErr error
	start := time.Now()
	stopAt := start.Add(dur)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stopAt); i++ {
				if err := pingOnce(addr, byte(i)); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return connRateResult{ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(start), firstErr: firstErr}
}

// warmUp runs the connection load for d, unmeasured (nothing when d is 0),
// and fails only if no connection completed: the measured run says the rest.
func warmUp(addr string, workers int, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if w := runConnRate(addr, workers, d); w.ok == 0 {
		return fmt.Errorf("warm-up: no connection completed: %v", w.firstErr)
	}
	return nil
}

// pingOnce is one short connection: connect, send b, expect b back, close.
func pingOnce(addr string, b byte) error {
	c, err := net.DialTimeout("tcp4", addr, opTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	return ping(c, b, time.Now().Add(opTimeout))
}

// ping sends b and expects it back before deadline.
func ping(c net.Conn, b byte, deadline time.Time) error {
	_ = c.SetDeadline(deadline)
	if _, err := c.Write([]byte{b}); err != nil {
		return err
	}
	var got [1]byte
	if _, err := io.ReadFull(c, got[:]); err != nil {
		return err
	}
	if got[0] != b {
		return fmt.Errorf("echo returned %#x, sent %#x", got[0], b)
	}
	return nil
}

// runLatency times `iters` request/response round trips of `size` bytes on
// one connection (after a short warm-up), within limit.
func runLatency(addr string, size, iters int, limit time.Duration) ([]time.Duration, error) {
	c, err := net.DialTimeout("tcp4", addr, opTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	deadline := time.Now().Add(limit)
	_ = c.SetDeadline(deadline)
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	got := make([]byte, size)
	const warm = 20
	times := make([]time.Duration, 0, iters)
	for i := 0; i < warm+iters && time.Now().Before(deadline); i++ {
		msg[0] = byte(i) // every answer differs from the one before
		t := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(c, got); err != nil {
			return nil, err
		}
		d := time.Since(t)
		if !bytes.Equal(got, msg) {
			return nil, errors.New("echo returned different bytes")
		}
		if i >= warm {
			times = append(times, d)
		}
	}
	if len(times) < iters/2 {
		return nil, fmt.Errorf("only %d of %d round trips within %v", len(times), iters, limit)
	}
	slices.Sort(times)
	return times, nil
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// heldResult is one run of opening connections and keeping them.
type heldResult struct {
	conns    []net.Conn
	elapsed  time.Duration
	timedOut bool
}

// openHeld opens n connections one after another, each complete through the
// pair (a byte there and back), and keeps them open; it stops at limit.
func openHeld(addr string, n int, limit time.Duration) (heldResult, error) {
	start := time.Now()
	deadline := start.Add(limit)
	r := heldResult{conns: make([]net.Conn, 0, n)}
	d := net.Dialer{Deadline: deadline, Timeout: opTimeout}
	for len(r.conns) < n {
		n0 := len(r.conns)
		c, err := d.Dial("tcp4", addr)
		if err == nil {
			r.conns = append(r.conns, c)
			err = ping(c, byte(len(r.conns)), earliest(deadline, time.Now().Add(opTimeout)))
			_ = c.SetDeadline(time.Time{})
		}
		if err != nil {
			r.elapsed = time.Since(start)
			if time.Now().After(deadline) {
				r.timedOut = true
				return r, nil
			}
			return r, fmt.Errorf("connection %d: %w", n0+1, err)
		}
	}
	r.elapsed = time.Since(start)
	return r, nil
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
