package engine_test

// Adversarial tests: a hostile peer that completes a real handshake (or
// subverts one) and then forges, replays, reorders and truncates packets.
// Every attack must end the connection without one forged byte reaching the
// plaintext side, and the daemon must then serve an honest connection with
// no descriptor leaked. Each attack runs against our -d (we are the client,
// the target records what it receives) and our -e (we are the server it
// dials, a plaintext client records what it receives), and against the
// reference spiped: an attack the reference also survives shows the test
// tells a drop from a delivery.

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// rig is one daemon under test with a hostile peer on its encrypted side
// and a recorder on its plaintext side.
type rig struct {
	t       *testing.T
	d       *spipedtest.Daemon
	encrypt bool
	key     []byte
	rnd     *spipedtest.LockedRand
	sink    *spipedtest.Sink          // -d: the target
	hs      *spipedtest.HostileServer // -e: the target
	base    int                       // descriptors after warm-up
	encAddr string                    // -d: where the hostile peer connects (the daemon, or a relay in front of it)
	probe   bool                      // rigOpts.probeOnly
}

type rigOpts struct {
	requireFS bool
	timeout   time.Duration
	maxConns  int
	// relay > 0 puts a spipedtest.Relay with this delay each way between
	// the hostile peer and the daemon, so the attacks run under real
	// network timing (the plaintext side stays direct).
	relay time.Duration
	// probeOnly warms up and checks the daemon with probe connections (no
	// handshake) instead of honest ones: under a short -o an honest
	// handshake on a loaded machine may itself be cut off, as -o says.
	probeOnly bool
}

func newRig(t *testing.T, im impl, encrypt bool, o rigOpts, seed uint64) *rig {
	t.Helper()
	keyPath, key := spipedtest.KeyFile(t, []byte("hostile tests' shared key\n"))
	r := &rig{t: t, encrypt: encrypt, key: key, rnd: &spipedtest.LockedRand{R: spipedtest.NewRand(seed, t.Name())}, probe: o.probeOnly}
	do := spipedtest.Opts{Encrypt: encrypt, KeyPath: keyPath, Key: key, RequireFS: o.requireFS,
		Timeout: o.timeout, MaxConns: o.maxConns}
	if encrypt {
		r.hs = spipedtest.NewHostileServer(t)
		do.Target = r.hs.Spec()
		if o.relay > 0 {
			do.Target = spipedtest.SpecOfAddr(spipedtest.StartRelay(t, spipedtest.DialAddr(do.Target), o.relay).Addr())
		}
	} else {
		r.sink = spipedtest.NewSink(t)
		do.Target = r.sink.Spec()
	}
	r.d = im.start(t, do)
	r.encAddr = r.d.Addr()
	if !encrypt && o.relay > 0 {
		r.encAddr = spipedtest.StartRelay(t, r.d.Addr(), o.relay).Addr()
	}
	// Warm up (the first connection may create lasting state such as a
	// worker pool), then take the descriptor baseline.
	if r.probe {
		r.alive()
	} else {
		r.honest()
	}
	r.base = spipedtest.SettleFDs(r.d)
	return r
}

// session is one connection through the rig.
type session struct {
	r     *rig
	p     *spipedtest.Peer
	plain net.Conn           // -e: the plaintext client
	rec   *spipedtest.Record // -e: what the plaintext client received
	from  int                // -d: the sink index of this connection's target side
	sent  []byte             // genuine plaintext delivered so far
}

// open connects a hostile peer (no handshake yet).
func (r *rig) open() *session {
	t := r.t
	t.Helper()
	s := &session{r: r}
	deadline := time.Now().Add(15 * time.Second)
	if r.encrypt {
		plain, err := net.Dial("tcp4", r.d.Addr())
		if err != nil {
			t.Fatalf("dial %s: %v", r.d.Name, err)
		}
		plain.SetDeadline(deadline)
		s.plain = plain
		s.rec = spipedtest.Recording(plain)
		c := r.hs.Next(t)
		c.SetDeadline(deadline)
		s.p = spipedtest.NewPeer(c, false, r.key, r.rnd)
	} else {
		s.from = r.sink.Count()
		c, err := net.Dial("tcp4", r.encAddr)
		if err != nil {
			t.Fatalf("dial %s: %v", r.d.Name, err)
		}
		c.SetDeadline(deadline)
		s.p = spipedtest.NewPeer(c, true, r.key, r.rnd)
	}
	return s
}

