package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// side is one implementation under test: both daemons of a pair run its binary.
type side struct {
	name string // "ours" or "reference"
	bin  string
	ours bool
}

// metricDef declares one row of the report.
type metricDef struct {
	key, label, unit string
	higher           bool
	n                int // held connections, for the chart
}

// scenario is one measurement of one side: it starts its own service and
// daemon pair, loads them, stops them, and returns a sample per metric.
type scenario struct {
	name    string
	metrics []metricDef
	run     func(s side) (map[string]sample, error)
}

// runner holds what every scenario needs.
type runner struct {
	cfg   config
	procs *procs
	key   string // key file path
	res   *results
	log   io.Writer
	// heldCap is, per side, the smallest held-connection count that hit the
	// time limit: larger counts would too, so they are not run again.
	heldCap map[string]int
}

// runAll runs every scenario for every side, alternating sides round by round.
func (r *runner) runAll(scs []scenario, sides []side) {
	for _, sc := range scs {
		for round := 1; round <= r.cfg.rounds; round++ {
			for _, s := range sides {
				start := time.Now()
				got, err := sc.run(s)
				if err != nil {
					r.res.note("%s, %s, round %d: %v", sc.name, s.name, round, err)
					fmt.Fprintf(r.log, "%-14s round %d %-9s FAILED: %v\n", sc.name, round, s.name, err)
					continue
				}
				var parts []string
				for _, d := range sc.metrics {
					if v, ok := got[d.key]; ok {
						v.Round = round
						r.res.add(d, s.ours, v)
						parts = append(parts, fmt.Sprintf("%s %s", v, d.unit))
					}
				}
				fmt.Fprintf(r.log, "%-14s round %d %-9s %s  (%.1fs)\n", sc.name, round, s.name,
					strings.Join(parts, ", "), time.Since(start).Seconds())
			}
		}
	}
}

// scenarios lists everything measured per side, in report order.
func (r *runner) scenarios() []scenario {
	scs := []scenario{
		r.bulk("bulk-1", "1 stream", 1),
		r.bulk("bulk-8", "8 streams", 8),
		r.connRate("connect", "", nil),
		r.connRate("connect-f", ", -f", []string{"-f"}),
		r.latency(),
		underHog(r.connRate("connect", "", nil)),
		underHog(r.connRate("connect-f", ", -f", []string{"-f"})),
		underHog(r.latency()),
	}
	for _, n := range r.cfg.held {
		scs = append(scs, r.held(n))
	}
	return scs
}

// withPair runs f against a fresh pair of s's daemons in front of svc, and
// fails if a daemon died on the way.
func (r *runner) withPair(s side, svc *service, extra []string, f func(pr *pair) error) error {
	defer svc.close()
	if s.ours && len(r.cfg.oursArgs) > 0 {
		extra = append(append([]string{}, extra...), r.cfg.oursArgs...)
	}
	pr, err := startPair(r.procs, s.bin, r.key, svc.addr(), extra, extra)
	if err != nil {
		return err
	}
	err = f(pr)
	if err == nil {
		err = pr.alive()
	} else if dead := pr.alive(); dead != nil {
		// A daemon that died is the story, not the load's symptom of it.
		err = fmt.Errorf("%w (%v)", err, dead)
	} else {
		// A failure with both daemons up (a stalled connection): say where
		// the bytes sit and, for ours, what every goroutine was doing.
		err = fmt.Errorf("%w\n%s", err, pr.postmortem(svc.port(), s.ours))
	}
	if stopErr := pr.stop(); err == nil {
		err = stopErr
	}
	return err
}

// stallNote is the gap in a bulk transfer worth a note in the report.
const stallNote = 200 * time.Millisecond

func (r *runner) bulk(name, what string, streams int) scenario {
	mbps := metricDef{key: name + ".mbps", label: "bulk, " + what, unit: "MB/s", higher: true}
	enc := metricDef{key: name + ".enc", label: "bulk, " + what + ": CPU in -e", unit: "ns/B"}
	dec := metricDef{key: name + ".dec", label: "bulk, " + what + ": CPU in -d", unit: "ns/B"}
	warm := min(max(r.cfg.duration/10, 200*time.Millisecond), time.Second)
	return scenario{name: name, metrics: []metricDef{mbps, enc, dec}, run: func(s side) (map[string]sample, error) {
		sink, err := newSink(r.cfg.duration + time.Minute)
		if err != nil {
			return nil, err
		}
		var b bulkResult
		err = r.withPair(s, sink, nil, func(pr *pair) (err error) {
			b, err = runBulk(pr, sink, streams, warm, r.cfg.duration)
			return err
		})
		if err == nil && b.stall >= stallNote {
			r.res.note("%s, %s: no data reached the sink for %v in a row", name, s.name, b.stall.Round(time.Millisecond))
		}
		return map[string]sample{mbps.key: {V: b.mbps}, enc.key: {V: b.encNs}, dec.key: {V: b.decNs}}, err
	}}
}

