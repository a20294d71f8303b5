//go:build soak

package engine_test

// The soak: minutes of mixed traffic with random faults through our two
// binaries (plaintext client -> spiped -e -> spiped -d -> chaos target),
// then a check that descriptors, goroutines and heap return to their
// baseline. Run by scripts/soak.sh (make soak); SOAK_TIME sets the length
// (a Go duration or seconds, default 3m), SOAK_WORKERS the concurrency.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// chaosTarget serves each connection as its first byte says: 'E' echoes
// the rest; 'R' reads a be64 count, that many bytes, then resets; anything
// else is read to its end.
type chaosTarget struct {
	mu   sync.Mutex
	ln   net.Listener
	addr string
	wg   sync.WaitGroup
}

func (c *chaosTarget) up(t testing.TB) {
	ln, err := net.Listen("tcp4", c.addr)
	if err != nil {
		t.Fatalf("chaos target: %v", err)
	}
	c.mu.Lock()
	c.ln, c.addr = ln, ln.Addr().String()
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.serve(conn)
			}()
		}
	}()
}

func (c *chaosTarget) down() {
	c.mu.Lock()
	c.ln.Close()
	c.mu.Unlock()
}

func (c *chaosTarget) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	var mode [1]byte
	if _, err := io.ReadFull(conn, mode[:]); err != nil {
		return
	}
	switch mode[0] {
	case 'E':
		io.CopyBuffer(conn, struct{ io.Reader }{conn}, make([]byte, 32<<10))
		spipedtest.CloseWrite(conn)
		io.Copy(io.Discard, conn)
	case 'R':
		var n [8]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return
		}
		io.CopyN(io.Discard, conn, int64(binary.BigEndian.Uint64(n[:])))
		spipedtest.ResetClose(conn)
	default:
		io.Copy(io.Discard, conn)
	}
}

// soakStats counts what the soak did.
type soakStats struct {
	mu     sync.Mutex
	ops    map[string]int
	bytes  int64
	failed map[string]int
	errs   []string
}

func (s *soakStats) add(op string, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops[op]++
	s.bytes += int64(n)
	if err != nil {
		s.failed[op]++
		if len(s.errs) < 20 {
			s.errs = append(s.errs, op+": "+err.Error())
		}
	}
}

// probe is what a daemon looks like from outside.
type probe struct {
	fds, goroutines, open int
	heap, rss             int64
}

func (p probe) String() string {
	return fmt.Sprintf("fds %d, goroutines %d, open connections %d, heap %d KiB, RSS %d KiB",
		p.fds, p.goroutines, p.open, p.heap>>10, p.rss>>10)
}

// measure reads a binary daemon's descriptors and RSS from /proc and its
// goroutines, heap (after a forced GC) and open connections from --pprof.
func measure(t testing.TB, d *spipedtest.Daemon, pprofAddr string) probe {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) []byte {
		resp, err := hc.Get("http://" + pprofAddr + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	get("/debug/pprof/heap?gc=1") // forces a GC before the figures
	p := probe{fds: d.FDs(), rss: d.RSS()}
	first, _, _ := strings.Cut(string(get("/debug/pprof/goroutine?debug=1")), "\n")
	// "goroutine profile: total N"
	p.goroutines, _ = strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	var vars struct {
		Memstats struct{ HeapAlloc int64 }
		Engine   struct{ Open int }
	}
	if err := json.Unmarshal(get("/debug/vars"), &vars); err != nil {
		t.Fatalf("/debug/vars: %v", err)
	}
	p.heap, p.open = vars.Memstats.HeapAlloc, vars.Engine.Open
	return p
}

func soakDuration(t testing.TB) time.Duration {
	s := os.Getenv("SOAK_TIME")
	if s == "" {
		return 3 * time.Minute
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second))
	}
	t.Fatalf("SOAK_TIME=%q: want a duration (3m) or seconds", s)
	return 0
}

