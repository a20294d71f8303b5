package spipedtest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"
)

// newServer is an upstream for the tests: each connection goes to handle,
// with a deadline.
func newServer(t *testing.T, handle func(*net.TCPConn)) *Service {
	return NewService(t, "", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		handle(c.(*net.TCPConn))
	})
}

// echo copies a connection back and half-closes at its EOF.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
}

func newRelay(t *testing.T, cfg RelayConfig) *Relay {
	t.Helper()
	r, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// A round trip through the relay takes at least both delays, and on an
// idle path not much more.
func TestRelayDelay(t *testing.T) {
	for _, d := range []struct{ up, down time.Duration }{{25 * time.Millisecond, 25 * time.Millisecond}, {40 * time.Millisecond, 10 * time.Millisecond}} {
		t.Run(fmt.Sprintf("%v+%v", d.up, d.down), func(t *testing.T) {
			up := newServer(t, echo)
			r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: d.up, DownDelay: d.down})
			c := dial(t, r.Addr())
			want := d.up + d.down
			fastest := time.Hour
			buf := make([]byte, 8)
			for i := range 5 {
				msg := fmt.Sprintf("ping %03d", i)
				start := time.Now()
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
					t.Fatalf("round trip %d: %q, %v", i, buf, err)
				}
				rtt := time.Since(start)
				if rtt < want {
					t.Errorf("round trip %d took %v; the relay holds %v", i, rtt, want)
				}
				fastest = min(fastest, rtt)
			}
			// The fastest of five, so a loaded machine's one slow
			// wake-up does not count; 100 ms is far beyond what the
			// relay itself adds.
			if fastest > want+100*time.Millisecond {
				t.Errorf("fastest round trip %v; want about %v", fastest, want)
			}
			if r.Accepted() != 1 {
				t.Errorf("Accepted() = %d, want 1", r.Accepted())
			}
		})
	}
}

// sendAndHash writes data to c (then CloseWrite) while reading c to EOF,
// and checks that the same bytes came back.
func sendAndHash(t *testing.T, c *net.TCPConn, data []byte) {
	t.Helper()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		c.CloseWrite()
		werr <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		t.Fatalf("read after %d bytes: %v", n, err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
	want := sha256.Sum256(data)
	if n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("echo returned %d bytes (SHA-256 match %v); sent %d", n, bytes.Equal(h.Sum(nil), want[:]), len(data))
	}
}

func randomData(seed uint64, n int) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0] = byte(seed)
	rand.NewChaCha8(s).Read(b)
	return b
}

// Megabytes both ways, byte for byte; with a small hold bound the relay
// stops reading instead of holding more than the bound.
func TestRelayBulk(t *testing.T) {
	for _, maxHeld := range []int{0, 64 << 10} {
		t.Run(fmt.Sprintf("maxHeld=%d", maxHeld), func(t *testing.T) {
			up := newServer(t, echo)
			r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: 5 * time.Millisecond, DownDelay: 5 * time.Millisecond, MaxHeld: maxHeld})
			start := time.Now()
			sendAndHash(t, dial(t, r.Addr()), randomData(1, 4<<20))
			t.Logf("4 MiB echoed in %v; peak held %d bytes", time.Since(start).Round(time.Millisecond), r.PeakHeld())
			bound := maxHeld
			if bound == 0 {
				bound = defaultMaxHeld
			}
			if r.PeakHeld() > bound || r.PeakHeld() == 0 {
				t.Errorf("PeakHeld() = %d; bound %d", r.PeakHeld(), bound)
			}
		})
	}
}

// A half-close crosses after the data before it, in both directions, and
// the other direction keeps working.
func TestRelayHalfClose(t *testing.T) {
	t.Run("client-first", func(t *testing.T) {
		up := newServer(t, func(c *net.TCPConn) {
			n, _ := io.Copy(io.Discard, c)
			fmt.Fprintf(c, "got %d", n)
		})
		r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: 25 * time.Millisecond, DownDelay: 25 * time.Millisecond})
		c := dial(t, r.Addr())
		if _, err := c.Write(make([]byte, 100000)); err != nil {
			t.Fatal(err)
		}
		c.CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "got 100000" {
			t.Fatalf("after CloseWrite: %q, %v; want \"got 100000\" then EOF", got, err)
		}
	})
	t.Run("upstream-first", func(t *testing.T) {
		rest := make(chan string, 1)
		up := newServer(t, func(c *net.TCPConn) {
			c.Write([]byte("hello"))
			c.CloseWrite()
			b, _ := io.ReadAll(c)
			rest <- string(b)
		})
		r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: 25 * time.Millisecond, DownDelay: 25 * time.Millisecond})
		c := dial(t, r.Addr())
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "hello" {
			t.Fatalf("client read %q, %v; want \"hello\" then EOF", got, err)
		}
		c.Write([]byte("bye"))
		c.CloseWrite()
		select {
		case s := <-rest:
			if s != "bye" {
				t.Errorf("upstream read %q after its own half-close; want \"bye\"", s)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("upstream did not see the client's EOF")
		}
	})
}

