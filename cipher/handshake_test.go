package cipher

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

type mode struct {
	name     string
	fast, fs bool
}

var (
	normal = mode{name: "normal"}
	fastM  = mode{name: "-f", fast: true}
	fsM    = mode{name: "-g", fs: true}
)

func (m mode) cfg() HandshakeConfig { return HandshakeConfig{Fast: m.fast, RequireFS: m.fs} }

func testKey() [32]byte { return sha256.Sum256([]byte("a key file\n")) }

func TestHandshakeModesAgree(t *testing.T) {
	for _, mc := range []mode{normal, fastM, fsM} {
		for _, ms := range []mode{normal, fastM, fsM} {
			refused := (mc.fs && ms.fast) || (ms.fs && mc.fast)
			if refused {
				continue
			}
			t.Run(mc.name+"/"+ms.name, func(t *testing.T) {
				key := testKey()
				c, s := newPair(t, &key, mc.cfg(), ms.cfg())
				r := pump(t, c, s)
				if r.cStep != StepDone || r.sStep != StepDone {
					t.Fatalf("steps %v %v, errors %v %v", r.cStep, r.sStep, r.cErr, r.sErr)
				}
				cSend, cRecv := c.Keys()
				sSend, sRecv := s.Keys()
				if *cSend != *sRecv || *cRecv != *sSend {
					t.Fatal("the sides derived different keys")
				}
				if *cSend == *cRecv || cSend.Enc == cSend.Mac || *cSend == (DirectionKeys{}) {
					t.Fatal("degenerate keys")
				}
				one := yOne()
				for _, side := range []struct {
					fast bool
					wire []byte
				}{{mc.fast, r.cWire}, {ms.fast, r.sWire}} {
					if got := bytes.Equal(side.wire[32:32+yLen], one[:]); got != side.fast {
						t.Errorf("sent y == 1 is %v for a side with fast %v", got, side.fast)
					}
				}
			})
		}
	}
}

func TestHandshakeKeysDependOnKey(t *testing.T) {
	k1, k2 := testKey(), sha256.Sum256([]byte("another"))
	c, _ := NewHandshake(HandshakeConfig{Key: &k1, Role: Client, Fast: true})
	s, _ := NewHandshake(HandshakeConfig{Key: &k2, Role: Server, Fast: true})
	r := pump(t, c, s)
	if r.sStep != StepFailed || !errors.Is(r.sErr, errBadMAC) {
		t.Fatalf("server with the wrong key: %v %v", r.sStep, r.sErr)
	}
	// The server never answered, so the client still waits for y_S.
	if r.cStep != StepRead || len(r.sWire) != nonceLen {
		t.Fatalf("client %v, server wrote %d bytes", r.cStep, len(r.sWire))
	}
}

// TestHandshakeRefusesFast checks where each -g role drops a -f peer: the
// server before it sends y_S, the client after it reads y_S.
func TestHandshakeRefusesFast(t *testing.T) {
	key := testKey()
	c, s := newPair(t, &key, fastM.cfg(), fsM.cfg())
	r := pump(t, c, s)
	if r.sStep != StepFailed || !errors.Is(r.sErr, ErrNoForwardSecrecy) {
		t.Fatalf("-g server: %v %v", r.sStep, r.sErr)
	}
	if len(r.sWire) != nonceLen {
		t.Fatalf("-g server wrote %d bytes, want only its nonce", len(r.sWire))
	}
	if r.cStep != StepRead {
		t.Fatalf("-f client: %v", r.cStep)
	}

	c, s = newPair(t, &key, fsM.cfg(), fastM.cfg())
	r = pump(t, c, s)
	if r.cStep != StepFailed || !errors.Is(r.cErr, ErrNoForwardSecrecy) {
		t.Fatalf("-g client: %v %v", r.cStep, r.cErr)
	}
	if r.sStep != StepDone || len(r.sWire) != nonceLen+dhMsgLen || len(r.cWire) != nonceLen+dhMsgLen {
		t.Fatalf("-f server %v, wrote %d/%d", r.sStep, len(r.sWire), len(r.cWire))
	}

	if _, err := NewHandshake(HandshakeConfig{Key: &key, Fast: true, RequireFS: true}); err == nil {
		t.Fatal("Fast with RequireFS accepted")
	}
}

