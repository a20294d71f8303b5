//go:build linux

package engine

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// endLog collects what a server reports through OnEnd.
type endLog struct {
	mu   sync.Mutex
	ends []ConnEnd
}

func (e *endLog) add(c *ConnEnd) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cp := *c
	if c.Target != nil {
		t := *c.Target
		cp.Target = &t
	}
	e.ends = append(e.ends, cp)
}

// wait returns the first end with cause, waiting up to 5 s.
func (e *endLog) wait(t *testing.T, who string, cause Cause) ConnEnd {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		for _, c := range e.ends {
			if c.Cause == cause {
				e.mu.Unlock()
				return c
			}
		}
		got := fmt.Sprint(e.ends)
		e.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%s reported no %q end; it reported %s", who, cause, got)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Every cause in the vocabulary comes from a real fault, and the server
// reports it through OnEnd and counts it.
func TestEndCauses(t *testing.T) {
	key := sha256.Sum256([]byte("causes"))
	other := sha256.Sum256([]byte("another key"))
	echoSpec := service(t, spipedtest.EchoConn)
	closedSpec := spipedtest.FreeSpec(t)

	type setup struct {
		e, d   Config
		target string // -d's target (the -e's is -d, possibly via tamper)
		tamper bool
	}
	cases := []struct {
		name  string
		cause Cause
		side  string // which daemon reports it: "e" or "d"
		setup setup
		act   func(t *testing.T, addr string, e, d *Server)
	}{
		{"done", CauseDone, "e", setup{target: echoSpec}, func(t *testing.T, addr string, e, d *Server) {
			c := dialTCP(t, addr)
			roundTrip(t, c, "hello")
			closeWriteConn(t, c)
			io.Copy(io.Discard, c)
			c.Close()
		}},
		{"target refused", CauseTargetRefused, "d", setup{target: closedSpec}, dropped},
		{"connect timeout", CauseConnectTimeout, "d", setup{d: Config{Timeout: 300 * time.Millisecond}}, dropped},
		{"handshake failed", CauseHandshakeFailed, "d", setup{e: Config{Key: other}, target: echoSpec}, dropped},
		{"fs refused", CauseFSRefused, "d", setup{e: Config{Fast: true}, d: Config{RequireFS: true}, target: echoSpec}, dropped},
		{"handshake timeout", CauseHandshakeTimeout, "d", setup{d: Config{Timeout: 300 * time.Millisecond}, target: echoSpec}, func(t *testing.T, addr string, e, d *Server) {
			// A client of -d that never speaks.
			src := d.cfg.Source
			c := dialTCP(t, fmt.Sprintf("127.0.0.1:%d", src.AddrPort.Port()))
			defer c.Close()
			io.Copy(io.Discard, c)
		}},
		{"bad packet", CauseBadPacket, "d", setup{target: echoSpec, tamper: true}, func(t *testing.T, addr string, e, d *Server) {
			c := dialTCP(t, addr)
			defer c.Close()
			c.Write([]byte("tampered on the way"))
			io.Copy(io.Discard, c)
		}},
		{"reset", CauseReset, "e", setup{target: echoSpec}, func(t *testing.T, addr string, e, d *Server) {
			c := dialTCP(t, addr)
			roundTrip(t, c, "then a reset")
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
		{"limit", CauseLimit, "e", setup{e: Config{MaxConns: 1}, target: echoSpec}, func(t *testing.T, addr string, e, d *Server) {
			first := dialTCP(t, addr)
			defer first.Close()
			roundTrip(t, first, "holding the only slot")
			second := dialTCP(t, addr)
			defer second.Close()
		}},
		{"shutdown", CauseShutdown, "e", setup{target: echoSpec}, func(t *testing.T, addr string, e, d *Server) {
			c := dialTCP(t, addr)
			defer c.Close()
			roundTrip(t, c, "idle after this")
			e.Shutdown()
			e.Abort()
			io.Copy(io.Discard, c)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var elog, dlog endLog
			s := tc.setup
			if s.target == "" {
				s.target = fmt.Sprintf("[127.0.0.1]:%d", slowTarget(t, spipedtest.EchoConn).AddrPort.Port())
			}
			s.d.OnEnd, s.e.OnEnd = dlog.add, elog.add
			if s.e.Key == ([32]byte{}) {
				s.e.Key = key
			}
			s.d.Key, s.e.Encrypt = key, true
			d, dspec, dial := startOurs(t, s.d, tcp4, s.target)
			if s.tamper {
				dspec = spipedtest.NewTamper(t, dial, 32+288+10).Spec()
			}
			e, _, addr := startOurs(t, s.e, tcp4, dspec)
			tc.act(t, addr, e, d)
			srv, log := e, &elog
			if tc.side == "d" {
				srv, log = d, &dlog
			}
			log.wait(t, tc.side, tc.cause)
			if n := srv.Stats().Ended[tc.cause]; n < 1 {
				t.Errorf("Stats().Ended[%s] = %d", tc.cause, n)
			}
		})
	}
}

// dropped dials addr and waits for the daemons to drop the connection.
func dropped(t *testing.T, addr string, e, d *Server) {
	c := dialTCP(t, addr)
	defer c.Close()
	c.Write([]byte("anyone there?"))
	io.Copy(io.Discard, c)
}

// An end reports the peer, the target, the duration and the plaintext
// bytes each way, as they were.
func TestEndRecord(t *testing.T) {
	var elog, dlog endLog
	key := sha256.Sum256([]byte("record"))
	target := service(t, func(c net.Conn) {
		io.CopyN(io.Discard, c, 3000)
		c.Write(make([]byte, 70000))
	})
	d, dspec, _ := startOurs(t, Config{Key: key, OnEnd: dlog.add}, tcp4, target)
	_, _, addr := startOurs(t, Config{Encrypt: true, Key: key, OnEnd: elog.add}, tcp4, dspec)
	c := dialTCP(t, addr)
	c.Write(make([]byte, 3000))
	if n, _ := io.Copy(io.Discard, c); n != 70000 {
		t.Fatalf("client got %d bytes back, want 70000", n)
	}
	c.Close()
	client := netip.MustParseAddrPort(c.LocalAddr().String())
	for _, x := range []struct {
		who    string
		log    *endLog
		target string
	}{{"e", &elog, dspec}, {"d", &dlog, target}} {
		end := x.log.wait(t, x.who, CauseDone)
		if end.ToTarget != 3000 || end.ToSource != 70000 {
			t.Errorf("%s: %d bytes to target, %d back; want 3000 and 70000", x.who, end.ToTarget, end.ToSource)
		}
		if end.Target == nil || fmt.Sprintf("[127.0.0.1]:%d", end.Target.AddrPort.Port()) != x.target {
			t.Errorf("%s: target %+v, want %s", x.who, end.Target, x.target)
		}
		if end.Duration <= 0 || end.Duration > 5*time.Second {
			t.Errorf("%s: duration %v", x.who, end.Duration)
		}
		if !end.Peer.IsValid() || !end.Peer.Addr().IsLoopback() {
			t.Errorf("%s: peer %v", x.who, end.Peer)
		}
	}
	if p := elog.wait(t, "e", CauseDone).Peer; p != client {
		t.Errorf("-e reports peer %v, want the client %v", p, client)
	}
	st := d.Stats()
	if st.Handshakes != 1 || st.HandshakeTime.Count != 1 || st.ConnectTime.Count != 1 {
		t.Errorf("-d counted %d handshakes, timed %d handshakes and %d connects; want 1 each",
			st.Handshakes, st.HandshakeTime.Count, st.ConnectTime.Count)
	}
}

// SetKey switches new connections to the new key; one already open keeps
// the key it started with.
func TestSetKey(t *testing.T) {
	k1, k2 := sha256.Sum256([]byte("first")), sha256.Sum256([]byte("second"))
	echoSpec := service(t, spipedtest.EchoConn)
	d, dspec, _ := startOurs(t, Config{Key: k1}, tcp4, echoSpec)
	_, _, old := startOurs(t, Config{Encrypt: true, Key: k1}, tcp4, dspec)
	_, _, fresh := startOurs(t, Config{Encrypt: true, Key: k2}, tcp4, dspec)
	held := dialTCP(t, old)
	defer held.Close()
	roundTrip(t, held, "before the switch")

	d.SetKey(k2)
	waitFor(t, "the new key to be in force", func() bool {
		c := dialTCP(t, fresh)
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("x")); err != nil {
			return false
		}
		b := make([]byte, 1)
		_, err := io.ReadFull(c, b)
		return err == nil
	})
	roundTrip(t, held, "after the switch, on the old key")
	c := dialTCP(t, old)
	defer c.Close()
	c.Write([]byte("a new connection on the old key"))
	if n, _ := io.Copy(io.Discard, c); n != 0 {
		t.Errorf("a new connection with the old key got %d bytes through", n)
	}
}

// -P: the target reads a PROXY v1 line naming the true client before any
// data, whether -e carries it inside the encrypted stream or -d adds it.
func TestProxyHeader(t *testing.T) {
	key := sha256.Sum256([]byte("proxy"))
	for _, side := range []string{"e", "d"} {
		t.Run(side, func(t *testing.T) {
			got := make(chan string, 1)
			target := service(t, func(c net.Conn) {
				b, _ := io.ReadAll(c)
				got <- string(b)
			})
			d, dspec, _ := startOurs(t, Config{Key: key, ProxyHeader: side == "d"}, tcp4, target)
			_, espec, addr := startOurs(t, Config{Encrypt: true, Key: key, ProxyHeader: side == "e"}, tcp4, dspec)
			c := dialTCP(t, addr)
			c.Write([]byte("payload"))
			closeWriteConn(t, c)
			io.Copy(io.Discard, c)
			c.Close()
			var want string
			if side == "e" {
				// The client as -e saw it, and the address it connected to.
				cl := c.LocalAddr().(*net.TCPAddr)
				dst := espec[len("[127.0.0.1]:"):]
				want = fmt.Sprintf("PROXY TCP4 127.0.0.1 127.0.0.1 %d %s\r\npayload", cl.Port, dst)
			} else {
				want = fmt.Sprintf("PROXY TCP4 127.0.0.1 127.0.0.1 PORT %d\r\npayload", d.cfg.Source.AddrPort.Port())
			}
			select {
			case s := <-got:
				if side == "d" {
					// -d's peer is -e's outgoing socket, whose port is not known here.
					var sport int
					fmt.Sscanf(s, "PROXY TCP4 127.0.0.1 127.0.0.1 %d", &sport)
					want = fmt.Sprintf("PROXY TCP4 127.0.0.1 127.0.0.1 %d %d\r\npayload", sport, d.cfg.Source.AddrPort.Port())
					if sport == 0 {
						t.Fatalf("target read %q", s)
					}
				}
				if s != want {
					t.Fatalf("target read %q, want %q", s, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing reached the target")
			}
		})
	}
}

// A passed listening socket (socket activation) is served as is.
func TestListenFD(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	key := sha256.Sum256([]byte("activated"))
	_, dspec, _ := startOurs(t, Config{Key: key}, tcp4, service(t, spipedtest.EchoConn))
	tgt, _ := Resolve(dspec)
	srv, err := Listen(Config{Encrypt: true, Key: key, TargetAddrs: tgt, Target: dspec, ListenFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() { srv.Shutdown(); <-done }()
	c := dialTCP(t, ln.Addr().String())
	defer c.Close()
	roundTrip(t, c, "through a passed socket")

	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(null)
	if _, err := Listen(Config{Encrypt: true, Key: key, TargetAddrs: tgt, ListenFD: null}); err == nil {
		t.Error("Listen took a descriptor that is not a listening socket")
	}
}

// Clients that arrive together make one edge: the one left queued behind
// the -n limit is still reported.
func TestLimitReportsClientsArrivingTogether(t *testing.T) {
	var elog endLog
	spec := spipedtest.FreeSpec(t)
	dial := spipedtest.DialAddr(spec)
	src, _ := Resolve(spec)
	tgt, _ := Resolve(service(t, spipedtest.EchoConn))
	srv, err := Listen(Config{Encrypt: true, Source: src[0], TargetAddrs: tgt, MaxConns: 1, OnEnd: elog.add, Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	// Both wait in the kernel's queue before the loop first looks.
	for range 2 {
		c := dialTCP(t, dial)
		defer c.Close()
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() { srv.Shutdown(); srv.Abort(); <-done }()
	elog.wait(t, "e", CauseLimit)
	if n := srv.Stats().Queued; n != 1 {
		t.Errorf("Queued = %d, want 1", n)
	}
}
