package engine_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// Early data: a client that acts while the daemon's connect to its target
// is still in progress. spiped -d runs the handshake in parallel with that
// connect, so its client may finish the handshake, send data, half-close or
// reset long before the connect completes; a daemon must hold all of that
// until it has the target's socket, and touch no descriptor but its own.

// slowHold is how long the slow targets here drop SYNs: the daemon's
// connect then completes at the first retransmission, about 1 s after it
// began.
const slowHold = 500 * time.Millisecond

// heldAtLeast is the least time a held connect takes (the retransmission is
// due after 1 s; Linux's initial RTO is exactly that).
const heldAtLeast = 700 * time.Millisecond

// slowReplier is a slow target whose connections a new replier answers.
func slowReplier(t testing.TB) (*replier, *spipedtest.SlowTarget) {
	rp := &replier{}
	return rp, spipedtest.StartSlowTarget(t, spipedtest.SlowTargetConfig{Handle: rp.handle})
}

// replier is a target that reads each connection to its end, records what
// arrived, how the stream ended and when the connection was accepted, then
// answers "got N bytes" and closes.
type replier struct {
	mu   sync.Mutex
	recs []replied
}

type replied struct {
	at   time.Time
	data []byte
	err  error // nil: a clean EOF
}

func (rp *replier) handle(c net.Conn) {
	defer c.Close()
	at := time.Now()
	c.SetDeadline(at.Add(20 * time.Second))
	data, err := io.ReadAll(c)
	if err == nil {
		fmt.Fprintf(c, "got %d bytes", len(data))
	}
	rp.mu.Lock()
	rp.recs = append(rp.recs, replied{at, data, err})
	rp.mu.Unlock()
}