// TestHandshakeSteps pins each role's sequence of steps: the client computes
// 2^e before nonce_S arrives, the server only after y_C checks out, and a
// -f side never computes. A write is "W" where ReadsNext says a read comes
// right after it, "w" where a computation or the end does.
func TestHandshakeSteps(t *testing.T) {
	want := map[string]string{
		"client normal": "w C R W R C D",
		"client -f":     "W R W R D",
		"server normal": "W R C w C D", // both reads in a row; y_S leaves before y_SC
		"server -f":     "W R w D",
	}
	for _, m := range []mode{normal, fastM} {
		key := testKey()
		c, s := newPair(t, &key, m.cfg(), m.cfg())
		var cs, ss []string
		rec := func(h *Handshake, l *[]string) {
			st := "WRCDF"[h.Step() : h.Step()+1]
			if st == "W" && !h.ReadsNext() {
				st = "w"
			}
			if n := len(*l); n == 0 || (*l)[n-1] != st || st == "C" {
				*l = append(*l, st)
			}
		}
		// Record each change of step (every Compute separately).
		exchange(t, c, s, 50, 0, func() { rec(c, &cs); rec(s, &ss) })
		for _, x := range []struct {
			role string
			got  []string
		}{{"client", cs}, {"server", ss}} {
			name := x.role + " " + m.name
			got := fmt.Sprint(x.got)
			got = got[1 : len(got)-1]
			if got != want[name] {
				t.Errorf("%s: steps %q, want %q", name, got, want[name])
			}
		}
	}
}

// TestHandshakeTamper flips each byte of each message in each direction:
// every one must make the receiving side (or its peer) fail, never finish.
func TestHandshakeTamper(t *testing.T) {
	for _, m := range []mode{normal, fastM} {
		for _, fromClient := range []bool{true, false} {
			for off := 0; off < nonceLen+dhMsgLen; off++ {
				key := testKey()
				c, s := newPair(t, &key, m.cfg(), m.cfg())
				r := pumpMangled(t, c, s, func(fc bool, o int, b []byte) {
					if fc == fromClient && off >= o && off < o+len(b) {
						b[off-o] ^= 0x01
					}
				})
				if r.cStep == StepDone && r.sStep == StepDone {
					t.Fatalf("%s: flipping byte %d from client=%v went unnoticed", m.name, off, fromClient)
				}
				// A flipped y or MAC is caught by its receiver; a flipped
				// nonce by whoever checks the next MAC.
				if r.cStep != StepFailed && r.sStep != StepFailed {
					t.Fatalf("%s: byte %d from client=%v: no side failed (%v %v)", m.name, off, fromClient, r.cStep, r.sStep)
				}
				err := r.cErr
				if err == nil {
					err = r.sErr
				}
				if !errors.Is(err, errBadMAC) {
					t.Fatalf("%s: byte %d from client=%v: error %v, want a MAC mismatch", m.name, off, fromClient, err)
				}
			}
		}
	}
}

// forgeDH returns y || HMAC(dhmac, y) as the peer of role would send it for
// the given nonces: what a man in the middle who knows K can do.
func forgeDH(key *[32]byte, nonces []byte, fromClient bool, y *big.Int) []byte {
	var dk1 [64]byte
	pbkdf2One(key, nonces, dk1[:])
	mk := (*[32]byte)(dk1[:32])
	if !fromClient {
		mk = (*[32]byte)(dk1[32:])
	}
	msg := make([]byte, yLen, dhMsgLen)
	y.FillBytes(msg)
	mac := hmacOf(mk, msg)
	return append(msg, mac[:]...)
}

// TestHandshakeValidatesY feeds each role a correctly MACed y at and around
// the limits: y >= p is refused by every side, y == 1 only by -g.
func TestHandshakeValidatesY(t *testing.T) {
	p := bigP(t)
	cases := []struct {
		name string
		y    *big.Int
		err  error // for a normal side
		gErr error // for a -g side
	}{
		{"0", big.NewInt(0), nil, nil},
		{"1", big.NewInt(1), nil, ErrNoForwardSecrecy},
		{"2", big.NewInt(2), nil, nil},
		{"p-1", new(big.Int).Sub(p, big.NewInt(1)), nil, nil},
		{"p", p, errYTooLarge, errYTooLarge},
		{"p+1", new(big.Int).Add(p, big.NewInt(1)), errYTooLarge, errYTooLarge},
		{"2^2048-1", new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1)), errYTooLarge, errYTooLarge},
	}
	nC, nS := spipedtest.Seq(0, 32), spipedtest.Seq(0x20, 32)
	nonces := append(append([]byte{}, nC...), nS...)
	for _, c := range cases {
		for _, role := range []Role{Client, Server} {
			for _, m := range []mode{normal, fastM, fsM} {
				key := testKey()
				mine, peer := nC, nS
				if role == Server {
					mine, peer = nS, nC
				}
				h, err := NewHandshake(HandshakeConfig{Key: &key, Role: role, Fast: m.fast, RequireFS: m.fs,
					Rand: fixedRand(mine, spipedtest.Seq(0x40, 32))})
				if err != nil {
					t.Fatal(err)
				}
				stream := append(append([]byte{}, peer...), forgeDH(&key, nonces, role == Server, c.y)...)
				_, _, gotErr := feed(t, h, stream)
				want := c.err
				if m.fs {
					want = c.gErr
				}
				if !errors.Is(gotErr, want) || (want == nil) != (h.Step() == StepDone) {
					t.Errorf("y=%s role %d %s: step %v error %v, want %v", c.name, role, m.name, h.Step(), gotErr, want)
				}
			}
		}
	}
}