func TestSoak(t *testing.T) {
	seed := spipedtest.Seed(t)
	length := soakDuration(t)
	workers := spipedtest.EnvInt("SOAK_WORKERS", 16)
	keyPath, key := spipedtest.KeyFile(t, []byte("soak key"))
	target := &chaosTarget{addr: "127.0.0.1:0"}
	target.up(t)
	targetSpec := "[" + strings.Replace(target.addr, ":", "]:", 1)
	pprofD, pprofE := spipedtest.DialAddr(spipedtest.FreeSpec(t)), spipedtest.DialAddr(spipedtest.FreeSpec(t))
	bin := spipedtest.OurBinary(t)
	startWithPprof := func(o spipedtest.Opts, pp string) *spipedtest.Daemon {
		o.Extra = []string{"--pprof", pp}
		return spipedtest.StartProcess(t, "binary", bin, o)
	}
	d := startWithPprof(spipedtest.Opts{Target: targetSpec, KeyPath: keyPath, Key: key, MaxConns: 0, Timeout: 2 * time.Second}, pprofD)
	e := startWithPprof(spipedtest.Opts{Encrypt: true, Target: d.Spec, KeyPath: keyPath, Key: key, MaxConns: 0, Timeout: 2 * time.Second}, pprofE)

	// Warm up, then the baseline.
	for range 20 {
		if err := echoMode(e.Addr(), spipedtest.RandBytes(spipedtest.NewRand(seed, "warm"), 100<<10), 0, nil); err != nil {
			t.Fatalf("warm-up: %v", err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	baseD, baseE := measure(t, d, pprofD), measure(t, e, pprofE)
	t.Logf("baseline -d: %v", baseD)
	t.Logf("baseline -e: %v", baseE)

	st := &soakStats{ops: map[string]int{}, failed: map[string]int{}}
	var targetGate sync.RWMutex // held for writing while the target is down
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var outages atomic.Int32
	// The target goes away for a second every 20 s; connections made then
	// must fail cleanly (end within 5 s with nothing echoed).
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			targetGate.Lock()
			target.down()
			outages.Add(1)
			for range 5 {
				c, err := net.Dial("tcp4", e.Addr())
				if err != nil {
					st.add("target-down-connect", 0, err)
					continue
				}
				c.Write([]byte("Ehello"))
				got, ended := spipedtest.Drain(c, 5*time.Second)
				c.Close()
				var err2 error
				if !ended || len(got) != 0 {
					err2 = fmt.Errorf("with the target down: got %d bytes, ended %v", len(got), ended)
				}
				st.add("target-down-connect", 0, err2)
			}
			target.up(t)
			targetGate.Unlock()
		}
	}()
	deadline := time.Now().Add(length)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := spipedtest.NewRand(seed, fmt.Sprint("soak worker ", w))
			for time.Now().Before(deadline) {
				targetGate.RLock()
				op, n, err := soakOp(r, e, d, key, seed)
				targetGate.RUnlock()
				st.add(op, n, err)
			}
		}()
	}
	time.Sleep(time.Until(deadline))
	close(stop)
	wg.Wait()

	// Let the last connections drain, then compare with the baseline.
	var endD, endE probe
	for range 50 {
		time.Sleep(200 * time.Millisecond)
		endD, endE = measure(t, d, pprofD), measure(t, e, pprofE)
		if endD.fds <= baseD.fds && endE.fds <= baseE.fds && endD.open == 0 && endE.open == 0 &&
			endD.goroutines <= baseD.goroutines && endE.goroutines <= baseE.goroutines {
			break
		}
	}
	t.Logf("end -d: %v", endD)
	t.Logf("end -e: %v", endE)

	var names []string
	for k := range st.ops {
		names = append(names, k)
	}
	sort.Strings(names)
	var sum strings.Builder
	fmt.Fprintf(&sum, "SOAK %v, %d workers, seed %d: %d bytes verified; target outages %d\n", length, workers, seed, st.bytes, outages.Load())
	for _, k := range names {
		fmt.Fprintf(&sum, "  %-22s %7d runs, %d failed\n", k, st.ops[k], st.failed[k])
	}
	t.Log("\n" + sum.String())
	for _, e := range st.errs {
		t.Error(e)
	}
	const heapSlack = 16 << 20
	for _, c := range []struct {
		name      string
		base, end probe
	}{{"-d", baseD, endD}, {"-e", baseE, endE}} {
		if c.end.fds > c.base.fds {
			t.Errorf("%s: %d descriptors after the soak, %d before", c.name, c.end.fds, c.base.fds)
		}
		if c.end.goroutines > c.base.goroutines {
			t.Errorf("%s: %d goroutines after the soak, %d before", c.name, c.end.goroutines, c.base.goroutines)
		}
		if c.end.open != 0 {
			t.Errorf("%s: %d connections still open", c.name, c.end.open)
		}
		if c.end.heap > c.base.heap+heapSlack {
			t.Errorf("%s: heap %d KiB after the soak, %d KiB before (slack %d KiB)", c.name, c.end.heap>>10, c.base.heap>>10, heapSlack>>10)
		}
	}
	for _, dd := range []*spipedtest.Daemon{d, e} {
		if !dd.Alive() {
			t.Errorf("a daemon died: %v\n%s", dd.ExitErr, dd.Stderr)
		}
	}
}

