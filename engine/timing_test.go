package engine_test

// Tests under real network timing. On loopback every connect completes at
// once and every byte arrives in microseconds, so a daemon is never caught
// between two events that a real network puts far apart. Here relays
// (internal/spipedtest) hold every chunk for 25 ms each way between the
// daemons and their peers, and a slow-connect target leaves a daemon's
// connect in progress for about a second while its client is already
// talking. Each test runs against ours in-process, ours as the built
// binary and the reference.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// relayDelay is the one-way delay of every relay here: a 50 ms round trip
// per hop, so client -> -e -> relay -> -d -> relay -> target has 100 ms.
const relayDelay = 25 * time.Millisecond

// ownProcessParallel lets the subtest of a daemon that runs in a process
// of its own (our binary, the reference) run alongside the others: its
// descriptors are counted in that process. The in-process engine's are
// this process's, shared with every relay and target here, so it runs alone
// (before the parallel subtests start).
func ownProcessParallel(t *testing.T, im impl) {
	if im.name != "engine" {
		t.Parallel()
	}
}

// relayedTunnel is client -> e -> toD (relay) -> d -> toTarget (relay) -> target.
type relayedTunnel struct {
	e, d          *spipedtest.Daemon
	toD, toTarget *spipedtest.Relay
	keyPath       string
	key           []byte
}

func startRelayedTunnel(t testing.TB, im impl, target string, o spipedtest.Opts) *relayedTunnel {
	t.Helper()
	keyPath, key := spipedtest.KeyFile(t, []byte("timing tests' shared key"))
	o.KeyPath, o.Key = keyPath, key
	tn := &relayedTunnel{keyPath: keyPath, key: key}
	tn.toTarget = spipedtest.StartRelay(t, spipedtest.DialAddr(target), relayDelay)
	od := o
	od.Encrypt, od.Target = false, spipedtest.SpecOfAddr(tn.toTarget.Addr())
	tn.d = im.start(t, od)
	tn.toD = spipedtest.StartRelay(t, tn.d.Addr(), relayDelay)
	oe := o
	oe.Encrypt, oe.Target = true, spipedtest.SpecOfAddr(tn.toD.Addr())
	tn.e = im.start(t, oe)
	return tn
}

// through opens a client connection to -e and returns it with the target's
// side of the same connection.
func (tn *relayedTunnel) through(t *testing.T, tl *spipedtest.HostileServer) (c, tc net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp4", tn.e.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tc = tl.Next(t)
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	return c, tc
}

// exchange writes msg to c and checks that the same bytes come back.
func exchange(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo of %q: got %q, %v", msg, buf, err)
	}
}

// echoBack copies tc back to itself until EOF, then half-closes it.
func echoBack(tc net.Conn) {
	io.Copy(tc, tc)
	spipedtest.CloseWrite(tc)
}