// TestHandshakeInputStopsAtMessages hands each role the peer's whole
// transcript plus data-phase bytes in every call: it must take exactly 32
// and then 288 bytes and leave the rest.
func TestHandshakeInputStopsAtMessages(t *testing.T) {
	for _, m := range []mode{normal, fastM} {
		key := testKey()
		randC := func() *bytes.Reader { return fixedRand(spipedtest.Seq(0x00, 32), spipedtest.Seq(0x40, 32)) }
		randS := func() *bytes.Reader { return fixedRand(spipedtest.Seq(0x20, 32), spipedtest.Seq(0x60, 32)) }
		cfgC, cfgS := m.cfg(), m.cfg()
		cfgC.Rand, cfgS.Rand = randC(), randS()
		c, s := newPair(t, &key, cfgC, cfgS)
		r := pump(t, c, s)
		if r.cStep != StepDone || r.sStep != StepDone {
			t.Fatal("reference pair failed")
		}
		data := bytes.Repeat([]byte{0xd7}, 1060)
		for _, side := range []struct {
			role Role
			rnd  *bytes.Reader
			peer []byte
		}{{Client, randC(), r.sWire}, {Server, randS(), r.cWire}} {
			// The same nonce and x again, so the recorded peer messages fit.
			h, err := NewHandshake(HandshakeConfig{Key: &key, Role: side.role, Fast: m.fast, Rand: side.rnd})
			if err != nil {
				t.Fatal(err)
			}
			took, in, err := feed(t, h, append(append([]byte{}, side.peer...), data...))
			if err != nil {
				t.Fatal(err)
			}
			if h.Step() != StepDone {
				t.Fatalf("role %d %s: %v", side.role, m.name, h.Step())
			}
			if fmt.Sprint(took) != "[32 288]" || !bytes.Equal(in, data) {
				t.Fatalf("role %d %s: took %v, left %d bytes", side.role, m.name, took, len(in))
			}
			if n, err := h.Input(data); n != 0 || err != nil || h.Need() != 0 {
				t.Fatalf("Input after done took %d (%v)", n, err)
			}
		}
	}
}

// TestHandshakeByteByByte feeds every byte separately and sends the output
// one byte at a time.
func TestHandshakeByteByByte(t *testing.T) {
	key := testKey()
	c, s := newPair(t, &key, normal.cfg(), normal.cfg())
	exchange(t, c, s, 5000, 1, nil)
	if c.Step() != StepDone || s.Step() != StepDone {
		t.Fatalf("steps %v %v", c.Step(), s.Step())
	}
	cSend, _ := c.Keys()
	_, sRecv := s.Keys()
	if *cSend != *sRecv {
		t.Fatal("keys differ")
	}
}

// TestHandshakeWipe checks that a finished machine keeps only the keys, and
// that Wipe zeroes those too and ends the machine.
func TestHandshakeWipe(t *testing.T) {
	key := testKey()
	c, s := newPair(t, &key, normal.cfg(), normal.cfg())
	pump(t, c, s)
	for _, h := range []*Handshake{c, s} {
		if h.key != [32]byte{} || h.x != [32]byte{} || h.dhmac != [2][32]byte{} || h.ySC != [yLen]byte{} {
			t.Fatal("a finished handshake still holds K, x, dk1 or y_SC")
		}
		send, recv := h.Keys()
		h.Wipe()
		if *send != (DirectionKeys{}) || *recv != (DirectionKeys{}) {
			t.Fatal("Wipe left the keys")
		}
		if h.Step() != StepFailed || h.Output() != nil {
			t.Fatal("a wiped machine is still usable")
		}
		if s, r := h.Keys(); s != nil || r != nil {
			t.Fatal("Keys after Wipe")
		}
	}
	// A failing machine wipes itself.
	k2 := sha256.Sum256(nil)
	c, _ = NewHandshake(HandshakeConfig{Key: &key, Role: Client})
	s, _ = NewHandshake(HandshakeConfig{Key: &k2, Role: Server})
	r := pump(t, c, s)
	if r.sStep != StepFailed || s.key != [32]byte{} || s.x != [32]byte{} || s.dhmac != [2][32]byte{} {
		t.Fatal("a failed machine kept its secrets")
	}
}

