package engine_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// Faults at the edges of a daemon's resources and life: descriptors run
// out, SIGTERM mid-transfer, a target that never answers.

// Descriptor exhaustion: our binary under RLIMIT_NOFILE 64 is flooded with
// 200 connections. It must stay up, not spin on EMFILE (under half a core
// while the flood is held), and serve normally once the flood is gone. (The
// reference exits on EMFILE by design, so it is not run here.)
func TestDescriptorExhaustion(t *testing.T) {
	timeoutBound(t, "holds a flood under RLIMIT_NOFILE 64 and waits out -o")
	seed := spipedtest.Seed(t)
	flood := spipedtest.EnvInt("SPIPED_FLOOD", 200)
	for _, enc := range []bool{false, true} {
		t.Run(modeName(enc), func(t *testing.T) {
			keyPath, key := spipedtest.KeyFile(t, []byte("exhaustion"))
			o := spipedtest.Opts{Encrypt: enc, KeyPath: keyPath, Key: key, MaxConns: 0, Timeout: 2 * time.Second, NoFile: 64}
			var s *spipedtest.Sink
			var hs *spipedtest.HostileServer
			if enc {
				hs = spipedtest.NewHostileServer(t)
				o.Target = hs.Spec()
			} else {
				s = spipedtest.NewSink(t)
				o.Target = s.Spec()
			}
			d := spipedtest.StartBinary(t, o)
			base := spipedtest.SettleFDs(d)
			var conns []net.Conn
			var mu sync.Mutex
			var wg sync.WaitGroup
			// -e: hold the connections it dials, silent, during the flood.
			stopHolding := make(chan struct{})
			var held []net.Conn
			holding := make(chan struct{})
			go func() {
				defer close(holding)
				if hs == nil {
					return
				}
				for {
					select {
					case c := <-hs.Conns():
						held = append(held, c)
					case <-stopHolding:
						return
					}
				}
			}()
			for range flood {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.DialTimeout("tcp4", d.Addr(), 3*time.Second)
					if err == nil {
						mu.Lock()
						conns = append(conns, c)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			cpu0 := d.CPU()
			time.Sleep(time.Second)
			cpu := d.CPU() - cpu0
			if !d.Alive() {
				t.Fatalf("the daemon died under the flood: %v\n%s", d.ExitErr, d.Stderr)
			}
			t.Logf("%d of %d flood connections completed the TCP handshake; daemon at %d fds; %d ticks CPU in 1 s", len(conns), flood, d.FDs(), cpu)
			if cpu > 50 {
				t.Errorf("the daemon used %d%% of a core while the flood was held: spinning on EMFILE?", cpu)
			}
			for _, c := range conns {
				c.Close()
			}
			time.Sleep(200 * time.Millisecond)
			close(stopHolding)
			<-holding
			for _, c := range held {
				c.Close()
			}
			// The daemon serves again within a few seconds.
			deadline := time.Now().Add(10 * time.Second)
			var lastErr error
			for time.Now().Before(deadline) {
				if enc {
					lastErr = honestThroughE(t, d, hs, key, seed)
				} else {
					lastErr = honestThroughD(t, d, s, key, seed)
				}
				if lastErr == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if lastErr != nil {
				t.Fatalf("the daemon did not serve after the flood: %v\n%s", lastErr, d.Stderr)
			}
			if !d.Alive() {
				t.Fatalf("the daemon died: %v", d.ExitErr)
			}
			spipedtest.WaitFDs(t, d, base)
		})
	}
}

// honestThroughD runs one honest connection to a -d with a recording target.
func honestThroughD(t testing.TB, d *spipedtest.Daemon, s *spipedtest.Sink, key []byte, seed uint64) error {
	c, err := net.DialTimeout("tcp4", d.Addr(), 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	from := s.Count()
	pr := spipedtest.NewPeer(c, true, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, "honest -d")})
	if err := pr.Handshake(false); err != nil {
		return err
	}
	pr.SendData([]byte("ping"))
	spipedtest.CloseWrite(c)
	if _, err := pr.ReadData(); err != nil {
		return err
	}
	data, _ := s.Settle(t, from, 5*time.Second)
	if string(data) != "ping" {
		return fmt.Errorf("target got %q", data)
	}
	return nil
}

// honestThroughE runs one honest connection through a -e whose target is
// our hostile server playing fair; connections it dialled earlier (stale
// ones) fail their handshake and are skipped.
func honestThroughE(t testing.TB, d *spipedtest.Daemon, hs *spipedtest.HostileServer, key []byte, seed uint64) error {
	c, err := net.DialTimeout("tcp4", d.Addr(), 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("ping"))
	spipedtest.CloseWrite(c)
	for {
		var tc net.Conn
		select {
		case tc = <-hs.Conns():
		case <-time.After(3 * time.Second):
			return errors.New("the -e did not dial its target")
		}
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		pr := spipedtest.NewPeer(tc, false, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, "honest -e")})
		if err := pr.Handshake(false); err != nil {
			tc.Close()
			continue
		}
		got, err := pr.ReadData()
		if err == nil && len(got) == 0 {
			// A connection whose plaintext client (the flood) is gone.
			tc.Close()
			continue
		}
		if err != nil || string(got) != "ping" {
			tc.Close()
			return fmt.Errorf("target got %q, %v", got, err)
		}
		pr.SendData([]byte("pong"))
		spipedtest.CloseWrite(tc)
		back, err := io.ReadAll(c)
		tc.Close()
		if err != nil || string(back) != "pong" {
			return fmt.Errorf("client got %q, %v", back, err)
		}
		return nil
	}
}