// wait returns the records once there are n (or after within).
func (rp *replier) wait(n int, within time.Duration) []replied {
	deadline := time.Now().Add(within)
	for {
		rp.mu.Lock()
		recs := append([]replied(nil), rp.recs...)
		rp.mu.Unlock()
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// canary is a pipe holding a few bytes, handed to a daemon as its standard
// input with the write end kept open: a daemon that reads descriptor 0
// takes the bytes (and blocks on the empty pipe after them, where the read
// is blocking).
type canary struct {
	r, w *os.File
}

const canaryText = "STDIN-CANARY\n"

func newCanary(t testing.TB) *canary {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	c := &canary{r: os.NewFile(uintptr(p[0]), "canary r"), w: os.NewFile(uintptr(p[1]), "canary w")}
	t.Cleanup(func() { c.r.Close(); c.w.Close() })
	if _, err := c.w.Write([]byte(canaryText)); err != nil {
		t.Fatal(err)
	}
	return c
}

// take reads what the pipe holds without blocking, through a description
// of its own (opened by /proc/self/fd), so that no flag of the daemon's
// descriptor changes.
func (c *canary) take(t testing.TB) []byte {
	t.Helper()
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", c.r.Fd()), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("opening the canary pipe: %v", err)
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

// check fails t unless the canary's bytes are all still in the pipe, then
// puts them back for the next check.
func (c *canary) check(t testing.TB, who string) {
	t.Helper()
	if got := c.take(t); string(got) != canaryText {
		t.Errorf("%s: its standard input holds %q of the %q put there: it read descriptor 0", who, got, canaryText)
	}
	c.w.Write([]byte(canaryText))
}

// startWithCanary starts im with c as its standard input. The in-process
// engine's standard input is this process's descriptor 0, so for it c's
// read end is put there (non-blocking, so that an engine that reads it
// cannot freeze the test binary) until the end of t.
func startWithCanary(t testing.TB, im impl, o spipedtest.Opts, c *canary) *spipedtest.Daemon {
	t.Helper()
	if im.name != "engine" {
		o.Stdin = c.r
		return im.start(t, o)
	}
	saved, err := unix.FcntlInt(0, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		saved = -1 // descriptor 0 was closed
	}
	if err := unix.Dup2(int(c.r.Fd()), 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(0, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if saved >= 0 {
			unix.Dup2(saved, 0)
			unix.Close(saved)
		} else {
			unix.Close(0)
		}
	})
	return im.start(t, o)
}

// early is what one client of -d does after its handshake, while the
// daemon's connect to the target is held.
type early struct {
	name  string
	pause time.Duration // after the handshake
	msg   string        // then sent ("": nothing), then a half-close
	reset bool          // reset after the pause instead
}

// earlyPause lets the daemon finish its side of the handshake for certain:
// a client that sends at once may land while the daemon still computes its
// last exponentiation, which is a window of its own. 100 ms is still far
// inside the held connect.
const earlyPause = 100 * time.Millisecond

var (
	earlyData      = early{name: "data at once", msg: "hello"}
	earlyDataLater = early{name: "data after the handshake", pause: earlyPause, msg: "hello again"}
	earlyFIN       = early{name: "FIN alone", pause: earlyPause}
	earlyReset     = early{name: "reset", pause: earlyPause, reset: true}
)

type earlyResult struct {
	hsDone time.Time // zero if the handshake failed
	back   []byte
	err    error
}

// run plays e against the -d at addr.
func (e early) run(addr string, key []byte, rnd io.Reader) (res earlyResult) {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		res.err = err
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	p := spipedtest.NewPeer(c, true, key, rnd)
	if err := p.Handshake(false); err != nil {
		res.err = fmt.Errorf("handshake: %w", err)
		return
	}
	res.hsDone = time.Now()
	time.Sleep(e.pause)
	if e.reset {
		spipedtest.ResetClose(c)
		return
	}
	if e.msg != "" {
		if res.err = p.SendData([]byte(e.msg)); res.err != nil {
			return
		}
	}
	spipedtest.CloseWrite(c)
	res.back, res.err = p.ReadData()
	return
}

// runEarly holds st (the target of the -d d, answered by rp), plays the
// cases at once and checks that each delivered exactly its bytes and its
// EOF once the connect completed, and got the target's answer.
func runEarly(t *testing.T, d *spipedtest.Daemon, st *spipedtest.SlowTarget, rp *replier, key []byte, seed uint64, cases ...early) {
	t.Helper()
	from := len(rp.wait(0, 0))
	spipedtest.HoldFor(t, st, slowHold)
	start := time.Now()
	results := make([]earlyResult, len(cases))
	var wg sync.WaitGroup
	for i, e := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run(d.Addr(), key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, "early "+e.name)})
		}()
	}
	wg.Wait()
	want := 0
	for i, e := range cases {
		res := results[i]
		if res.hsDone.IsZero() {
			t.Errorf("%s, %s: %v", d.Name, e.name, res.err)
			continue
		}
		if e.reset {
			continue
		}
		want++
		if reply := fmt.Sprintf("got %d bytes", len(e.msg)); res.err != nil || string(res.back) != reply {
			t.Errorf("%s, %s: the client got %q, %v; want the target's %q and a clean EOF", d.Name, e.name, res.back, res.err, reply)
		}
	}
	recs := rp.wait(from+want, 5*time.Second)[from:]
	for i, e := range cases {
		if e.reset || results[i].hsDone.IsZero() {
			continue
		}
		var match []replied
		for _, r := range recs {
			if string(r.data) == e.msg && r.err == nil {
				match = append(match, r)
			}
		}
		if len(match) == 0 || (e.msg != "" && len(match) > 1) {
			t.Errorf("%s, %s: %d target connections received exactly %q and a clean EOF; want one", d.Name, e.name, len(match), e.msg)
			continue
		}
		// The premise: the client acted while the connect was held.
		r := match[0]
		if r.at.Sub(start) < heldAtLeast || !results[i].hsDone.Add(e.pause).Before(r.at) {
			t.Errorf("%s, %s: handshake done after %v, target connection accepted after %v: the connect was not held while the client acted",
				d.Name, e.name, results[i].hsDone.Sub(start), r.at.Sub(start))
		}
	}
	for _, r := range recs {
		ok := false
		for _, e := range cases {
			ok = ok || string(r.data) == e.msg
		}
		if !ok {
			t.Errorf("%s: a target connection received %q, which no client sent", d.Name, clip(r.data))
		}
	}
}