func (r *runner) connRate(name, what string, extra []string) scenario {
	const clients = 8
	rate := metricDef{key: name + ".rate", label: fmt.Sprintf("new connections, %d clients%s", clients, what), unit: "conn/s", higher: true}
	enc := metricDef{key: name + ".enc", label: "new connections" + what + ": CPU in -e", unit: "µs/conn"}
	dec := metricDef{key: name + ".dec", label: "new connections" + what + ": CPU in -d", unit: "µs/conn"}
	return scenario{name: name, metrics: []metricDef{rate, enc, dec}, run: func(s side) (map[string]sample, error) {
		echo, err := newEcho(r.cfg.duration + time.Minute)
		if err != nil {
			return nil, err
		}
		out := map[string]sample{}
		err = r.withPair(s, echo, extra, func(pr *pair) error {
			if err := warmUp(pr.addr, clients, r.cfg.warm); err != nil {
				return err
			}
			e0, err1 := cpuTicks(pr.enc.pid())
			d0, err2 := cpuTicks(pr.dec.pid())
			c := runConnRate(pr.addr, clients, r.cfg.duration)
			e1, err3 := cpuTicks(pr.enc.pid())
			d1, err4 := cpuTicks(pr.dec.pid())
			if err := firstErr(err1, err2, err3, err4); err != nil {
				return err
			}
			if c.ok == 0 {
				return fmt.Errorf("no connection completed: %v", c.firstErr)
			}
			if c.failed > 0 {
				r.res.note("%s, %s: %d of %d connections failed, first: %v", name, s.name, c.failed, c.ok+c.failed, c.firstErr)
			}
			usPerTick := float64(time.Second/time.Microsecond) / clockTicks
			out[rate.key] = sample{V: c.rate()}
			out[enc.key] = sample{V: float64(e1-e0) * usPerTick / float64(c.ok)}
			out[dec.key] = sample{V: float64(d1-d0) * usPerTick / float64(c.ok)}
			return nil
		})
		return out, err
	}}
}

func (r *runner) latency() scenario {
	sizes := []struct {
		name string
		size int
	}{{"64 B", 64}, {"16 KiB", 16 << 10}}
	var defs []metricDef
	for _, sz := range sizes {
		for _, q := range []string{"median", "p99"} {
			defs = append(defs, metricDef{key: fmt.Sprintf("latency%d.%s", sz.size, q),
				label: fmt.Sprintf("request/response %s, %s", sz.name, q), unit: "µs"})
		}
	}
	const limit = 30 * time.Second
	return scenario{name: "latency", metrics: defs, run: func(s side) (map[string]sample, error) {
		echo, err := newEcho(2*limit + time.Minute)
		if err != nil {
			return nil, err
		}
		out := map[string]sample{}
		err = r.withPair(s, echo, nil, func(pr *pair) error {
			for _, sz := range sizes {
				t, err := runLatency(pr.addr, sz.size, r.cfg.iters, limit)
				if err != nil {
					return fmt.Errorf("%s: %w", sz.name, err)
				}
				us := func(d time.Duration) sample { return sample{V: float64(d) / float64(time.Microsecond)} }
				out[fmt.Sprintf("latency%d.median", sz.size)] = us(percentile(t, 0.5))
				out[fmt.Sprintf("latency%d.p99", sz.size)] = us(percentile(t, 0.99))
			}
			return nil
		})
		return out, err
	}}
}

func (r *runner) held(n int) scenario {
	name := fmt.Sprintf("held-%d", n)
	open := metricDef{key: name + ".open", label: fmt.Sprintf("open %d held connections", n), unit: "s", n: n}
	enc := metricDef{key: name + ".enc", label: fmt.Sprintf("%d held: memory in -e", n), unit: "KiB/conn", n: n}
	dec := metricDef{key: name + ".dec", label: fmt.Sprintf("%d held: memory in -d", n), unit: "KiB/conn", n: n}
	limit := r.cfg.heldTimeout
	return scenario{name: name, metrics: []metricDef{open, enc, dec}, run: func(s side) (map[string]sample, error) {
		if c := r.heldCap[s.name]; c != 0 && n >= c {
			// Known to exceed the limit: record the bound without spending it again.
			return map[string]sample{open.key: {V: limit.Seconds(), Over: true}}, nil
		}
		echo, err := newEcho(limit + time.Minute)
		if err != nil {
			return nil, err
		}
		out := map[string]sample{}
		err = r.withPair(s, echo, nil, func(pr *pair) error {
			e0, err1 := rssKB(pr.enc.pid())
			d0, err2 := rssKB(pr.dec.pid())
			h, err := openHeld(pr.addr, n, limit)
			defer closeAll(h.conns)
			if err != nil {
				return err
			}
			e1, err3 := rssKB(pr.enc.pid())
			d1, err4 := rssKB(pr.dec.pid())
			if err := firstErr(err1, err2, err3, err4); err != nil {
				return err
			}
			out[open.key] = sample{V: h.elapsed.Seconds()}
			if h.timedOut {
				r.heldCap[s.name] = n
				out[open.key] = sample{V: limit.Seconds(), Over: true}
				r.res.note("%s, %s: only %d of %d connections opened within %v (limit; later rounds and larger counts are not rerun)",
					name, s.name, len(h.conns), n, limit)
			}
			if k := len(h.conns); k > 0 {
				out[enc.key] = sample{V: float64(e1-e0) / float64(k)}
				out[dec.key] = sample{V: float64(d1-d0) / float64(k)}
			}
			return nil
		})
		return out, err
	}}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