// The whole tunnel with 25 ms on each encrypted hop and on the target hop:
// small messages and a bulk transfer come back intact, a half-close lets
// the target answer after the client's EOF, and a reset from the client
// ends the target's connection and leaves no descriptor behind.
func TestTimingRelayedTunnel(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			tl := spipedtest.NewHostileServer(t)
			tn := startRelayedTunnel(t, im, tl.Spec(), spipedtest.Opts{MaxConns: -1})
			// Warm up, then take the baselines.
			c, tc := tn.through(t, tl)
			go echoBack(tc)
			exchange(t, c, "warm-up")
			spipedtest.CloseWrite(c)
			if got, ended := spipedtest.Drain(c, 10*time.Second); len(got) != 0 || !ended {
				t.Fatalf("warm-up: %q after the echo, ended %v", got, ended)
			}
			baseE, baseD := spipedtest.SettleFDs(tn.e), spipedtest.SettleFDs(tn.d)

			t.Run("echo", func(t *testing.T) {
				c, tc := tn.through(t, tl)
				go echoBack(tc)
				for i := range 5 {
					start := time.Now()
					exchange(t, c, fmt.Sprintf("message %d through two slow hops", i))
					// Four relay legs of 25 ms: the bytes really
					// went through the relays.
					if rtt := time.Since(start); rtt < 4*relayDelay {
						t.Errorf("round trip %d took %v; the relays alone hold %v", i, rtt, 4*relayDelay)
					}
				}
				spipedtest.CloseWrite(c)
				if got, ended := spipedtest.Drain(c, 10*time.Second); len(got) != 0 || !ended {
					t.Errorf("after the echoes: %q more, ended %v; want a clean EOF", got, ended)
				}
			})

			t.Run("bulk", func(t *testing.T) {
				c, tc := tn.through(t, tl)
				go echoBack(tc)
				data := make([]byte, spipedtest.EnvInt("SPIPED_TIMING_BULK", 4<<20))
				spipedtest.FillRandom(seed, "timing bulk "+im.name, data)
				start := time.Now()
				if err := echoConn(c, data, 2, 32<<10, spipedtest.NewRand(seed, "timing bulk pattern"), 30*time.Second); err != nil {
					t.Fatal(err)
				}
				t.Logf("%d bytes echoed through two 25 ms hops in %v", len(data), time.Since(start).Round(time.Millisecond))
			})

			t.Run("half-close", func(t *testing.T) {
				c, tc := tn.through(t, tl)
				answered := make(chan error, 1)
				go func() {
					got, err := io.ReadAll(tc)
					if err != nil {
						answered <- err
						return
					}
					s := sha256.Sum256(got)
					_, err = fmt.Fprintf(tc, "target read %d bytes, sha256 %x", len(got), s[:8])
					spipedtest.CloseWrite(tc)
					answered <- err
				}()
				data := bytes.Repeat([]byte("half-close "), 20000)
				if _, err := c.Write(data); err != nil {
					t.Fatal(err)
				}
				spipedtest.CloseWrite(c)
				back, err := io.ReadAll(c)
				s := sha256.Sum256(data)
				want := fmt.Sprintf("target read %d bytes, sha256 %x", len(data), s[:8])
				if err != nil || string(back) != want {
					t.Errorf("after the client's half-close: %q, %v; want %q then EOF", back, err, want)
				}
				if err := <-answered; err != nil {
					t.Errorf("target: %v", err)
				}
			})

			t.Run("reset", func(t *testing.T) {
				c, tc := tn.through(t, tl)
				go c.Write(make([]byte, 1<<20))
				if _, err := io.ReadFull(tc, make([]byte, 64<<10)); err != nil {
					t.Fatalf("target read before the reset: %v", err)
				}
				start := time.Now()
				spipedtest.ResetClose(c)
				if _, ended := spipedtest.Drain(tc, 10*time.Second); !ended {
					t.Fatal("the target's connection did not end within 10 s of the client's reset")
				}
				t.Logf("the target's connection ended %v after the client's reset", time.Since(start).Round(time.Millisecond))
				tc.Close()
				spipedtest.WaitFDs(t, tn.e, baseE)
				spipedtest.WaitFDs(t, tn.d, baseD)
			})
		})
	}
}

// SIGTERM with a transfer in flight through relayed binaries: the transfer
// completes intact and both daemons exit 0.
func TestTimingRelayedSIGTERM(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		if im.name == "engine" {
			continue // a signal needs a process of its own
		}
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			echo := spipedtest.NewEcho(t, "")
			tn := startRelayedTunnel(t, im, echo.Spec(), spipedtest.Opts{MaxConns: -1})
			size := spipedtest.EnvInt("SPIPED_TIMING_SIGTERM_BYTES", 8<<20)
			sigtermMidTransfer(t, tn.e, tn.d, size, seed, "timing sigterm", nil)
		})
	}
}