// honestAfter runs one connection through the -d d with no hold.
func honestAfter(t *testing.T, d *spipedtest.Daemon, key []byte, seed uint64) {
	t.Helper()
	res := early{name: "honest", msg: "ping"}.run(d.Addr(), key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, "honest after")})
	if res.err != nil || string(res.back) != "got 4 bytes" {
		t.Errorf("%s: an ordinary connection afterwards got %q, %v; want \"got 4 bytes\"", d.Name, res.back, res.err)
	}
}

// A plaintext client of -e sends data the moment it connects, while -e's
// connect to the -d (behind a slow target) is in progress, and half-closes:
// after the connect and the handshake, the data reaches the target intact,
// then EOF, and the answer comes back.
func TestTimingEarlyDataEncrypt(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp, target := slowReplier(t) // never held
			keyPath, key := spipedtest.KeyFile(t, []byte("early data key"))
			d := im.start(t, spipedtest.Opts{Target: spipedtest.SpecOfAddr(target.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1})
			st := spipedtest.StartSlowTarget(t, spipedtest.SlowTargetConfig{Upstream: d.Addr()})
			cn := newCanary(t)
			e := startWithCanary(t, im, spipedtest.Opts{Encrypt: true, Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1}, cn)
			spipedtest.HoldFor(t, st, slowHold)
			data := append([]byte("hello"), make([]byte, 64<<10)...)
			spipedtest.FillRandom(seed, "early -e", data[5:])
			start := time.Now()
			c, err := net.Dial("tcp4", e.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(data); err != nil {
				t.Fatal(err)
			}
			spipedtest.CloseWrite(c)
			back, err := io.ReadAll(c)
			want := fmt.Sprintf("got %d bytes", len(data))
			if err != nil || string(back) != want {
				t.Errorf("%s: the client got %q, %v; want %q and a clean EOF", e.Name, back, err, want)
			}
			recs := rp.wait(1, 5*time.Second)
			if len(recs) != 1 {
				t.Fatalf("%s: the target accepted %d connections; want 1", e.Name, len(recs))
			}
			r := recs[0]
			if !bytes.Equal(r.data, data) || r.err != nil {
				t.Errorf("%s: the target received %d bytes (intact %v, end: %v); want the %d sent and a clean EOF",
					e.Name, len(r.data), bytes.Equal(r.data, data), r.err, len(data))
			}
			t.Logf("target connection accepted %v after the client sent", r.at.Sub(start).Round(time.Millisecond))
			if r.at.Sub(start) < heldAtLeast {
				t.Errorf("-e's connect was not held: the test proved nothing")
			}
			cn.check(t, e.Name)
		})
	}
}

// Clients of -d act while the daemon's connect to its target is still in
// progress: they send data right after the handshake (at once, and once the
// daemon's side is surely done) and half-close, half-close alone, or reset.
// Once the connect completes the target receives exactly their bytes and
// EOF, and its answer comes back. Meanwhile the daemon's standard input is
// an open pipe holding a few bytes, its write end kept open by the test:
// after these clients and an ordinary connection, the bytes are all still
// in the pipe, the daemon still serves, and its descriptors are back to
// their baseline.
func TestTimingEarlyDataDecrypt(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp, st := slowReplier(t)
			keyPath, key := spipedtest.KeyFile(t, []byte("stdin key"))
			cn := newCanary(t)
			d := startWithCanary(t, im, spipedtest.Opts{Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1}, cn)
			honestAfter(t, d, key, seed) // warm-up
			base := spipedtest.SettleFDs(d)
			runEarly(t, d, st, rp, key, seed, earlyData, earlyDataLater, earlyFIN, earlyReset)
			cn.check(t, d.Name)
			honestAfter(t, d, key, seed)
			cn.check(t, d.Name)
			spipedtest.WaitFDs(t, d, base)
		})
	}
}