// delivered reports whether n bytes reached the plaintext side in time.
func (s *session) delivered(n int) bool {
	if !s.r.encrypt {
		return s.r.sink.WaitBytes(s.from, n, 5*time.Second)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if len(s.rec.Bytes()) >= n {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// genuine sends one honest packet and waits until it is delivered.
func (s *session) genuine(msg string) {
	s.r.t.Helper()
	if _, err := s.p.Conn.Write(s.p.SealNext([]byte(msg))); err != nil {
		s.r.t.Fatalf("sending a genuine packet: %v", err)
	}
	s.sent = append(s.sent, msg...)
	if !s.delivered(len(s.sent)) {
		s.r.t.Fatalf("%s: the genuine packet %q was not delivered: the pipe does not work", s.r.d.Name, msg)
	}
}

// write sends attack bytes; a write error only means the daemon already
// hung up, which is what it should do.
func (s *session) write(b []byte) { s.p.Conn.Write(b) }

// finish waits for the daemon to end the connection on both sides and
// returns what the plaintext side received and how its stream ended.
func (s *session) finish() (got []byte, clean bool) {
	t := s.r.t
	t.Helper()
	if _, ended := spipedtest.Drain(s.p.Conn, 5*time.Second); !ended {
		t.Errorf("%s kept the encrypted connection open for 5 s after the attack", s.r.d.Name)
	}
	s.p.Conn.Close()
	if !s.r.encrypt {
		data, recs := s.r.sink.Settle(t, s.from, 5*time.Second)
		clean = true
		for _, rc := range recs {
			if len(rc.Bytes()) > 0 && rc.End != nil {
				clean = false
			}
		}
		return data, clean
	}
	select {
	case <-s.rec.Done:
	case <-time.After(5 * time.Second):
		t.Errorf("%s kept the plaintext connection open for 5 s after the attack", s.r.d.Name)
	}
	s.plain.Close()
	<-s.rec.Done
	return s.rec.Bytes(), s.rec.End == nil
}

// expectOnly checks that exactly the genuine bytes reached the plaintext side.
func (s *session) expectOnly(attack string) {
	t := s.r.t
	t.Helper()
	got, _ := s.finish()
	if !bytes.Equal(got, s.sent) {
		t.Errorf("%s, %s: plaintext side received %d bytes %q, want exactly the %d genuine bytes %q: FORGED DATA DELIVERED",
			s.r.d.Name, attack, len(got), clip(got), len(s.sent), clip(s.sent))
	}
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// honest runs a normal connection through the rig in both directions.
func (r *rig) honest() {
	t := r.t
	t.Helper()
	s := r.open()
	if r.encrypt {
		s.plain.Write([]byte("ping"))
		spipedtest.CloseWrite(s.plain)
		if err := s.p.Handshake(false); err != nil {
			t.Fatalf("%s: honest handshake: %v", r.d.Name, err)
		}
		got, err := s.p.ReadData()
		if err != nil || string(got) != "ping" {
			t.Fatalf("%s: honest connection carried %q, %v; want \"ping\"", r.d.Name, got, err)
		}
		s.p.SendData([]byte("pong"))
		spipedtest.CloseWrite(s.p.Conn)
		got, clean := s.finish()
		if string(got) != "pong" || !clean {
			t.Fatalf("%s: honest connection returned %q (clean end %v); want \"pong\"", r.d.Name, got, clean)
		}
		return
	}
	if err := s.p.Handshake(false); err != nil {
		t.Fatalf("%s: honest handshake: %v", r.d.Name, err)
	}
	s.p.SendData([]byte("ping"))
	spipedtest.CloseWrite(s.p.Conn)
	got, err := s.p.ReadData()
	if err != nil || len(got) != 0 {
		t.Fatalf("%s: honest connection: daemon sent %q, %v; want nothing and a clean end", r.d.Name, got, err)
	}
	data, recs := r.sink.Settle(t, s.from, 5*time.Second)
	s.p.Conn.Close()
	// An earlier attack's connection to the target (dialled in parallel
	// with its handshake) may be accepted late; it carries nothing.
	clean := false
	for _, rc := range recs {
		if len(rc.Bytes()) > 0 && rc.End == nil {
			clean = true
		}
	}
	if string(data) != "ping" || !clean {
		t.Fatalf("%s: honest connection: target received %q over %d connections; want \"ping\", cleanly ended", r.d.Name, data, len(recs))
	}
}

// after checks that the daemon still serves and leaked no descriptor.
func (r *rig) after() {
	r.t.Helper()
	if r.probe {
		r.alive()
	} else {
		r.honest()
	}
	spipedtest.WaitFDs(r.t, r.d, r.base)
}

// alive checks, without a handshake, that the daemon still accepts and
// speaks: its 32-byte nonce arrives (against -e: it dials the target and
// sends its nonce there). Unlike honest it does not depend on how fast a
// handshake completes.
func (r *rig) alive() {
	t := r.t
	t.Helper()
	s := r.open()
	if err := s.p.Nonces(); err != nil {
		t.Fatalf("%s: no nonce from the daemon: %v", r.d.Name, err)
	}
	s.p.Conn.Close()
	if r.encrypt {
		s.plain.Close()
		<-s.rec.Done
		return
	}
	r.sink.Settle(t, s.from, 5*time.Second)
}

// Data-phase attacks: an honest handshake, one genuine packet, then a forgery.

type dataAttack struct {
	name string
	run  func(s *session)
}

func dataAttacks(seed uint64) []dataAttack {
	var list []dataAttack
	second := bytes.Repeat([]byte("FORGED-"), 100)
	// A flipped bit in every region: message, padding, length field, MAC.
	positions := []int{0, 3, 699, 700, 1023, 1024, 1025, 1026, 1027, 1028, 1040, 1059}
	rnd := spipedtest.NewRand(seed, "flip positions")
	for range 8 {
		positions = append(positions, rnd.IntN(spipedtest.PacketSize))
	}
	for _, pos := range positions {
		bit := byte(1) << (pos % 8)
		list = append(list, dataAttack{fmt.Sprintf("flip-byte-%d-bit-%d", pos, pos%8), func(s *session) {
			pkt := s.p.SealNext(second)
			pkt[pos] ^= bit
			s.write(pkt)
		}})
	}
	list = append(list,
		dataAttack{"replayed", func(s *session) {
			s.write(spipedtest.SealPacket(s.p.Send, 0, []byte("G0")))
		}},
		dataAttack{"skipped", func(s *session) {
			s.write(spipedtest.SealPacket(s.p.Send, s.p.SendN+1, second))
		}},
		dataAttack{"reordered", func(s *session) {
			n := s.p.SendN
			s.write(spipedtest.Cat(spipedtest.SealPacket(s.p.Send, n+1, second), spipedtest.SealPacket(s.p.Send, n, second)))
		}},
		dataAttack{"other-direction-keys", func(s *session) {
			s.write(spipedtest.SealPacket(s.p.Recv, s.p.SendN, second))
		}},
	)
	for _, l := range []uint32{0, 1025, 1<<32 - 1} {
		list = append(list, dataAttack{fmt.Sprintf("length-%d", l), func(s *session) {
			s.write(spipedtest.SealRaw(s.p.Send, s.p.SendN, spipedtest.PlainWithLen(bytes.Repeat([]byte("F"), spipedtest.MaxMessage), l)))
		}})
	}
	list = append(list, dataAttack{"garbage-200KB", func(s *session) {
		s.write(spipedtest.RandBytes(spipedtest.NewRand(seed, "garbage after handshake"), 200<<10))
	}})
	return list
}

// runAttacks opens a session per attack: an honest handshake, one genuine
// packet, the attack, then the check that nothing else got through. It
// stops at the first failure.
func (r *rig) runAttacks(attacks []dataAttack) bool {
	r.t.Helper()
	for _, a := range attacks {
		s := r.open()
		if err := s.p.Handshake(false); err != nil {
			r.t.Fatalf("%s: handshake: %v", a.name, err)
		}
		s.genuine("G0")
		a.run(s)
		s.expectOnly(a.name)
		if r.t.Failed() {
			return false
		}
	}
	return true
}

func TestHostileDataPhase(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				r := newRig(t, im, enc, rigOpts{maxConns: -1}, seed)
				if !r.runAttacks(dataAttacks(seed)) {
					return
				}
				r.after()
			})
		}
	}
}