// A representative part of the hostile suite with a relay (25 ms each way)
// between the hostile peer and the daemon: data-phase forgeries, a
// truncated packet and handshake attacks must fail the same way when every
// byte of theirs arrives a round trip later than on loopback.
func TestTimingHostileRelayed(t *testing.T) {
	seed := spipedtest.Seed(t)
	picked := map[string]bool{
		"flip-byte-0-bit-0": true, "flip-byte-1027-bit-3": true, "flip-byte-1059-bit-3": true,
		"replayed": true, "reordered": true, "length-0": true, "garbage-200KB": true,
	}
	var attacks []dataAttack
	for _, a := range dataAttacks(seed) {
		if picked[a.name] {
			attacks = append(attacks, a)
		}
	}
	if len(attacks) != len(picked) {
		t.Fatalf("found %d of the %d picked data attacks: were they renamed?", len(attacks), len(picked))
	}
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				ownProcessParallel(t, im)
				r := newRig(t, im, enc, rigOpts{maxConns: -1, relay: relayDelay}, seed)
				for _, a := range attacks {
					s := r.open()
					if err := s.p.Handshake(false); err != nil {
						t.Fatalf("%s: handshake: %v", a.name, err)
					}
					s.genuine("G0")
					a.run(s)
					s.expectOnly(a.name)
					if t.Failed() {
						return
					}
				}
				// A packet cut short by EOF: the genuine packets
				// before it arrive, then a clean EOF.
				s := r.open()
				if err := s.p.Handshake(false); err != nil {
					t.Fatal(err)
				}
				s.genuine("G0")
				s.write(s.p.SealNext([]byte("TRUNCATED"))[:700])
				spipedtest.CloseWrite(s.p.Conn)
				if enc {
					spipedtest.CloseWrite(s.plain)
				}
				if got, clean := s.finish(); !bytes.Equal(got, s.sent) || !clean {
					t.Errorf("truncated packet: plaintext side got %q (clean EOF %v); want %q then a clean EOF", got, clean, s.sent)
				}
				// Handshake attacks.
				s = r.open()
				attackDH(s, func(p *spipedtest.Peer) []byte {
					m := spipedtest.DHMessage(p.GenY(false), p.OurMACKey())
					m[spipedtest.DHLen+7] ^= 0x10
					return m
				}, nil)
				s.expectOnly("bad-DH-MAC")
				s = r.open()
				attackDH(s, func(p *spipedtest.Peer) []byte {
					return spipedtest.DHMessage(spipedtest.Pad256(spipedtest.Group14P()), p.OurMACKey())
				}, make([]byte, spipedtest.DHLen))
				s.expectOnly("y-equals-p")
				s = r.open()
				if err := s.p.Nonces(); err != nil {
					t.Fatal(err)
				}
				s.write(spipedtest.RandBytes(spipedtest.NewRand(seed, "relayed garbage after nonce"), 200<<10))
				s.expectOnly("garbage-after-nonce")
				r.after()
			})
		}
	}
}

// ---------------------------------------------------------------------------
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

