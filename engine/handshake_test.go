package engine_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// Handshake attacks, silent and slow clients: the hostile peer of the kit
// against the daemon before any data flows.

// attackDH sends a DH message of the attacker's making. Against -d the
// daemon must hang up without its DH message; against -e it must hang up
// after ours, and a packet sealed with the keys the daemon would have
// derived had it accepted (ySC) must not be delivered.
func attackDH(s *session, makeMsg func(p *spipedtest.Peer) []byte, ySC []byte) {
	t := s.r.t
	t.Helper()
	p := s.p
	if err := p.Nonces(); err != nil {
		t.Fatal(err)
	}
	if !s.r.encrypt {
		s.write(makeMsg(p))
		if ySC != nil {
			p.KeysFrom(ySC)
			s.write(p.SealNext([]byte("FORGED")))
		}
		got, ended := spipedtest.Drain(p.Conn, 5*time.Second)
		if len(got) != 0 {
			t.Errorf("%s sent %d bytes (its DH message) after a bad client DH message", s.r.d.Name, len(got))
		}
		if !ended {
			t.Errorf("%s kept the connection open 5 s after a bad DH message", s.r.d.Name)
		}
		return
	}
	if err := p.ReadDH(); err != nil {
		t.Fatal(err)
	}
	s.write(makeMsg(p))
	if ySC != nil {
		p.KeysFrom(ySC)
		s.write(p.SealNext([]byte("FORGED")))
	}
}

func TestHostileHandshake(t *testing.T) {
	seed := spipedtest.Seed(t)
	pBytes := spipedtest.Pad256(spipedtest.Group14P())
	ff := bytes.Repeat([]byte{0xff}, spipedtest.DHLen)
	zero := make([]byte, spipedtest.DHLen)
	cases := []struct {
		name string
		run  func(s *session)
	}{
		{"bad-DH-MAC", func(s *session) {
			attackDH(s, func(p *spipedtest.Peer) []byte {
				m := spipedtest.DHMessage(p.GenY(false), p.OurMACKey())
				m[spipedtest.DHLen+7] ^= 0x10
				return m
			}, nil)
		}},
		{"bad-DH-MAC-in-y", func(s *session) {
			attackDH(s, func(p *spipedtest.Peer) []byte {
				m := spipedtest.DHMessage(p.GenY(false), p.OurMACKey())
				m[100] ^= 1
				return m
			}, nil)
		}},
		// y = p with a correct MAC: a side that accepted it would get y_SC = 0.
		{"y-equals-p", func(s *session) {
			attackDH(s, func(p *spipedtest.Peer) []byte { return spipedtest.DHMessage(pBytes, p.OurMACKey()) }, zero)
		}},
		{"y-all-ff", func(s *session) {
			attackDH(s, func(p *spipedtest.Peer) []byte { return spipedtest.DHMessage(ff, p.OurMACKey()) }, nil)
		}},
		// Our y with the MAC key of the daemon's own direction: a daemon
		// that checked with the wrong key would accept it, and the
		// packet that follows (honest keys) would be delivered.
		{"MAC-key-reflected", func(s *session) {
			var ySC []byte
			attackDH(s, func(p *spipedtest.Peer) []byte {
				y := p.GenY(false)
				if s.r.encrypt {
					ySC = p.SharedSecret(p.PeerY)
				}
				return spipedtest.DHMessage(y, p.TheirMACKey())
			}, nil)
			if ySC != nil {
				s.p.KeysFrom(ySC)
				s.write(s.p.SealNext([]byte("FORGED")))
			}
		}},
		{"garbage-200KB", func(s *session) {
			s.write(spipedtest.RandBytes(spipedtest.NewRand(seed, "garbage handshake"), 200<<10))
		}},
		{"garbage-after-nonce", func(s *session) {
			if err := s.p.Nonces(); err != nil {
				t.Fatal(err)
			}
			s.write(spipedtest.RandBytes(spipedtest.NewRand(seed, "garbage after nonce"), 200<<10))
		}},
	}
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				r := newRig(t, im, enc, rigOpts{maxConns: -1}, seed)
				for _, c := range cases {
					s := r.open()
					c.run(s)
					s.expectOnly(c.name)
				}
				if enc {
					// The daemon's own DH message sent straight back.
					s := r.open()
					if err := s.p.Nonces(); err != nil {
						t.Fatal(err)
					}
					m := make([]byte, spipedtest.DHMessageLen)
					if _, err := io.ReadFull(s.p.Conn, m); err != nil {
						t.Fatal(err)
					}
					s.write(m)
					s.expectOnly("own-DH-message-reflected")
				}
				r.after()
			})
		}
	}
}

// -g against a -f peer, both directions: the -g daemon must refuse y = 1,
// and the packet sealed with y_SC = 1 (what it would derive) must not be
// delivered. The same peer against a daemon without -g is delivered: the
// control that shows the test can see a delivery.
func TestHostileRequireFSAgainstFast(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				for _, g := range []bool{true, false} {
					r := newRig(t, im, enc, rigOpts{requireFS: g, maxConns: -1}, seed)
					s := r.open()
					if g {
						attackDH(s, func(p *spipedtest.Peer) []byte { return spipedtest.DHMessage(p.GenY(true), p.OurMACKey()) }, spipedtest.One256())
						s.expectOnly("-f peer against -g")
					} else {
						if err := s.p.Handshake(true); err != nil {
							t.Fatalf("control: -f handshake: %v", err)
						}
						s.genuine("FAST")
						spipedtest.CloseWrite(s.p.Conn)
						if enc {
							spipedtest.CloseWrite(s.plain)
						}
						s.expectOnly("control: -f peer without -g")
					}
					r.after()
				}
			})
		}
	}
}

