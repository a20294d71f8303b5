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
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
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
	// A plain buffered copy, as spipedtest.EchoConn's: io.Copy between
	// TCP sockets splices through pipes from the runtime's pool, which
	// outlive the connection and read as two leaked descriptors whenever
	// a collection has emptied the pool before the baseline was taken.
	io.CopyBuffer(tc, struct{ io.Reader }{tc}, make([]byte, 32<<10))
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
				if !r.runAttacks(attacks) {
					return
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