func newSlowTarget(t testing.TB, cfg spipedtest.SlowTargetConfig) *spipedtest.SlowTarget {
	t.Helper()
	st, err := spipedtest.NewSlowTarget(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// hold makes st drop SYNs for slowHold; where the kernel cannot (it
// completes connects to a full accept queue) the test is skipped, or fails
// under CI, where the timing tests must run.
func hold(t testing.TB, st *spipedtest.SlowTarget) {
	t.Helper()
	err := st.Hold(slowHold)
	if errors.Is(err, spipedtest.ErrCannotHold) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
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
	hold(t, st)
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

// Clients of -d send data right after the handshake (at once, and once the
// daemon's side is surely done) and half-close, while the daemon's connect
// to the target is still in progress: once the connect completes the
// target receives exactly their bytes and EOF, and its answer comes back.
func TestTimingEarlyDataDecrypt(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp := &replier{}
			st := newSlowTarget(t, spipedtest.SlowTargetConfig{Handle: rp.handle})
			keyPath, key := spipedtest.KeyFile(t, []byte("early data key"))
			cn := newCanary(t)
			d := startWithCanary(t, im, spipedtest.Opts{Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1}, cn)
			runEarly(t, d, st, rp, key, seed, earlyData, earlyDataLater)
			cn.check(t, d.Name)
		})
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
			rp := &replier{}
			target := newSlowTarget(t, spipedtest.SlowTargetConfig{Handle: rp.handle}) // never held
			keyPath, key := spipedtest.KeyFile(t, []byte("early data key"))
			d := im.start(t, spipedtest.Opts{Target: spipedtest.SpecOfAddr(target.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1})
			st := newSlowTarget(t, spipedtest.SlowTargetConfig{Upstream: d.Addr()})
			cn := newCanary(t)
			e := startWithCanary(t, im, spipedtest.Opts{Encrypt: true, Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1}, cn)
			hold(t, st)
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

// The daemon's standard input is an open pipe holding a few bytes, its
// write end kept open by the test. After clients that send, half-close or
// reset while the daemon's connect to its target is held, and an ordinary
// connection after them, the bytes are all still in the pipe, the daemon
// still serves, and its descriptors are back to their baseline.
func TestTimingStdinUntouched(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp := &replier{}
			st := newSlowTarget(t, spipedtest.SlowTargetConfig{Handle: rp.handle})
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

// needStrace returns strace's path once a trivial trace works here; it
// skips where strace is missing or cannot trace, and fails under CI, which
// installs it (scripts/install-deps.sh).
func needStrace(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("strace")
	if err == nil {
		var out []byte
		if out, err = exec.Command(path, "-f", "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
			err = fmt.Errorf("%v: %s", err, out)
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but strace does not work: %v (scripts/install-deps.sh)", err)
		}
		t.Skipf("strace unusable here (%v): the system-call check is skipped", err)
	}
	return path
}

// Our binary under strace through the early-data clients and an ordinary
// connection: once it listens, no system call may name descriptor 0, 1 or 2
// but write(2, ...) (a warning). The Go runtime checks descriptors 0-2 at
// start-up, before the listen, which is fine. The reference is the control
// that shows the check passes a correct daemon.
func TestTimingStraceNoStdio(t *testing.T) {
	seed := spipedtest.Seed(t)
	strace := needStrace(t)
	for _, im := range hostileImpls() {
		if im.name == "engine" {
			continue // its system calls are this test binary's
		}
		t.Run(im.name, func(t *testing.T) {
			ownProcessParallel(t, im)
			rp := &replier{}
			st := newSlowTarget(t, spipedtest.SlowTargetConfig{Handle: rp.handle})
			keyPath, key := spipedtest.KeyFile(t, []byte("strace key"))
			cn := newCanary(t)
			trace := filepath.Join(t.TempDir(), "strace.out")
			d := im.start(t, spipedtest.Opts{Target: spipedtest.SpecOfAddr(st.Addr()), KeyPath: keyPath, Key: key, MaxConns: -1, Stdin: cn.r,
				Wrap: []string{strace, "-f", "-qq", "-e", "trace=%desc,%network", "-o", trace}})
			runEarly(t, d, st, rp, key, seed, earlyData, earlyDataLater, earlyFIN, earlyReset)
			honestAfter(t, d, key, seed)
			cn.check(t, d.Name)
			// Stop the daemon so that strace has written everything;
			// one frozen in a read kills the signal's drain, so it is
			// killed after a while and its trace still read.
			syscall.Kill(d.Pid, syscall.SIGTERM)
			select {
			case <-d.Exited:
			case <-time.After(5 * time.Second):
				t.Errorf("%s under strace still running 5 s after SIGTERM", d.Name)
				syscall.Kill(d.Pid, syscall.SIGKILL)
				select {
				case <-d.Exited:
				case <-time.After(5 * time.Second):
					t.Fatalf("strace still running 5 s after its tracee was killed")
				}
			}
			log, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			uses, after := stdioUses(string(log))
			t.Logf("%d system calls traced after the listen", after)
			if after < 20 {
				t.Fatalf("only %d system calls traced after the listen: the check proves nothing\n%s", after, clip(log))
			}
			if len(uses) > 0 {
				if len(uses) > 10 {
					uses = append(uses[:10], fmt.Sprintf("... and %d more", len(uses)-10))
				}
				t.Errorf("%s named its standard descriptors after listening:\n  %s", d.Name, strings.Join(uses, "\n  "))
			}
		})
	}
}

// stdioUses reads an `strace -f` log and returns the lines, after the first
// listen(), whose system call names descriptor 0, 1 or 2 (except
// write(2, ...)), and how many system calls it saw after that listen. A call
// interrupted in the log ("<unfinished ...>") is judged by its first line,
// which holds its descriptor arguments; the "resumed" line is skipped, as
// are signals and exits.
func stdioUses(log string) (uses []string, after int) {
	listening := false
	for _, line := range strings.Split(log, "\n") {
		call := line
		// "12345 read(0, ..." with -f: drop the pid.
		if i := strings.IndexByte(call, ' '); i > 0 && strings.Trim(call[:i], "0123456789") == "" {
			call = strings.TrimLeft(call[i:], " ")
		}
		open := strings.IndexByte(call, '(')
		if open <= 0 || strings.Trim(call[:open], "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			continue // "<... read resumed>", "--- SIGURG ...", "+++ exited ...", blank
		}
		name, args := call[:open], straceArgs(call[open+1:])
		if !listening {
			listening = name == "listen"
			continue
		}
		after++
		for _, fd := range straceFDs(name, args) {
			if (fd == 0 || fd == 1 || fd == 2) && !(fd == 2 && name == "write") {
				uses = append(uses, line)
				break
			}
		}
	}
	return uses, after
}

// straceArgs splits the argument text of one strace line at its top-level
// commas, up to the closing parenthesis (or the line's end when the call is
// unfinished), minding quotes and brackets.
func straceArgs(s string) []string {
	var args []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				quoted = false
			}
		case ch == '"':
			quoted = true
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case (ch == ']' || ch == '}') && depth > 0:
			depth--
		case ch == ')':
			if depth == 0 {
				return append(args, strings.TrimSpace(s[start:i]))
			}
			depth--
		case ch == ',' && depth == 0:
			args = append(args, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[start:]), "<unfinished ...>")); rest != "" {
		args = append(args, rest)
	}
	return args
}

// straceFDs returns the descriptors a call's arguments name.
func straceFDs(name string, args []string) []int {
	var idx []int
	switch name {
	case "socket", "socketpair", "pipe", "pipe2", "eventfd", "eventfd2", "epoll_create", "epoll_create1",
		"inotify_init", "inotify_init1", "memfd_create", "userfaultfd", "pidfd_open", "pidfd_getfd",
		"io_uring_setup", "fanotify_init", "perf_event_open", "timerfd_create":
		return nil // no argument is a descriptor of this process
	case "epoll_ctl", "splice", "copy_file_range":
		idx = []int{0, 2}
	case "dup2", "dup3", "tee", "sendfile", "sendfile64":
		idx = []int{0, 1}
	case "mmap", "mmap2":
		idx = []int{4}
	case "poll", "ppoll", "select", "pselect6":
		// {fd=0, events=POLLIN} for poll, [0 3] for select's sets.
		var fds []int
		for _, a := range args {
			for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r < '0' || r > '9' }) {
				if (name == "poll" || name == "ppoll") && !strings.Contains(a, "fd="+f) {
					continue
				}
				if (name == "select" || name == "pselect6") && !strings.HasPrefix(a, "[") {
					continue
				}
				if n, err := strconv.Atoi(f); err == nil {
					fds = append(fds, n)
				}
			}
		}
		return fds
	default:
		idx = []int{0}
	}
	var fds []int
	for _, i := range idx {
		if i < len(args) {
			if n, err := strconv.Atoi(args[i]); err == nil {
				fds = append(fds, n)
			}
		}
	}
	return fds
}

