//go:build linux

package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// pipeRig is one connection in its data phase, on a loop the test drives
// by hand, between two socketpairs: the test holds the outer ends.
type pipeRig struct {
	t            testing.TB
	l            *loop
	c            *conn
	plain, crypt int            // outer ends: the plaintext peer and the encrypted peer
	peerOpen     *cipher.Opener // opens what the connection seals
	peerSeal     *cipher.Sealer // seals what the connection opens
}

func testKeys(b byte) cipher.DirectionKeys {
	var k cipher.DirectionKeys
	for i := range k.Enc {
		k.Enc[i], k.Mac[i] = b+byte(i), b^byte(i)
	}
	return k
}

func socketpair(t testing.TB) [2]int {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds
}

func newPipeRig(t testing.TB) *pipeRig {
	srv := &Server{cfg: Config{Encrypt: true}}
	srv.conns = srv.connParams([32]byte{})
	l, err := newLoop()
	if err != nil {
		t.Fatal(err)
	}
	srv.loops = []*loop{l}
	if l.p.pinsThread() {
		// The rig runs the loop on the test's goroutine.
		runtime.LockOSThread()
		t.Cleanup(runtime.UnlockOSThread)
	}
	p, cr := socketpair(t), socketpair(t)
	// A -e connection: accepted plaintext, dialled ciphertext.
	c := &conn{l: l, p: srv.conns.hold(), accepted: p[0], dialled: cr[0]}
	c.fwd.init(c)
	c.rev.init(c)
	c.connT, c.hsT = newTimer(nil), newTimer(nil)
	for _, fd := range []int{p[0], cr[0]} {
		if err := l.register(fd, c, fdConnected); err != nil {
			t.Fatal(err)
		}
	}
	send, recv := testKeys(1), testKeys(2)
	c.fwd.seal, c.rev.open = cipher.NewSealer(&send), cipher.NewOpener(&recv)
	c.fwd.ready(evRead)
	c.rev.ready(evRead)
	srv.stats.open.Add(1)
	c.startData()
	r := &pipeRig{t: t, l: l, c: c, plain: p[1], crypt: cr[1],
		peerOpen: cipher.NewOpener(&send), peerSeal: cipher.NewSealer(&recv)}
	t.Cleanup(func() {
		unix.Close(r.plain)
		unix.Close(r.crypt)
		r.c.close(CauseShutdown)
		l.closeReleased()
		l.shutdown()
	})
	return r
}

// pump runs the loop until cond holds (at most a few thousand iterations).
func (r *pipeRig) pump(cond func() bool) {
	r.t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		if err := r.l.poll(1); err != nil {
			r.t.Fatal(err)
		}
	}
	if !cond() {
		r.t.Fatal("condition not reached")
	}
}

// feed writes data to fd in chunks of the sizes next returns, running the
// loop after each, and returns what arrives on out once it holds want bytes.
func (r *pipeRig) feed(fd, out int, data []byte, want int, next func() int) []byte {
	r.t.Helper()
	var got []byte
	for off := 0; off < len(data); {
		n := min(next(), len(data)-off)
		r.writeAll(fd, data[off:off+n])
		off += n
		r.l.poll(0)
		got, _ = readAvail(out, got)
	}
	r.pump(func() bool {
		got, _ = readAvail(out, got)
		return len(got) >= want
	})
	return got
}

// idle runs the loop until done holds, then checks that the idle
// connection holds no batch.
func (r *pipeRig) idle(done func() bool) {
	r.t.Helper()
	r.pump(done)
	if r.l.pool.Out() != 0 {
		r.t.Fatalf("%d batches held by an idle connection", r.l.pool.Out())
	}
}

// writeAll writes p to fd, running the loop whenever the socket is full.
func (r *pipeRig) writeAll(fd int, p []byte) {
	r.t.Helper()
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EAGAIN {
			r.l.poll(1)
			continue
		}
		if err != nil {
			r.t.Fatal(err)
		}
		p = p[n:]
	}
}