func modeName(encrypt bool) string {
	if encrypt {
		return "e"
	}
	return "d"
}

// A packet cut short by EOF is discarded and counts as a clean end: the
// complete packets before it arrive, then the plaintext side sees EOF.
func TestHostileTruncatedPacket(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				r := newRig(t, im, enc, rigOpts{maxConns: -1}, seed)
				for _, cut := range []int{1, 700, spipedtest.PacketSize - 1} {
					s := r.open()
					if err := s.p.Handshake(false); err != nil {
						t.Fatal(err)
					}
					s.genuine("G0")
					s.genuine("G1")
					s.write(s.p.SealNext([]byte("TRUNCATED"))[:cut])
					spipedtest.CloseWrite(s.p.Conn)
					if enc {
						// The plaintext client ends its side too, so
						// the daemon can close the connection.
						spipedtest.CloseWrite(s.plain)
					}
					got, clean := s.finish()
					if !bytes.Equal(got, s.sent) || !clean {
						t.Errorf("cut at %d: plaintext side got %q (clean EOF %v); want %q then a clean EOF", cut, got, clean, s.sent)
					}
				}
				r.after()
			})
		}
	}
}

// Odd but legal framing must be delivered: a packet a byte at a time, many
// packets and half of the next in one write, against -e the server's DH
// message and its first packet in one segment, and against -d the client's
// nonce and DH message in one (the daemons read the handshake in large
// reads and keep what lies past a message for the next one or for the data
// phase).
func TestHostileFramingDelivered(t *testing.T) {
	seed := spipedtest.Seed(t)
	for _, im := range hostileImpls() {
		for _, enc := range []bool{false, true} {
			t.Run(im.name+"/"+modeName(enc), func(t *testing.T) {
				r := newRig(t, im, enc, rigOpts{maxConns: -1}, seed)
				s := r.open()
				p := s.p
				var want []byte
				if enc {
					// Our y_S and a packet in one write.
					if err := p.Nonces(); err != nil {
						t.Fatal(err)
					}
					if err := p.ReadDH(); err != nil {
						t.Fatal(err)
					}
					y := p.GenY(false)
					p.KeysFrom(p.SharedSecret(p.PeerY))
					first := []byte("in the DH segment")
					s.write(spipedtest.Cat(spipedtest.DHMessage(y, p.OurMACKey()), p.SealNext(first)))
					want = append(want, first...)
				} else if err := p.HandshakeGlued(); err != nil {
					t.Fatal(err)
				}
				one := []byte("byte by byte")
				for _, b := range p.SealNext(one) {
					s.write([]byte{b})
				}
				want = append(want, one...)
				var burst []byte
				for i := range 5 {
					m := []byte(fmt.Sprintf("burst %d;", i))
					burst = append(burst, p.SealNext(m)...)
					want = append(want, m...)
				}
				tail := p.SealNext([]byte("tail"))
				s.write(spipedtest.Cat(burst, tail[:500]))
				time.Sleep(20 * time.Millisecond)
				s.write(tail[500:])
				want = append(want, "tail"...)
				s.sent = want
				if !s.delivered(len(want)) {
					t.Errorf("%s delivered %d of %d bytes", im.name, len(s.recorded()), len(want))
				}
				spipedtest.CloseWrite(p.Conn)
				if enc {
					spipedtest.CloseWrite(s.plain)
				}
				s.expectOnly("legal framing")
				r.after()
			})
		}
	}
}

// recorded is what the plaintext side holds so far.
func (s *session) recorded() []byte {
	if s.r.encrypt {
		return s.rec.Bytes()
	}
	var all []byte
	for _, rc := range s.r.sink.Since(s.from) {
		all = append(all, rc.Bytes()...)
	}
	return all
}