// The strace reader against lines of the shapes strace writes.
func TestTimingStraceParser(t *testing.T) {
	log := strings.Join([]string{
		`100 fcntl(0, F_GETFD)                 = 0`, // before the listen: the runtime's check
		`100 read(0, "x", 1) = 1`,
		`100 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3`,
		`100 listen(3, 10)                     = 0`,
		`100 eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 4`,
		`101 epoll_pwait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1, NULL, 0) = 1`,
		`101 write(2, "warning: (0, 1)\n", 16) = 16`,
		`101 mmap(NULL, 262144, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`,
		`102 accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 7`,
		`102 read(7, "a,b(0", 1060)            = 5`,
		`--- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---`,
		`101 read(0,  <unfinished ...>`,
		`102 <... read resumed>"STDIN-CANARY\n", 67827) = 13`,
		`102 shutdown(0, SHUT_WR)              = -1 ENOTSOCK (Socket operation on non-socket)`,
		`102 epoll_ctl(5, EPOLL_CTL_ADD, 1, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=1, u64=1}}) = 0`,
		`102 poll([{fd=3, events=POLLIN}, {fd=2, events=POLLOUT}], 2, 0) = 0`,
		`102 write(1, "x", 1)                  = 1`,
		`+++ exited with 0 +++`,
	}, "\n")
	uses, after := stdioUses(log)
	want := []string{"read(0,  <unfinished", "shutdown(0", "epoll_ctl(5, EPOLL_CTL_ADD, 1", "poll([{fd=3", "write(1"}
	if after != 11 || len(uses) != len(want) {
		t.Fatalf("stdioUses: %d calls after the listen, uses:\n%s\nwant 11 calls and %d uses", after, strings.Join(uses, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.Contains(uses[i], w) {
			t.Errorf("use %d = %q; want the line with %q", i, uses[i], w)
		}
	}
}