// readAvail appends whatever fd has to buf; eof reports end of stream.
func readAvail(fd int, buf []byte) ([]byte, bool) {
	var tmp [64 << 10]byte
	for {
		n, err := unix.Read(fd, tmp[:])
		if n > 0 {
			buf = append(buf, tmp[:n]...)
			continue
		}
		return buf, err == nil || err == unix.ECONNRESET
	}
}

// openAll opens a stream of whole packets with o and returns the messages.
func openAll(t *testing.T, o *cipher.Opener, wire []byte) []byte {
	t.Helper()
	if len(wire)%cipher.PacketSize != 0 {
		t.Fatalf("%d wire bytes: not whole packets", len(wire))
	}
	var out []byte
	for len(wire) > 0 {
		pkt := append([]byte(nil), wire[:cipher.PacketSize]...)
		n, err := o.Open(pkt)
		if err != nil {
			t.Fatalf("opening a packet: %v", err)
		}
		out = append(out, pkt[:n]...)
		wire = wire[cipher.PacketSize:]
	}
	return out
}

func TestPipeSealsStream(t *testing.T) {
	r := newPipeRig(t)
	data := spipedtest.RandomBytes(1, "", 300_000)
	chunk := []int{1, 1023, 1024, 1025, 65536, 70000, 5}
	i := 0
	wire := r.feed(r.plain, r.crypt, data, (len(data)+1023)/1024*1060, func() int { i++; return chunk[(i-1)%len(chunk)] })
	if got := openAll(t, r.peerOpen, wire); !bytes.Equal(got, data) {
		t.Fatalf("sealed stream carries %d bytes, differing from the %d written", len(got), len(data))
	}
	r.idle(func() bool { return r.c.fwd.b == nil })
}

func TestPipeOpensStream(t *testing.T) {
	r := newPipeRig(t)
	rnd := rand.New(rand.NewPCG(3, 4))
	var wire, want []byte
	for range 400 {
		msg := spipedtest.RandomBytes(rnd.Uint64(), "", 1+rnd.IntN(1024))
		pkt := make([]byte, cipher.PacketSize)
		copy(pkt, msg)
		r.peerSeal.Seal(pkt, len(msg))
		wire = append(wire, pkt...)
		want = append(want, msg...)
	}
	// Odd chunk sizes: partial packets wait in the batch for their rest.
	got := r.feed(r.crypt, r.plain, wire, len(want), func() int { return 1 + rnd.IntN(5000) })
	if !bytes.Equal(got, want) {
		t.Fatalf("opened %d bytes, differing from the %d sealed", len(got), len(want))
	}
	r.idle(func() bool { return r.c.rev.b == nil })
}