// SIGTERM with a large transfer in flight through two binaries: the
// transfer completes intact and both daemons exit 0.
func TestSIGTERMWithTransferInFlight(t *testing.T) {
	seed := spipedtest.Seed(t)
	size := spipedtest.EnvInt("SPIPED_SIGTERM_BYTES", 48<<20)
	echo := spipedtest.NewEcho(t, "")
	p := startPair(t, spipedtest.StartBinary, spipedtest.StartBinary, echo.Spec(), spipedtest.Opts{MaxConns: -1})
	sigtermMidTransfer(t, p.e, p.d, size, seed, "sigterm", func() {
		// After SIGTERM the daemon stops accepting: once it has handled
		// the signal (asynchronously, so a dial just after kill may still
		// land before that and be served, legitimately), connects are
		// refused.
		refused := false
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			late, err := net.DialTimeout("tcp4", p.e.Addr(), time.Second)
			if err != nil {
				refused = errors.Is(err, syscall.ECONNREFUSED)
				if refused {
					break
				}
			} else {
				late.Close()
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !refused {
			t.Errorf("-e still accepts connections 5 s after SIGTERM")
		}
	})
}

// sigtermMidTransfer sends size random bytes through the pair e, d to an
// echo target, SIGTERMs both daemons once a tenth has come back, runs
// meanwhile (if not nil), and requires every byte back intact and both
// daemons to exit 0 once the connection ends.
func sigtermMidTransfer(t *testing.T, e, d *spipedtest.Daemon, size int, seed uint64, stream string, meanwhile func()) {
	t.Helper()
	data := make([]byte, size)
	spipedtest.FillRandom(seed, stream, data)
	c, err := net.Dial("tcp4", e.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		c.Write(data)
		spipedtest.CloseWrite(c)
	}()
	h := spipedtest.NewDigest()
	first := make([]byte, size/10)
	if _, err := io.ReadFull(c, first); err != nil {
		t.Fatalf("before SIGTERM: %v", err)
	}
	h.Write(first)
	for _, dm := range []*spipedtest.Daemon{e, d} {
		if err := syscall.Kill(dm.Pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	if meanwhile != nil {
		meanwhile()
	}
	n, err := io.Copy(h, c)
	if err != nil {
		t.Fatalf("after SIGTERM: read %d more bytes, then %v", n, err)
	}
	if err := h.Check(data); err != nil {
		t.Fatalf("transfer across SIGTERM: %v", err)
	}
	c.Close()
	for _, dm := range []*spipedtest.Daemon{e, d} {
		role := map[bool]string{true: "-e", false: "-d"}[dm == e]
		select {
		case <-dm.Exited:
			if dm.ExitErr != nil {
				t.Errorf("%s %s exited with %v after SIGTERM; want 0\n%s", dm.Name, role, dm.ExitErr, dm.Stderr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s %s still running 10 s after SIGTERM and the end of its last connection", dm.Name, role)
		}
	}
}

// blackHole listens with a full accept queue that nobody drains, so a
// connect to it hangs (the kernel drops the SYNs) instead of being refused.
// It returns the address, or "" when the kernel here completes connects anyway.
func blackHole(t testing.TB) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue.
	for range 4 {
		if c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	if c, err := net.DialTimeout("tcp4", addr, 300*time.Millisecond); err == nil {
		c.Close()
		return ""
	}
	return addr
}

// A target whose connects hang: -o bounds the connect, so the client's
// connection ends at about the timeout instead of hanging.
func TestTargetBlackHole(t *testing.T) {
	timeoutBound(t, "waits out -o on a black-holed target")
	seed := spipedtest.Seed(t)
	hole := blackHole(t)
	if hole == "" {
		t.Skip("connects to a full listen queue complete here; no black hole to test with")
	}
	keyPath, key := spipedtest.KeyFile(t, []byte("black hole"))
	for _, im := range []impl{{"engine", startEngine}, {"reference", spipedtest.StartReference}} {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				d := im.start(t, spipedtest.Opts{Encrypt: enc, Target: "[127.0.0.1]:" + strings.Split(hole, ":")[1],
					KeyPath: keyPath, Key: key, Timeout: hostileTimeout, MaxConns: -1})
				base := spipedtest.SettleFDs(d)
				for i := range 3 {
					c, err := net.Dial("tcp4", d.Addr())
					if err != nil {
						t.Fatal(err)
					}
					start := time.Now()
					if !enc {
						// An honest client: its handshake may finish
						// while the daemon's connect to the target hangs.
						c.SetDeadline(time.Now().Add(10 * time.Second))
						p := spipedtest.NewPeer(c, true, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, fmt.Sprint("hole ", i))})
						p.Handshake(false)
					}
					_, ended := spipedtest.Drain(c, 10*time.Second)
					took := time.Since(start)
					c.Close()
					if !ended || took > 8*hostileTimeout {
						t.Errorf("connection %d through a black-holed target ended %v after %v; want about -o %v", i, ended, took, hostileTimeout)
					}
				}
				spipedtest.WaitFDs(t, d, base)
			})
		}
	}
}