// A reset on either side reaches the other side as a reset, after about
// the delay.
func TestRelayReset(t *testing.T) {
	const delay = 25 * time.Millisecond
	t.Run("client-resets", func(t *testing.T) {
		ended := make(chan error, 1)
		up := newServer(t, func(c *net.TCPConn) {
			_, err := io.Copy(io.Discard, c)
			ended <- err
		})
		r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: delay, DownDelay: delay})
		c := dial(t, r.Addr())
		c.Write([]byte("some data"))
		time.Sleep(2 * delay)
		start := time.Now()
		c.SetLinger(0)
		c.Close()
		select {
		case err := <-ended:
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("upstream's read ended with %v; want ECONNRESET", err)
			}
			if took := time.Since(start); took < delay {
				t.Errorf("the reset crossed in %v; the relay holds %v", took, delay)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("upstream did not see the client's reset")
		}
	})
	t.Run("upstream-resets", func(t *testing.T) {
		up := newServer(t, func(c *net.TCPConn) {
			buf := make([]byte, 4)
			io.ReadFull(c, buf)
			c.SetLinger(0)
		})
		r := newRelay(t, RelayConfig{Upstream: up.Addr(), UpDelay: delay, DownDelay: delay})
		c := dial(t, r.Addr())
		c.Write([]byte("ping"))
		_, err := io.Copy(io.Discard, c)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client's read ended with %v; want ECONNRESET", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for r.Active() != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if r.Active() != 0 {
			t.Errorf("Active() = %d after the reset; want 0", r.Active())
		}
	})
}

// Pacing holds a transfer to about the configured rate.
func TestRelayPacing(t *testing.T) {
	const rate, size = 1 << 20, 400 << 10 // 0.39 s of data
	done := make(chan time.Duration, 1)
	up := newServer(t, func(c *net.TCPConn) {
		start := time.Now()
		n, _ := io.Copy(io.Discard, c)
		if n != size {
			done <- -1
			return
		}
		done <- time.Since(start)
	})
	r := newRelay(t, RelayConfig{Upstream: up.Addr(), Rate: rate})
	c := dial(t, r.Addr())
	c.Write(make([]byte, size))
	c.CloseWrite()
	took := <-done
	want := time.Duration(size) * time.Second / rate
	t.Logf("%d bytes at %d B/s took %v (ideal %v)", size, rate, took.Round(time.Millisecond), want.Round(time.Millisecond))
	if took < 0 {
		t.Fatal("upstream received the wrong number of bytes")
	}
	if took < want*8/10 || took > want*3 {
		t.Errorf("transfer took %v; at the configured rate it takes %v", took, want)
	}
}

// The upstream connect waits for DialDelay; Close ends what is relayed.
func TestRelayDialDelayAndClose(t *testing.T) {
	accepted := make(chan time.Time, 1)
	up := newServer(t, func(c *net.TCPConn) {
		accepted <- time.Now()
		io.Copy(io.Discard, c)
	})
	r, err := NewRelay(RelayConfig{Upstream: up.Addr(), DialDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := dial(t, r.Addr())
	c.Write([]byte("early"))
	select {
	case at := <-accepted:
		if at.Sub(start) < 200*time.Millisecond {
			t.Errorf("upstream connect after %v; DialDelay is 200 ms", at.Sub(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no upstream connect")
	}
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := io.Copy(io.Discard, c); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client's connection after Close ended with %v; want a reset", err)
	}
	if _, err := net.DialTimeout("tcp4", r.Addr(), time.Second); err == nil {
		t.Error("the relay still accepts after Close")
	}
}
