package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profileOurs runs one bulk transfer through our daemons started with
// --pprof on loopback, and saves each daemon's CPU profile over the
// measuring window: -e's into cfg.profile, -d's next to it with "-d" added
// to the name (cpu.pprof, cpu-d.pprof).
func (r *runner) profileOurs() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "bench: profile:", err); return 1 }
	ports := make([]int, 2)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return fail(err)
		}
		ports[i] = p
	}
	encDbg, decDbg := loopback(ports[0]), loopback(ports[1])
	sink, err := newSink(r.cfg.duration + time.Minute)
	if err != nil {
		return fail(err)
	}
	defer sink.close()
	pr, err := startPair(r.procs, r.cfg.ours, r.key, sink.addr(),
		append([]string{"--pprof", encDbg}, r.cfg.oursArgs...), append([]string{"--pprof", decDbg}, r.cfg.oursArgs...))
	if err != nil {
		return fail(err)
	}
	defer pr.stop()

	outs := []string{r.cfg.profile, twin(r.cfg.profile, "-d")}
	secs := int(r.cfg.duration.Seconds() + 0.5)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, dbg := range []string{encDbg, decDbg} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", dbg, secs), outs[i],
				time.Duration(secs)*time.Second+30*time.Second)
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the profilers start before the load
	b, err := runBulk(pr, sink, r.cfg.profileN, 200*time.Millisecond, time.Duration(secs)*time.Second)
	wg.Wait()
	if err != nil {
		return fail(err)
	}
	if err := firstErr(errs...); err != nil {
		return fail(err)
	}
	fmt.Printf("bulk, %d stream(s), profiled: %.0f MB/s, CPU -e %.2f ns/B, -d %.2f ns/B\n", r.cfg.profileN, b.mbps, b.encNs, b.decNs)
	fmt.Printf("profiles: %s (-e), %s (-d)\n  go tool pprof -top %s\n", outs[0], outs[1], outs[0])
	return 0
}

// twin inserts suffix before path's extension: cpu.pprof -> cpu-d.pprof.
func twin(path, suffix string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + suffix + ext
}

func fetchProfile(url, path string, limit time.Duration) error {
	c := http.Client{Timeout: limit}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