func TestHandshakeRandError(t *testing.T) {
	key := testKey()
	if _, err := NewHandshake(HandshakeConfig{Key: &key, Rand: bytes.NewReader(make([]byte, 40))}); err == nil {
		t.Fatal("a short random source was accepted")
	}
	if _, err := NewHandshake(HandshakeConfig{Key: &key, Fast: true, Rand: bytes.NewReader(make([]byte, 32))}); err != nil {
		t.Fatalf("-f needs only a nonce: %v", err)
	}
}

func benchmarkHandshake(b *testing.B, m mode) {
	key := testKey()
	dhGroup()
	b.ReportAllocs()
	cpuLoop(b, func() {
		c, s := newPair(b, &key, m.cfg(), m.cfg())
		r := pump(b, c, s)
		if r.cStep != StepDone || r.sStep != StepDone {
			b.Fatal("handshake failed")
		}
	})
}

// BenchmarkHandshake is one forward-secret client and server pair, all the
// work of both ends of one connection.
func BenchmarkHandshake(b *testing.B) { benchmarkHandshake(b, normal) }

// BenchmarkHandshakeFast is the same with -f on both ends.
func BenchmarkHandshakeFast(b *testing.B) { benchmarkHandshake(b, fastM) }

// patternRand fills every read with one byte value, allocating nothing.
type patternRand byte

func (p patternRand) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p)
	}
	return len(b), nil
}

// TestHandshakeReset checks that a machine reset for another handshake,
// whatever it did before (finished, failed, another role or mode), runs
// exactly as a new one drawing the same random bytes, and that resetting
// allocates nothing.
func TestHandshakeReset(t *testing.T) {
	key := testKey()
	other := sha256.Sum256([]byte("another key"))
	cfg := func(k *[32]byte, r Role, m mode, rnd byte) HandshakeConfig {
		c := m.cfg()
		c.Key, c.Role, c.Rand = k, r, patternRand(rnd)
		return c
	}
	// Used machines: a finished pair, wiped, and a pair that failed (the
	// keys differ), not wiped by hand.
	c1, _ := NewHandshake(cfg(&key, Client, normal, 1))
	s1, _ := NewHandshake(cfg(&key, Server, normal, 2))
	pump(t, c1, s1)
	c1.Wipe()
	s1.Wipe()
	c2, _ := NewHandshake(cfg(&key, Client, fastM, 3))
	s2, _ := NewHandshake(cfg(&other, Server, fastM, 4))
	if r := pump(t, c2, s2); r.sStep != StepFailed {
		t.Fatal("the pair with different keys did not fail")
	}
	// And a pair cut off mid-message (a connection that timed out).
	var cut [2]*Handshake
	for i, r := range []Role{Client, Server} {
		cut[i], _ = NewHandshake(cfg(&key, r, fastM, 8))
		cut[i].Wrote(len(cut[i].Output()))
		if n, err := cut[i].Input(make([]byte, 10)); n != 10 || err != nil {
			t.Fatalf("partial input: %d, %v", n, err)
		}
		cut[i].Wipe()
	}
	for _, m := range []mode{normal, fastM} {
		for _, used := range [][2]*Handshake{{c1, s1}, {s2, c2}, cut} { // roles swapped too
			fc, _ := NewHandshake(cfg(&key, Client, m, 5))
			fs, _ := NewHandshake(cfg(&key, Server, m, 6))
			want := pump(t, fc, fs)
			rc, rs := used[0], used[1]
			if err := rc.Reset(cfg(&key, Client, m, 5)); err != nil {
				t.Fatal(err)
			}
			if err := rs.Reset(cfg(&key, Server, m, 6)); err != nil {
				t.Fatal(err)
			}
			got := pump(t, rc, rs)
			if got.cStep != StepDone || got.sStep != StepDone ||
				!bytes.Equal(got.cWire, want.cWire) || !bytes.Equal(got.sWire, want.sWire) {
				t.Fatalf("%s: a reset pair ran differently from a new one: steps %v %v", m.name, got.cStep, got.sStep)
			}
			gs, gr := rc.Keys()
			ws, wr := fc.Keys()
			if *gs != *ws || *gr != *wr {
				t.Fatalf("%s: a reset pair derived other keys", m.name)
			}
			rc.Wipe()
			rs.Wipe()
		}
	}
	if err := c1.Reset(HandshakeConfig{Role: Client}); err == nil {
		t.Fatal("Reset without a key was accepted")
	}
	reuse := cfg(&key, Server, fastM, 7)
	if n := testing.AllocsPerRun(100, func() {
		if err := c1.Reset(reuse); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Reset allocates %.0f times", n)
	}
}
