package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// ourTunnel runs our -e and -d in process in front of target.
func ourTunnel(t *testing.T, ecfg, dcfg Config, target string) (e, d *Server, addr string) {
	t.Helper()
	key := sha256.Sum256([]byte("behaviour key"))
	ecfg.Encrypt, ecfg.Key = true, key
	dcfg.Key = key
	d, dspec, _ := startOurs(t, dcfg, tcp4, target)
	e, _, addr = startOurs(t, ecfg, tcp4, dspec)
	return e, d, addr
}

func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("round trip: %q, %v", buf, err)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// listenLoopback is a TCP listener on 127.0.0.1 with backlog, closed
// when the test ends, and its address.
func listenLoopback(t testing.TB, backlog int) (int, unix.Sockaddr) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa
}

func TestTimeoutDropsUnreachableTarget(t *testing.T) {
	// A listener whose backlog is full: further connects hang in SYN_SENT.
	_, sa := listenLoopback(t, 0)
	port := sa.(*unix.SockaddrInet4).Port
	var fill []net.Conn
	defer func() {
		for _, c := range fill {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			break
		}
		fill = append(fill, c)
	}
	e, _, edial := startOurs(t, Config{Encrypt: true, Timeout: 200 * time.Millisecond},
		tcp4, fmt.Sprintf("[127.0.0.1]:%d", port))
	c := dialTCP(t, edial)
	defer c.Close()
	got, _ := io.ReadAll(c)
	if len(got) != 0 {
		t.Fatalf("got %q", got)
	}
	waitFor(t, "the connect failure to be counted", func() bool { return e.Stats().ConnectFailures == 1 })
}

func TestShutdownDrainsInFlight(t *testing.T) {
	e, d, addr := ourTunnel(t, Config{}, Config{}, service(t, spipedtest.EchoConn))
	c := dialTCP(t, addr)
	defer c.Close()
	roundTrip(t, c, "before shutdown")
	e.Shutdown()
	d.Shutdown()
	// New connections are refused; the open one carries on to its end.
	waitFor(t, "the listener to close", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	data := spipedtest.RandomBytes(9, "", 3<<20)
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	want := sha256.Sum256(data)
	if err != nil || n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("after Shutdown, %d of %d bytes came back (%v)", n, len(data), err)
	}
	waitFor(t, "connections to end", func() bool { return e.Stats().Open == 0 && d.Stats().Open == 0 })
}