// echoMode sends 'E' + data and checks the echo.
func echoMode(addr string, data []byte, pattern int, r *rand.Rand) error {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		return err
	}
	c.Write([]byte{'E'})
	return echoConn(c, data, pattern, 32<<10, r, time.Minute)
}

// soakOp runs one randomly chosen operation; it returns its name, the
// bytes it verified and an error if the daemons misbehaved.
func soakOp(r *rand.Rand, e, d *spipedtest.Daemon, key []byte, seed uint64) (string, int, error) {
	switch x := r.IntN(100); {
	case x < 50:
		size := sizeMix(r, [3]int{10, 60, 90}, 4096, 256<<10, 256<<10+4<<20)
		data := spipedtest.RandBytes(r, size)
		return "echo", size, echoMode(e.Addr(), data, r.IntN(len(writePatterns)), r)
	case x < 60:
		// The client resets mid-stream.
		c, err := net.Dial("tcp4", e.Addr())
		if err != nil {
			return "client-reset", 0, err
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		c.Write(append([]byte{'E'}, spipedtest.RandBytes(r, 1+r.IntN(512<<10))...))
		io.ReadFull(c, make([]byte, r.IntN(4096)))
		spipedtest.ResetClose(c)
		return "client-reset", 0, nil
	case x < 70:
		// The target resets mid-stream: the client must see the end.
		c, err := net.Dial("tcp4", e.Addr())
		if err != nil {
			return "target-reset", 0, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		n := r.IntN(256 << 10)
		hdr := make([]byte, 9)
		hdr[0] = 'R'
		binary.BigEndian.PutUint64(hdr[1:], uint64(n))
		c.Write(hdr)
		go c.Write(spipedtest.RandBytes(r, n+r.IntN(64<<10)+1))
		if _, ended := spipedtest.Drain(c, 10*time.Second); !ended {
			return "target-reset", 0, fmt.Errorf("the client's connection did not end within 10 s of the target's reset")
		}
		return "target-reset", 0, nil
	case x < 78:
		// A silent client that gives up.
		c, err := net.Dial("tcp4", e.Addr())
		if err != nil {
			return "silent-client", 0, err
		}
		time.Sleep(time.Duration(r.IntN(1500)) * time.Millisecond)
		c.Close()
		return "silent-client", 0, nil
	case x < 86:
		// A forged packet straight at -d after an honest handshake.
		c, err := net.Dial("tcp4", d.Addr())
		if err != nil {
			return "forged-packet", 0, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		p := spipedtest.NewPeer(c, true, key, &spipedtest.LockedRand{R: rand.New(rand.NewPCG(r.Uint64(), seed))})
		if err := p.Handshake(r.IntN(2) == 0); err != nil {
			return "forged-packet", 0, err
		}
		pkt := p.SealNext([]byte("Eforged"))
		pkt[r.IntN(spipedtest.PacketSize)] ^= 1 << r.IntN(8)
		c.Write(pkt)
		if got, ended := spipedtest.Drain(c, 5*time.Second); !ended || len(got) != 0 {
			return "forged-packet", 0, fmt.Errorf("-d answered a forged packet with %d bytes (ended %v)", len(got), ended)
		}
		return "forged-packet", 0, nil
	case x < 92:
		// Garbage at -d.
		c, err := net.Dial("tcp4", d.Addr())
		if err != nil {
			return "garbage", 0, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go c.Write(spipedtest.RandBytes(r, 1+r.IntN(64<<10)))
		if _, ended := spipedtest.Drain(c, 5*time.Second); !ended {
			return "garbage", 0, fmt.Errorf("-d kept a garbage connection open for 5 s")
		}
		return "garbage", 0, nil
	default:
		// Half-close at once: an empty echo and a clean end.
		return "empty-echo", 0, echoMode(e.Addr(), nil, 0, r)
	}
}