func TestPipeBackpressure(t *testing.T) {
	r := newPipeRig(t)
	unix.SetsockoptInt(r.c.dialled, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	// Fill the plaintext side until it blocks, never reading the other end.
	data := spipedtest.RandomBytes(2, "", 1<<20)
	off := 0
	for off < len(data) {
		n, err := unix.Write(r.plain, data[off:min(off+65536, len(data))])
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		off += n
		r.l.poll(0)
	}
	for range 50 {
		r.l.poll(0)
	}
	up := &r.c.fwd
	if up.b == nil || up.woff >= up.wend {
		t.Fatal("the sealing pipe has no unsent output although its output is full")
	}
	if r.l.pool.Out() != 1 {
		t.Fatalf("%d batches out, want the one in flight", r.l.pool.Out())
	}
	queued, err := unix.IoctlGetInt(r.c.accepted, unix.SIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	if queued == 0 {
		t.Fatal("the pipe kept reading plaintext while its output was blocked")
	}
	// Drain: everything written arrives intact and the batch goes back.
	var wire []byte
	want := (off + 1023) / 1024 * 1060
	r.pump(func() bool {
		wire, _ = readAvail(r.crypt, wire)
		return len(wire) >= want
	})
	got := openAll(t, r.peerOpen, wire)
	if !bytes.Equal(got, data[:off]) {
		t.Fatalf("%d bytes through, differing from the %d written", len(got), off)
	}
	r.pump(func() bool { return r.l.pool.Out() == 0 })
}

func TestPipeBadPacketDrops(t *testing.T) {
	r := newPipeRig(t)
	pkt := make([]byte, cipher.PacketSize)
	copy(pkt, "hello")
	r.peerSeal.Seal(pkt, 5)
	pkt[3] ^= 1
	r.writeAll(r.crypt, pkt)
	r.pump(func() bool { return r.c.state == closed })
	r.l.closeReleased()
	r.l.poll(0) // an io_uring poller closes with its next wait
	if n := r.c.p.stats.ended[CauseBadPacket].Load(); n != 1 {
		t.Fatalf("badPackets = %d", n)
	}
	if got, eof := readAvail(r.plain, nil); len(got) != 0 || !eof {
		t.Fatalf("plaintext side got %q (eof %v) after a forged packet", got, eof)
	}
	if r.l.pool.Out() != 0 {
		t.Fatal("a dropped connection kept its batch")
	}
}

func TestPipeHalfClose(t *testing.T) {
	r := newPipeRig(t)
	r.writeAll(r.plain, []byte("question"))
	unix.Shutdown(r.plain, unix.SHUT_WR)
	var wire []byte
	eof := false
	r.pump(func() bool {
		wire, eof = readAvail(r.crypt, wire)
		return eof
	})
	if got := openAll(t, r.peerOpen, wire); string(got) != "question" {
		t.Fatalf("sealed %q", got)
	}
	if r.c.state == closed {
		t.Fatal("one finished direction closed the connection")
	}
	// The reply after the client's EOF still arrives.
	pkt := make([]byte, cipher.PacketSize)
	copy(pkt, "answer")
	r.peerSeal.Seal(pkt, 6)
	r.writeAll(r.crypt, pkt)
	var got []byte
	r.pump(func() bool {
		got, _ = readAvail(r.plain, got)
		return len(got) >= 6
	})
	if string(got) != "answer" {
		t.Fatalf("opened %q", got)
	}
	unix.Shutdown(r.crypt, unix.SHUT_WR)
	r.pump(func() bool { return r.c.state == closed })
	if r.l.pool.Out() != 0 {
		t.Fatal("a closed connection kept a batch")
	}
}

func TestPipeEOFMidPacket(t *testing.T) {
	r := newPipeRig(t)
	pkt := make([]byte, cipher.PacketSize)
	copy(pkt, "partial")
	r.peerSeal.Seal(pkt, 7)
	r.writeAll(r.crypt, pkt[:500])
	unix.Shutdown(r.crypt, unix.SHUT_WR)
	var got []byte
	eof := false
	r.pump(func() bool {
		got, eof = readAvail(r.plain, got)
		return eof
	})
	if len(got) != 0 {
		t.Fatalf("a partial packet delivered %q", got)
	}
	if r.c.state == closed || !r.c.rev.shut {
		t.Fatal("EOF mid-packet should end only that direction, cleanly")
	}
}

// A write interrupted by a signal is made again at once: under
// edge-triggered polling no further edge would report the socket writable.
// (The write system call is epoll's: io_uring's poller takes this write.)
func TestPipeRetriesInterruptedWrite(t *testing.T) {
	t.Setenv("SPIPED_POLLER", "epoll")
	r := newPipeRig(t)
	var interrupted atomic.Int32
	rawSyscall = func(trap, a1, a2, a3 uintptr) (uintptr, uintptr, unix.Errno) {
		if trap == unix.SYS_WRITE && int(a1) == r.c.dialled && interrupted.Add(1) == 1 {
			return 0, 0, unix.EINTR
		}
		return unix.RawSyscall(trap, a1, a2, a3)
	}
	t.Cleanup(func() { rawSyscall = unix.RawSyscall })
	msg := []byte("interrupted once, then written")
	r.writeAll(r.plain, msg)
	var wire []byte
	r.pump(func() bool {
		wire, _ = readAvail(r.crypt, wire)
		return len(wire) >= 1060
	})
	if got := openAll(t, r.peerOpen, wire); !bytes.Equal(got, msg) {
		t.Fatalf("delivered %q, want %q", got, msg)
	}
	if interrupted.Load() < 2 {
		t.Fatal("the write was never interrupted: the test did not test")
	}
}

func TestPipeNoAllocs(t *testing.T) {
	r := newPipeRig(t)
	plain := spipedtest.RandomBytes(3, "", 64<<10)
	const runs = 50
	sealed := make([][]byte, runs+1)
	for i := range sealed {
		sealed[i] = make([]byte, 16*cipher.PacketSize)
		for j := range 16 {
			copy(sealed[i][j*cipher.PacketSize:], plain[:1024])
		}
		r.peerSeal.SealBatch(sealed[i], 16*1024)
	}
	buf := make([]byte, 128<<10)
	i := 0
	drain := func(fd, want int) {
		for got := 0; got < want; {
			n, err := unix.Read(fd, buf)
			if err == unix.EAGAIN {
				r.l.poll(1)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	}
	allocs := testing.AllocsPerRun(runs, func() {
		r.writeAll(r.plain, plain)
		r.writeAll(r.crypt, sealed[i])
		i++
		r.l.poll(0)
		drain(r.crypt, 64*cipher.PacketSize)
		drain(r.plain, 16*1024)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per round trip of 64 KiB each way", allocs)
	}
}

// benchPass is one pass of a pipe benchmark: it writes in to inFD, running
// the loop after each write, then reads want bytes from outFD into buf.
func (r *pipeRig) benchPass(b *testing.B, inFD int, in []byte, outFD int, buf []byte, want int) {
	for off := 0; off < len(in); {
		n, err := unix.Write(inFD, in[off:])
		if err != nil && err != unix.EAGAIN {
			b.Fatal(err)
		}
		off += max(n, 0)
		r.l.poll(0)
	}
	for got := 0; got < want; {
		n, err := unix.Read(outFD, buf)
		if err == unix.EAGAIN {
			r.l.poll(1)
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		got += n
	}
}

// BenchmarkPipeSeal moves plaintext through a sealing pipe over socketpairs,
// the loop driven in the benchmark's goroutine: the engine's and the
// cipher's cost per byte without a second process.
func BenchmarkPipeSeal(b *testing.B) {
	r := newPipeRig(b)
	plain := spipedtest.RandomBytes(4, "", 64<<10)
	buf := make([]byte, 128<<10)
	want := 64 * cipher.PacketSize
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		r.benchPass(b, r.plain, plain, r.crypt, buf, want)
	}
}

// BenchmarkPipeOpen is BenchmarkPipeSeal's mirror image (the sealing of
// its input by the test's peer counts in its time).
func BenchmarkPipeOpen(b *testing.B) {
	r := newPipeRig(b)
	plain := spipedtest.RandomBytes(5, "", 64<<10)
	sealer := r.peerSeal
	wire := make([]byte, 64*cipher.PacketSize)
	buf := make([]byte, 128<<10)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		for i := range 64 {
			copy(wire[i*cipher.PacketSize:], plain[i*1024:(i+1)*1024])
		}
		sealer.SealBatch(wire, len(plain))
		r.benchPass(b, r.crypt, wire, r.plain, buf, len(plain))
	}
}

// slowTarget is a loopback target (from the test kit) whose connects hang
// for about a second from now on, serving with handle afterwards.
func slowTarget(t *testing.T, handle func(net.Conn)) Addr {
	t.Helper()
	st := spipedtest.StartSlowTarget(t, spipedtest.SlowTargetConfig{Handle: func(c net.Conn) {
		defer c.Close()
		handle(c)
	}})
	// Connects begun in the next 0.6 s complete at their SYN's first
	// retransmission, about a second after they began.
	spipedtest.HoldFor(t, st, 600*time.Millisecond)
	a, err := Resolve(spipedtest.SpecOfAddr(st.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	return a[0]
}

// conns returns, on the loop's goroutine, what f reports of each of its
// connections.
func loopConns[T any](l *loop, f func(*conn) T) []T {
	out := make(chan []T)
	l.post(func() {
		var r []T
		seen := map[*conn]bool{}
		for _, h := range l.owner {
			if c, ok := h.(*conn); ok && !seen[c] {
				seen[c] = true
				r = append(r, f(c))
			}
		}
		out <- r
	})
	return <-out
}

// On -d the handshake ends before a slow target's connect does. Until it
// does the connection waits, its pipes holding no descriptor; the client's
// early bytes and its FIN stay in the kernel and reach the target once the
// connect completes, as with the reference.
func TestConnWaitsForSlowTarget(t *testing.T) {
	target := slowTarget(t, func(c net.Conn) {
		got, _ := io.ReadAll(c)
		fmt.Fprintf(c, "target got %q", got)
	})
	key := sha256.Sum256([]byte("slow target"))
	srv, spec, _ := startOurs(t, Config{Key: key, Timeout: 5 * time.Second}, tcp4, fmt.Sprintf("[127.0.0.1]:%d", target.AddrPort.Port()))
	src, _ := Resolve(spec)

	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		cfg := ClientConfig{Target: src, Key: key, Timeout: 5 * time.Second}
		done <- RunClient(cfg, bytes.NewReader([]byte("hello")), &out)
	}()

	type view struct {
		state          connState
		fwdIn, fwdOut  int
		revIn, revOut  int
		fwdKey, revKey bool
	}
	var seen view
	deadline := time.Now().Add(3 * time.Second)
	for {
		vs := loopConns(srv.loops[0], func(c *conn) view {
			return view{c.state, c.fwd.in, c.fwd.out, c.rev.in, c.rev.out, c.fwd.open != nil, c.rev.seal != nil}
		})
		if len(vs) == 1 && vs[0].state == waitingTarget {
			seen = vs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection waiting for its target: %+v", vs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if seen.fwdIn != -1 || seen.fwdOut != -1 || seen.revIn != -1 || seen.revOut != -1 {
		t.Errorf("pipes hold descriptors before the data phase: %+v", seen)
	}
	if !seen.fwdKey || !seen.revKey {
		t.Errorf("keys not in place once the handshake is done: %+v", seen)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client: %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the client never got its answer")
	}
	if want := `target got "hello"`; out.String() != want {
		t.Fatalf("client received %q, want %q", out.String(), want)
	}
}

// A connection dropped while its last write is still with the poller: the
// write goes out whole (the batch is neither zeroed nor reused before the
// poller is done with it), then the socket closes, and the batch comes
// back once the next wait has started.
func TestPipeDropWithSendPending(t *testing.T) {
	r := newPipeRig(t)
	msg := []byte("in flight when dropped")
	r.writeAll(r.plain, msg)
	r.pump(func() bool { return r.c.fwd.sending || r.c.fwd.woff == r.c.fwd.wend && r.c.fwd.moved > 0 })
	r.c.close(CauseShutdown)
	r.l.closeReleased()
	r.l.poll(0)
	var wire []byte
	var eof bool
	for deadline := time.Now().Add(5 * time.Second); !eof && time.Now().Before(deadline); {
		wire, eof = readAvail(r.crypt, wire)
	}
	if !eof {
		t.Fatal("the ciphertext socket was not closed")
	}
	if got := openAll(t, r.peerOpen, wire); !bytes.Equal(got, msg) {
		t.Fatalf("delivered %q, want %q", got, msg)
	}
	if r.l.pool.Out() != 0 {
		t.Fatalf("%d batches out after the wait", r.l.pool.Out())
	}
}

// Urgent data (MSG_OOB, as telnet sends) makes a read stop short at its
// mark although more data is queued behind it: a short read is no proof
// that the input is drained, even once the peer's FIN is in. Everything
// but the urgent byte itself gets through, as with the reference's read.
func TestPipeUrgentMarkIsNotTheEnd(t *testing.T) {
	r := newPipeRig(t)
	r.writeAll(r.plain, []byte("abc"))
	if err := unix.Sendto(r.plain, []byte("X"), unix.MSG_OOB, nil); err != nil {
		t.Skipf("no urgent data on this kernel's Unix sockets: %v", err)
	}
	r.writeAll(r.plain, []byte("def"))
	if err := unix.Shutdown(r.plain, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	var wire []byte
	r.pump(func() bool {
		wire, _ = readAvail(r.crypt, wire)
		return r.c.fwd.shut
	})
	wire, _ = readAvail(r.crypt, wire)
	if got := openAll(t, r.peerOpen, wire); string(got) != "abcdef" {
		t.Fatalf("delivered %q, want %q", got, "abcdef")
	}
}