// TestEMFILEPausesAccepting runs our -d in a child process whose descriptor
// limit leaves room for only a few connections, and checks that running out
// pauses accepting instead of ending the daemon, with one warning, and that
// connections are served again once descriptors free up.
func TestEMFILEPausesAccepting(t *testing.T) {
	if os.Getenv("ENGINE_EMFILE_CHILD") != "" {
		emfileChild()
		return
	}
	target := service(t, spipedtest.EchoConn)
	dspec := spipedtest.FreeSpec(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEPausesAccepting$")
	cmd.Env = append(os.Environ(), "ENGINE_EMFILE_CHILD="+dspec+" "+target)
	var stderr spipedtest.SyncBuffer
	cmd.Stderr = &stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	ready := make([]byte, 6)
	if _, err := io.ReadFull(stdout, ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("child: %q %v: %s", ready, err, stderr.String())
	}
	cfg := ClientConfig{Fast: true, Timeout: 10 * time.Second}
	cfg.Key = sha256.Sum256([]byte("emfile key"))
	cfg.Target, _ = Resolve(dspec)
	type held struct {
		w    *io.PipeWriter
		out  *bytes.Buffer
		done chan error
	}
	open := func() held {
		r, w := io.Pipe()
		h := held{w: w, out: new(bytes.Buffer), done: make(chan error, 1)}
		go func() { h.done <- RunClient(cfg, r, h.out) }()
		return h
	}
	// More connections than the child has descriptors for.
	var hs []held
	for range 6 {
		hs = append(hs, open())
	}
	time.Sleep(300 * time.Millisecond)
	if !strings.Contains(stderr.String(), "too many open files") {
		t.Fatalf("no warning about descriptors; child stderr: %q", stderr.String())
	}
	if n := strings.Count(stderr.String(), "too many open files"); n != 1 {
		t.Fatalf("warned %d times, want once: %q", n, stderr.String())
	}
	// End them all; the daemon must still be alive and serve afresh.
	for _, h := range hs {
		h.w.Close()
	}
	for _, h := range hs {
		<-h.done
	}
	h := open()
	h.w.Write([]byte("after"))
	h.w.Close()
	if err := <-h.done; err != nil || h.out.String() != "after" {
		t.Fatalf("after descriptors freed: %q, %v; child stderr %q", h.out.String(), err, stderr.String())
	}
	if cmd.ProcessState != nil {
		t.Fatal("child exited")
	}
}

// emfileChild is the child of TestEMFILEPausesAccepting: our -d with a
// descriptor limit a few above what it uses when idle.
func emfileChild() {
	args := strings.Fields(os.Getenv("ENGINE_EMFILE_CHILD"))
	src, _ := Resolve(args[0])
	srv, err := Listen(Config{Source: src[0], Target: args[1], Fast: true, MaxConns: 0,
		Key: sha256.Sum256([]byte("emfile key")), Loops: 1,
		Warn: func(m string) { fmt.Fprintln(os.Stderr, m) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// New descriptors take the lowest free numbers below the limit: leave
	// five free numbers, room for two connections and a spare.
	ents, _ := os.ReadDir("/proc/self/fd")
	used := map[int]bool{}
	for _, e := range ents {
		var fd int
		fmt.Sscan(e.Name(), &fd)
		used[fd] = true
	}
	limit, free := 0, 0
	for ; free < 5; limit++ {
		if !used[limit] {
			free++
		}
	}
	var lim unix.Rlimit
	setRlim(&lim.Cur, limit)
	setRlim(&lim.Max, limit)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.WriteString("ready\n")
	srv.Serve()
	os.Exit(0)
}

// setRlim sets one of an Rlimit's fields, which are uint64 on Linux and
// macOS but int64 on FreeBSD.
func setRlim[T ~int64 | ~uint64](field *T, v int) {
	*field = T(v)
}

// Re-resolution that fails keeps the addresses found before.
func TestReResolveFailureKeepsTargets(t *testing.T) {
	echoAddrs, err := Resolve(service(t, spipedtest.EchoConn))
	if err != nil {
		t.Fatal(err)
	}
	spec := spipedtest.FreeSpec(t)
	src, _ := Resolve(spec)
	srv, err := Listen(Config{Source: src[0], Target: "nonexistent.invalid:1", TargetAddrs: echoAddrs,
		Fast: true, ReResolve: 10 * time.Millisecond, Key: sha256.Sum256([]byte("k"))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() { srv.Shutdown(); <-done }()
	time.Sleep(100 * time.Millisecond) // several failed lookups
	cfg := ClientConfig{Key: sha256.Sum256([]byte("k")), Fast: true, Timeout: 5 * time.Second}
	cfg.Target, _ = Resolve(spec)
	var out bytes.Buffer
	if err := RunClient(cfg, strings.NewReader("still there"), &out); err != nil || out.String() != "still there" {
		t.Fatalf("after failed re-resolution: %q, %v", out.String(), err)
	}
}

// A Unix-socket listener never unlinks an existing path: Listen fails and
// the file stays.
func TestUnixListenerKeepsExistingPath(t *testing.T) {
	p := t.TempDir() + "/taken.sock"
	if err := os.WriteFile(p, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, _ := Resolve(p)
	tgt, _ := Resolve("[127.0.0.1]:9")
	if _, err := Listen(Config{Source: src[0], TargetAddrs: tgt}); err == nil ||
		!strings.HasPrefix(err.Error(), "Error binding socket: ") {
		t.Fatalf("Listen on an existing path: %v", err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "not a socket" {
		t.Fatalf("the existing file was touched: %q, %v", b, err)
	}
}

// Several loops: connections are dealt to every loop, slots freed on one
// loop resume accepting on the first, and every byte arrives.
func TestManyLoops(t *testing.T) {
	e, d, addr := ourTunnel(t, Config{Loops: 3, MaxConns: 4, Warn: func(string) {}},
		Config{Loops: 3}, service(t, spipedtest.EchoConn))
	const conns = 12
	errs := make(chan error, conns)
	for i := range conns {
		go func() {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			data := spipedtest.RandomBytes(uint64(100+i), "", 200_000+i*1000)
			go func() {
				c.Write(data)
				c.(*net.TCPConn).CloseWrite()
			}()
			got, err := io.ReadAll(c)
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("connection %d: %d bytes back, differing from the %d sent", i, len(got), len(data))
			}
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if st := e.Stats(); st.Total != conns {
		t.Fatalf("-e stats: %+v", st)
	}
	waitFor(t, "connections to end", func() bool { return e.Stats().Open == 0 && d.Stats().Open == 0 })
}

// TestMaxConnsQueue holds -n 3 sessions: a fourth client is left in the
// backlog (no nonce) until a slot frees, then served. Our engine also
// counts the sessions and warns once; the reference is the control.
func TestMaxConnsQueue(t *testing.T) {
	seed := spipedtest.Seed(t)
	const limit = 3
	for _, ref := range []bool{false, true} {
		t.Run(map[bool]string{false: "engine", true: "reference"}[ref], func(t *testing.T) {
			keyPath, key := spipedtest.KeyFile(t, []byte("max conns"))
			s := spipedtest.NewSink(t)
			var srv *Server
			var d *spipedtest.Daemon
			var mu sync.Mutex
			var warnings []string
			if ref {
				d = spipedtest.StartReference(t, spipedtest.Opts{Target: s.Spec(), KeyPath: keyPath, Key: key, MaxConns: limit, Timeout: 30 * time.Second})
			} else {
				warn := func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }
				srv, d = ServeForTest(t, Config{Target: s.Spec(), Key: [32]byte(key), MaxConns: limit, Timeout: 30 * time.Second, Warn: warn}, "")
			}
			var held []*spipedtest.Peer
			for i := range limit {
				c := dialTCP(t, d.Addr())
				defer c.Close()
				p := spipedtest.NewPeer(c, true, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, fmt.Sprint("held ", i))})
				if err := p.Handshake(false); err != nil {
					t.Fatalf("held connection %d: %v", i, err)
				}
				held = append(held, p)
			}
			extra := dialTCP(t, d.Addr())
			defer extra.Close()
			extra.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			if n, _ := extra.Read(make([]byte, 32)); n != 0 {
				t.Fatalf("connection %d was served (%d nonce bytes) although -n is %d", limit+1, n, limit)
			}
			if srv != nil {
				if st := srv.Stats(); st.Total != limit || st.Open != limit {
					t.Fatalf("with -n %d and %d sessions open: %+v", limit, limit, st)
				}
				mu.Lock()
				got := strings.Join(warnings, "|")
				mu.Unlock()
				if got != fmt.Sprintf("Maximum number of connections (%d) reached", limit) {
					t.Fatalf("warnings %q", got)
				}
			}
			// Free a slot: the waiting client is served.
			spipedtest.CloseWrite(held[0].Conn)
			held[0].ReadData()
			held[0].Conn.Close()
			extra.SetDeadline(time.Now().Add(10 * time.Second))
			p := spipedtest.NewPeer(extra, true, key, &spipedtest.LockedRand{R: spipedtest.NewRand(seed, "extra")})
			if err := p.Handshake(false); err != nil {
				t.Fatalf("the waiting client was not served after a slot freed: %v", err)
			}
			p.SendData([]byte("served"))
			if !s.WaitBytes(0, len("served"), 5*time.Second) {
				t.Fatalf("the waiting client's data did not arrive")
			}
			if srv != nil {
				if st := srv.Stats(); st.Total != limit+1 {
					t.Fatalf("stats after the waiting client: %+v", st)
				}
			}
		})
	}
}

// A connection whose client and target both stay silent past -o after the
// handshake is a live session, not a handshake that timed out: -d's last
// handshake message (the server writes it and waits for nothing) must
// finish the handshake with no input to wake the loop. Then the target's
// late greeting gets through. Both modes: the server's last message is
// followed by a computation (forward secrecy) or by nothing (-f).
func TestHandshakeEndsWithoutInput(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, fast := range []bool{false, true} {
		t.Run(map[bool]string{false: "fs", true: "-f"}[fast], func(t *testing.T) {
			target := service(t, func(c net.Conn) {
				time.Sleep(3 * timeout)
				c.Write([]byte("hello, late"))
				io.Copy(io.Discard, c)
			})
			e, d, addr := ourTunnel(t, Config{Timeout: timeout, Fast: fast}, Config{Timeout: timeout, Fast: fast}, target)
			c := dialTCP(t, addr)
			defer c.Close()
			buf := make([]byte, len("hello, late"))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello, late" {
				t.Fatalf("after %v of silence: %q, %v; want the target's greeting (-e %+v, -d %+v)",
					3*timeout, buf, err, e.Stats().Ended, d.Stats().Ended)
			}
		})
	}
}

// The machine of a handshake whose last message is still with the poller
// is not reused before the wait hands the message over: a connection
// accepted in the same loop iteration would reset it, and the message
// would go out as the newcomer's nonce and zeros. -d's loop is held while
// a client's last message and another client's connect arrive, so that
// one iteration sees both, in that order.
func TestLastHandshakeMessageKeptUntilSent(t *testing.T) {
	key := sha256.Sum256([]byte("behaviour key"))
	target := service(t, spipedtest.EchoConn)
	d, _, addr := startOurs(t, Config{Key: key, Fast: true, Loops: 1}, tcp4, target)
	for round := range 3 {
		a := dialTCP(t, addr)
		defer a.Close()
		a.SetDeadline(time.Now().Add(5 * time.Second))
		hs, err := cipher.NewHandshake(cipher.HandshakeConfig{Key: &key, Role: cipher.Client, Fast: true})
		if err != nil {
			t.Fatal(err)
		}
		// The client's nonce, the server's, then the client's last
		// message is ready.
		n, _ := a.Write(hs.Output())
		hs.Wrote(n)
		nonce := make([]byte, hs.Need())
		if _, err := io.ReadFull(a, nonce); err != nil {
			t.Fatal(err)
		}
		if _, err := hs.Input(nonce); err != nil {
			t.Fatal(err)
		}
		if hs.Step() != cipher.StepWrite || !hs.ReadsNext() {
			t.Fatalf("round %d: client at step %v", round, hs.Step())
		}
		held := make(chan struct{})
		d.loops[0].post(func() {
			close(held)
			time.Sleep(100 * time.Millisecond)
		})
		<-held
		n, _ = a.Write(hs.Output())
		hs.Wrote(n)
		time.Sleep(20 * time.Millisecond)
		b := dialTCP(t, addr) // accepted in the same iteration as a's message
		defer b.Close()
		buf := make([]byte, hs.Need())
		if _, err := io.ReadFull(a, buf); err != nil {
			t.Fatalf("round %d: the server's last message: %v", round, err)
		}
		if _, err := hs.Input(buf); err != nil || hs.Step() != cipher.StepDone {
			t.Fatalf("round %d: the server's last message was not its own: %v", round, err)
		}
		hs.Wipe()
	}
}