// Hundreds of silent clients under -o 0.5: each is dropped after about the
// timeout (not before), and the daemon serves normally afterwards.
func TestHostileSilentClients(t *testing.T) {
	timeoutBound(t, "waits out -o for hundreds of silent clients")
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		// The reference scans every connection on each event and its
		// backlog of 10 overflows, so it gets a smaller crowd: it is the
		// control here, not the subject.
		n := spipedtest.EnvInt("SPIPED_SILENT_CLIENTS", 300)
		switch im.name {
		case "reference":
			n = min(n, 30)
		case "binary":
			n = min(n, 100) // the in-process run takes the full crowd
		}
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				r := newRig(t, im, enc, rigOpts{timeout: hostileTimeout, maxConns: 0}, seed)
				type result struct {
					got     int
					elapsed time.Duration
					ended   bool
				}
				results := make([]result, n)
				var wg sync.WaitGroup
				var peers []net.Conn
				var mu sync.Mutex
				if enc {
					// Our side of each -e connection stays silent too.
					go func() {
						for range n {
							select {
							case c, ok := <-r.hs.Conns():
								if !ok {
									return
								}
								mu.Lock()
								peers = append(peers, c)
								mu.Unlock()
							case <-time.After(10 * time.Second):
								return
							}
						}
					}()
				}
				for i := range n {
					// The clock starts before the dial: the daemon's -o
					// starts at its accept, which comes after it, while a
					// clock read after Dial returns can be late on a
					// loaded machine and make a timely drop look early.
					start := time.Now()
					c, err := net.Dial("tcp4", r.d.Addr())
					if err != nil {
						t.Fatalf("silent client %d: %v", i, err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer c.Close()
						got, ended := spipedtest.Drain(c, 10*time.Second)
						results[i] = result{len(got), time.Since(start), ended}
					}()
				}
				wg.Wait()
				early, late := 0, 0
				for i, res := range results {
					if !res.ended {
						late++
						continue
					}
					if enc && res.got != 0 {
						t.Errorf("silent client %d received %d bytes", i, res.got)
					}
					if !enc && res.got != 32 {
						t.Errorf("silent client %d received %d bytes; want the 32-byte nonce", i, res.got)
					}
					if res.elapsed < hostileTimeout*8/10 {
						early++
					}
				}
				if late > 0 || early > 0 {
					t.Errorf("%d of %d silent clients not dropped within 10 s, %d dropped before %v", late, n, early, hostileTimeout)
				}
				if r.d.Stats != nil {
					if st := r.d.Stats().(engine.Stats); st.HandshakeFailures != int64(n) || st.Open != 0 {
						t.Errorf("after %d silent clients: %d handshake failures counted, %d connections open", n, st.HandshakeFailures, st.Open)
					}
				}
				mu.Lock()
				for _, c := range peers {
					c.Close()
				}
				mu.Unlock()
				if !enc {
					data, _ := r.sink.Settle(t, 0, 5*time.Second)
					if string(data) != "ping" {
						t.Errorf("target received %q; want only the warm-up's \"ping\"", data)
					}
				}
				r.after()
			})
		}
	}
}

// A peer that trickles its handshake a byte at a time must still be cut
// off by -o: the handshake timeout is one deadline, not an idle timer.
func TestHostileSlowHandshake(t *testing.T) {
	timeoutBound(t, "trickles a handshake until -o cuts it off")
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				// Probes, not honest connections, before and after:
				// an honest handshake under -o 0.5 on a loaded
				// machine may be cut off too, and rightly so.
				r := newRig(t, im, enc, rigOpts{timeout: hostileTimeout, maxConns: -1, probeOnly: true}, seed)
				s := r.open()
				start := time.Now()
				msg := make([]byte, 32+spipedtest.DHMessageLen)
				r.rnd.Read(msg)
				cut := time.Duration(0)
				readDone := make(chan struct{})
				go func() {
					defer close(readDone)
					spipedtest.Drain(s.p.Conn, 10*time.Second)
					cut = time.Since(start)
				}()
				for _, b := range msg { // at most 320 × 20 ms
					if _, err := s.p.Conn.Write([]byte{b}); err != nil {
						break
					}
					select {
					case <-readDone:
					case <-time.After(20 * time.Millisecond):
						continue
					}
					break
				}
				<-readDone
				// An idle timer would never fire (a byte every 20 ms)
				// and the garbage would fail its MAC only after all 320
				// bytes, at 6.4 s; 8 x the timeout leaves room for a
				// loaded machine and still tells the two apart.
				if cut == 0 || cut > 8*hostileTimeout {
					t.Errorf("%s let a trickling handshake run %v under -o %v", im.name, cut, hostileTimeout)
				}
				s.expectOnly("slow handshake")
				r.after()
			})
		}
	}
}
