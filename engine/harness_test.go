package engine_test

// The harness of the adversarial, fault and load tests: an independent
// implementation of the wire protocol (so a hostile peer can craft every
// byte, and so it shares no bug with package cipher; it is pinned to the
// test vectors of PROTOCOL.md §8 and cross-checked against cipher's Sealer),
// recording targets, and three ways to run a daemon under test: in-process
// (engine.Listen), our built binary, and the reference /usr/bin/spiped.

import (
	"bufio"
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/cipher"
	"github.com/spiped-go/spiped/engine"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

const (
	pktSize = 1060
	maxMsg  = 1024
	dhLen   = 256
	dhMsg   = dhLen + 32
)

// group14P is the 2048-bit MODP prime of RFC 3526.
var group14P, _ = new(big.Int).SetString(
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"+
		"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"+
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D"+
		"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"+
		"DE2BCBF6955817183995497CEA956AE515D2261898FA0510"+
		"15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)

// ---------------------------------------------------------------------------
// Seeded randomness: every random choice of a test comes from one seed that
// is printed when the test fails (override with SPIPED_TEST_SEED).

func testSeed(t testing.TB) uint64 {
	seed := uint64(20261125)
	if s := os.Getenv("SPIPED_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SPIPED_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed: SPIPED_TEST_SEED=%d", seed)
		}
	})
	return seed
}

func newRand(seed uint64, stream string) *rand.Rand {
	h := sha256.Sum256([]byte(stream))
	return rand.New(rand.NewPCG(seed, binary.BigEndian.Uint64(h[:8])))
}

// lockedRand is a seeded source safe for the goroutines of one test.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range p {
		p[i] = byte(l.r.Uint32())
	}
	return len(p), nil
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// envInt reads a size knob from the environment.
func envInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		if v, err := strconv.Atoi(s); err == nil {
			return v
		}
	}
	return def
}

// ---------------------------------------------------------------------------
// The protocol's mathematics, written out plainly.

func pbkdf2SHA256(k []byte, salt []byte, n int) []byte {
	out, err := pbkdf2.Key(sha256.New, string(k), salt, 1, n)
	if err != nil {
		panic(err)
	}
	return out
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// pad256 left-pads a big integer to 256 bytes.
func pad256(v *big.Int) []byte {
	out := make([]byte, dhLen)
	v.FillBytes(out)
	return out
}

// one256 is y = 1 (or y_SC = 1) as 256 bytes.
func one256() []byte { return pad256(big.NewInt(1)) }

// dirKeys are the keys of one direction.
type dirKeys struct{ enc, mac []byte }

// sealRaw seals an arbitrary 1028-byte plaintext (message, padding and
// length field as the caller wants them) as packet number pnum.
func sealRaw(k dirKeys, pnum uint64, plain []byte) []byte {
	if len(plain) != maxMsg+4 {
		panic("sealRaw: plaintext must be 1028 bytes")
	}
	blk, err := aes.NewCipher(k.enc)
	if err != nil {
		panic(err)
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], pnum)
	pkt := make([]byte, pktSize)
	stdcipher.NewCTR(blk, iv[:]).XORKeyStream(pkt[:maxMsg+4], plain)
	var pn [8]byte
	binary.BigEndian.PutUint64(pn[:], pnum)
	copy(pkt[maxMsg+4:], hmacSHA256(k.mac, append(append([]byte{}, pkt[:maxMsg+4]...), pn[:]...)))
	return pkt
}

// plainWithLen builds a plaintext whose message region holds msg (the rest
// zero) and whose length field says length, true or not.
func plainWithLen(msg []byte, length uint32) []byte {
	p := make([]byte, maxMsg+4)
	copy(p, msg)
	binary.BigEndian.PutUint32(p[maxMsg:], length)
	return p
}

func sealPacket(k dirKeys, pnum uint64, msg []byte) []byte {
	return sealRaw(k, pnum, plainWithLen(msg, uint32(len(msg))))
}

// openPacket checks and decrypts one packet the way a correct receiver does.
func openPacket(k dirKeys, pnum uint64, pkt []byte) ([]byte, error) {
	var pn [8]byte
	binary.BigEndian.PutUint64(pn[:], pnum)
	want := hmacSHA256(k.mac, append(append([]byte{}, pkt[:maxMsg+4]...), pn[:]...))
	if !hmac.Equal(want, pkt[maxMsg+4:pktSize]) {
		return nil, errors.New("bad packet MAC")
	}
	blk, _ := aes.NewCipher(k.enc)
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], pnum)
	plain := make([]byte, maxMsg+4)
	stdcipher.NewCTR(blk, iv[:]).XORKeyStream(plain, pkt[:maxMsg+4])
	n := binary.BigEndian.Uint32(plain[maxMsg:])
	if n < 1 || n > maxMsg {
		return nil, fmt.Errorf("bad packet length %d", n)
	}
	return plain[:n], nil
}

// ---------------------------------------------------------------------------
// The hostile peer: one side of a connection that does every handshake step
// by hand, so a test can replace any of them.

type peer struct {
	conn   net.Conn
	client bool // we play the client (we talk to a -d)
	key    []byte
	rnd    io.Reader

	nonceC, nonceS []byte
	dhmacC, dhmacS []byte
	x              *big.Int // exponent 2^258 + x
	y              []byte   // our y
	peerY          []byte   // the y the daemon sent (client role)
	peerMsg        []byte   // the daemon's whole 288-byte DH message
	send, recv     dirKeys
	sendN, recvN   uint64
}

func newPeer(c net.Conn, client bool, key []byte, rnd io.Reader) *peer {
	return &peer{conn: c, client: client, key: key, rnd: rnd}
}

// nonces exchanges the nonces and derives the DH MAC keys.
func (p *peer) nonces() error {
	mine := make([]byte, 32)
	io.ReadFull(p.rnd, mine)
	if _, err := p.conn.Write(mine); err != nil {
		return err
	}
	theirs := make([]byte, 32)
	if _, err := io.ReadFull(p.conn, theirs); err != nil {
		return fmt.Errorf("reading nonce: %w", err)
	}
	if p.client {
		p.nonceC, p.nonceS = mine, theirs
	} else {
		p.nonceC, p.nonceS = theirs, mine
	}
	dk1 := pbkdf2SHA256(p.key, cat(p.nonceC, p.nonceS), 64)
	p.dhmacC, p.dhmacS = dk1[:32], dk1[32:]
	return nil
}

// ourMACKey and theirMACKey are the DH MAC keys of our side and the daemon's.
func (p *peer) ourMACKey() []byte {
	if p.client {
		return p.dhmacC
	}
	return p.dhmacS
}

func (p *peer) theirMACKey() []byte {
	if p.client {
		return p.dhmacS
	}
	return p.dhmacC
}

// genY draws x and returns y = 2^(2^258+x) mod p; fast returns y = 1.
func (p *peer) genY(fast bool) []byte {
	if fast {
		p.x = nil
		p.y = one256()
		return p.y
	}
	xb := make([]byte, 32)
	io.ReadFull(p.rnd, xb)
	p.x = exponent(xb)
	p.y = pad256(new(big.Int).Exp(big.NewInt(2), p.x, group14P))
	return p.y
}

func exponent(x []byte) *big.Int {
	e := new(big.Int).Lsh(big.NewInt(1), 258)
	return e.Add(e, new(big.Int).SetBytes(x))
}

// dhMessage is y || HMAC(macKey, y).
func dhMessage(y, macKey []byte) []byte {
	return cat(y, hmacSHA256(macKey, y))
}

// readDH reads the daemon's 288-byte DH message and checks it as a correct
// side would (without -g).
func (p *peer) readDH() error {
	m := make([]byte, dhMsg)
	if _, err := io.ReadFull(p.conn, m); err != nil {
		return fmt.Errorf("reading DH message: %w", err)
	}
	p.peerMsg = m
	if !hmac.Equal(hmacSHA256(p.theirMACKey(), m[:dhLen]), m[dhLen:]) {
		return errors.New("daemon's DH MAC does not verify")
	}
	if new(big.Int).SetBytes(m[:dhLen]).Cmp(group14P) >= 0 {
		return errors.New("daemon's y >= p")
	}
	p.peerY = m[:dhLen]
	return nil
}

// keysFrom derives the data keys from a y_SC of our choosing.
func (p *peer) keysFrom(ySC []byte) {
	dk2 := pbkdf2SHA256(p.key, cat(p.nonceC, p.nonceS, ySC), 128)
	c := dirKeys{dk2[0:32], dk2[32:64]}
	s := dirKeys{dk2[64:96], dk2[96:128]}
	if p.client {
		p.send, p.recv = c, s
	} else {
		p.send, p.recv = s, c
	}
	p.sendN, p.recvN = 0, 0
}

// sharedSecret is what an honest side computes: 1 if either side is fast
// (the -f side sets 1; the peer of a -f side gets 1^e = 1), else peerY^e.
func (p *peer) sharedSecret(peerY []byte) []byte {
	if p.x == nil {
		return one256()
	}
	return pad256(new(big.Int).Exp(new(big.Int).SetBytes(peerY), p.x, group14P))
}

// handshake runs an honest handshake (fast: y = 1).
func (p *peer) handshake(fast bool) error {
	if err := p.nonces(); err != nil {
		return err
	}
	y := p.genY(fast)
	if p.client {
		if _, err := p.conn.Write(dhMessage(y, p.ourMACKey())); err != nil {
			return err
		}
		if err := p.readDH(); err != nil {
			return err
		}
	} else {
		if err := p.readDH(); err != nil {
			return err
		}
		if _, err := p.conn.Write(dhMessage(y, p.ourMACKey())); err != nil {
			return err
		}
	}
	p.keysFrom(p.sharedSecret(p.peerY))
	return nil
}

// sealNext seals msg with the next send counter.
func (p *peer) sealNext(msg []byte) []byte {
	pkt := sealPacket(p.send, p.sendN, msg)
	p.sendN++
	return pkt
}

// sendData cuts data into 1024-byte messages and writes the packets.
func (p *peer) sendData(data []byte) error {
	var out []byte
	for len(data) > 0 {
		n := min(len(data), maxMsg)
		out = append(out, p.sealNext(data[:n])...)
		data = data[n:]
	}
	_, err := p.conn.Write(out)
	return err
}

// readData reads and opens packets until EOF; it returns the plaintext and
// the error that ended the stream (nil for a clean EOF on a packet boundary).
func (p *peer) readData() ([]byte, error) {
	var out []byte
	buf := make([]byte, pktSize)
	for {
		if _, err := io.ReadFull(p.conn, buf); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		m, err := openPacket(p.recv, p.recvN, buf)
		if err != nil {
			return out, err
		}
		p.recvN++
		out = append(out, m...)
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, b := range parts {
		out = append(out, b...)
	}
	return out
}

// ---------------------------------------------------------------------------
// Waiting for a connection to end.

// drain reads c until it ends (EOF or error) or the deadline passes; it
// returns the bytes read and whether the connection ended in time.
func drain(c net.Conn, within time.Duration) ([]byte, bool) {
	c.SetReadDeadline(time.Now().Add(within))
	var out bytes.Buffer
	_, err := io.Copy(&out, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return out.Bytes(), false
	}
	return out.Bytes(), true
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// resetClose closes c with SO_LINGER 0, so the kernel sends a RST.
func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// ---------------------------------------------------------------------------
// A recording target: every accepted connection's bytes and how it ended.

type record struct {
	mu   sync.Mutex
	data []byte
	end  error // nil: clean EOF
	done chan struct{}
}

func (r *record) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.data...)
}

type sink struct {
	t    testing.TB
	ln   net.Listener
	mu   sync.Mutex
	recs []*record
	wg   sync.WaitGroup
}

func newSink(t testing.TB) *sink {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{t: t, ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		r := &record{done: make(chan struct{})}
		s.mu.Lock()
		s.recs = append(s.recs, r)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(r.done)
			defer c.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				r.mu.Lock()
				r.data = append(r.data, buf[:n]...)
				if err != nil && err != io.EOF {
					r.end = err
				}
				r.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
}

func (s *sink) close() {
	s.ln.Close()
	s.mu.Lock()
	recs := s.recs
	s.mu.Unlock()
	for _, r := range recs {
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
	}
}

func (s *sink) spec() string { return specOf(s.ln.Addr()) }

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

// since returns the records of connections accepted from index i on.
func (s *sink) since(i int) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*record(nil), s.recs[i:]...)
}

// waitBytes waits until the connections from index i on hold n bytes in all.
func (s *sink) waitBytes(i, n int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		got := 0
		for _, r := range s.since(i) {
			got += len(r.bytes())
		}
		if got >= n {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// settle waits until every connection from index i on has ended and
// returns their bytes (concatenated) and records.
func (s *sink) settle(t testing.TB, i int, within time.Duration) ([]byte, []*record) {
	t.Helper()
	deadline := time.After(within)
	recs := s.since(i)
	var all []byte
	for _, r := range recs {
		select {
		case <-r.done:
		case <-deadline:
			t.Errorf("the daemon kept the target connection open for more than %v", within)
			return all, recs
		}
		all = append(all, r.bytes()...)
	}
	return all, recs
}

// ---------------------------------------------------------------------------
// Echo target: copies each connection back, half-closes on EOF.

type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func newEcho(t testing.TB, addr string) *echoServer {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				// A plain buffered copy: io.Copy between TCP sockets
				// would splice through pipes from the runtime's pool,
				// whose descriptors outlive the connection and would
				// read as a leak.
				io.CopyBuffer(c, struct{ io.Reader }{c}, make([]byte, 32<<10))
				closeWrite(c)
				// Wait for the other side's end before closing, so
				// the echo never resets a connection in flight.
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	t.Cleanup(e.close)
	return e
}

func (e *echoServer) close() { e.ln.Close(); e.wg.Wait() }

func (e *echoServer) spec() string { return specOf(e.ln.Addr()) }

// ---------------------------------------------------------------------------
// Hostile server: a listener that a -e daemon dials; each accepted
// connection is handed to the test.

type hostileServer struct {
	ln    net.Listener
	conns chan net.Conn
}

func newHostileServer(t testing.TB) *hostileServer {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileServer{ln: ln, conns: make(chan net.Conn, 1024)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(h.conns)
				return
			}
			h.conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range h.conns {
			c.Close()
		}
	})
	return h
}

func (h *hostileServer) spec() string { return specOf(h.ln.Addr()) }

// next waits for the daemon's next connection.
func (h *hostileServer) next(t testing.TB) net.Conn {
	t.Helper()
	select {
	case c := <-h.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the -e daemon did not dial the target within 5 s")
		return nil
	}
}

// ---------------------------------------------------------------------------
// Addresses and keys.

func specOf(a net.Addr) string {
	ta := a.(*net.TCPAddr)
	return fmt.Sprintf("[%s]:%d", ta.IP.String(), ta.Port)
}

// dialSpec turns "[127.0.0.1]:N" into "127.0.0.1:N".
func dialSpec(spec string) string {
	return strings.NewReplacer("[", "", "]", "").Replace(spec)
}

// specOfAddr turns "127.0.0.1:N" into spiped's "[127.0.0.1]:N".
func specOfAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return "[" + host + "]:" + port
}

// startRelay puts a spipedtest.Relay holding every chunk for delay each
// way in front of upstream ("host:port"); it is closed at the end of t.
func startRelay(t testing.TB, upstream string, delay time.Duration) *spipedtest.Relay {
	t.Helper()
	r, err := spipedtest.NewRelay(spipedtest.RelayConfig{Upstream: upstream, UpDelay: delay, DownDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// freeSpec returns a loopback address nobody listens on right now.
func freeSpec(t testing.TB) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return specOf(ln.Addr())
}

// keyFile writes a key file and returns its path and K.
func keyFile(t testing.TB, content []byte) (string, []byte) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	k := sha256.Sum256(content)
	return path, k[:]
}

// ---------------------------------------------------------------------------
// Daemons under test.

type daemonOpts struct {
	encrypt   bool
	target    string // spiped address syntax
	keyPath   string
	key       []byte
	fast      bool
	requireFS bool
	timeout   time.Duration // 0: default
	maxConns  int           // -1: default (100); 0: unlimited
	source    string        // "" picks a free port
	nofile    int           // binaries only: RLIMIT_NOFILE soft and hard
	extra     []string      // binaries only: more arguments (e.g. --pprof)
	stdin     *os.File      // binaries only: standard input (nil: /dev/null)
	wrap      []string      // binaries only: run under this command (e.g. strace ... ); d.pid is then the daemon's
}

type daemon struct {
	name    string
	spec    string
	pid     int           // 0 in-process
	exited  chan struct{} // binaries: closed at exit
	exitErr error
	stderr  *spipedtest.SyncBuffer
	stop    func()
	stats   func() engine.Stats // in-process only
}

func (d *daemon) addr() string { return dialSpec(d.spec) }

// fds counts the descriptors of the process running the daemon.
func (d *daemon) fds() int {
	dir := "/proc/self/fd"
	if d.pid != 0 {
		dir = fmt.Sprintf("/proc/%d/fd", d.pid)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	return len(ents)
}

// rss is the resident memory of a binary daemon in bytes.
func (d *daemon) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.pid))
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// impl is one way to run a daemon.
type impl struct {
	name  string
	start func(t testing.TB, o daemonOpts) *daemon
}

// hostileImpls are the daemons every hostile test runs against: ours
// in-process and as the built command, and the reference (skipped when
// absent unless CI is set).
func hostileImpls() []impl {
	return []impl{
		{"engine", startEngine},
		{"binary", startBinary},
		{"reference", startReference},
	}
}

// needProc skips where descriptors and memory cannot be read from /proc.
func needProc(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("these tests count descriptors and memory through /proc (Linux only)")
	}
}

func startEngine(t testing.TB, o daemonOpts) *daemon {
	t.Helper()
	needProc(t)
	var lastErr error
	for range 5 {
		spec := o.source
		if spec == "" {
			spec = freeSpec(t)
		}
		src, err := engine.Resolve(spec)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", spec, err)
		}
		tgt, err := engine.Resolve(o.target)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", o.target, err)
		}
		var key [32]byte
		copy(key[:], o.key)
		timeout := o.timeout
		if timeout == 0 {
			timeout = 5 * time.Second
		}
		maxConns := o.maxConns
		if maxConns < 0 {
			maxConns = 100
		}
		srv, err := engine.Listen(engine.Config{
			Encrypt:     o.encrypt,
			Source:      src[0],
			Target:      o.target,
			TargetAddrs: tgt,
			Key:         key,
			Fast:        o.fast,
			RequireFS:   o.requireFS,
			MaxConns:    maxConns,
			Timeout:     timeout,
			Warn:        func(string) {},
		})
		if err != nil {
			lastErr = err
			if o.source != "" {
				break
			}
			continue
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		d := &daemon{name: "engine", spec: spec, stats: srv.Stats}
		var once sync.Once
		d.stop = func() {
			once.Do(func() {
				srv.Shutdown()
				select {
				case <-served:
				case <-time.After(10 * time.Second):
					t.Errorf("engine: Serve did not return within 10 s of Shutdown")
				}
			})
		}
		t.Cleanup(d.stop)
		return d
	}
	t.Fatalf("engine.Listen: %v", lastErr)
	return nil
}

func startReference(t testing.TB, o daemonOpts) *daemon {
	t.Helper()
	spipedtest.NeedReference(t)
	return startProcess(t, "reference", spipedtest.ReferenceSpiped, o)
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// ourBinary builds cmd/spiped once per test binary. Without a TestMain
// (the engine's own tests may want it) nothing removes the directory at
// exit, so each build first clears those of earlier runs older than an hour.
func ourBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "spiped-reliability-*"))
		for _, dir := range old {
			if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(dir)
			}
		}
		buildDir, buildErr = os.MkdirTemp("", "spiped-reliability-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir, "github.com/spiped-go/spiped/cmd/spiped")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/spiped: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "spiped")
}

func startBinary(t testing.TB, o daemonOpts) *daemon {
	t.Helper()
	return startProcess(t, "binary", ourBinary(t), o)
}

func daemonArgs(o daemonOpts, spec string) []string {
	mode := "-d"
	if o.encrypt {
		mode = "-e"
	}
	args := []string{mode, "-F", "-s", spec, "-t", o.target, "-k", o.keyPath}
	if o.fast {
		args = append(args, "-f")
	}
	if o.requireFS {
		args = append(args, "-g")
	}
	if o.timeout > 0 {
		args = append(args, "-o", strconv.FormatFloat(o.timeout.Seconds(), 'f', -1, 64))
	}
	if o.maxConns >= 0 {
		args = append(args, "-n", strconv.Itoa(o.maxConns))
	}
	return append(args, o.extra...)
}

// startProcess runs a spiped binary in the foreground and waits until its
// socket listens (read from /proc/net/tcp, so no probe connection is made).
func startProcess(t testing.TB, name, bin string, o daemonOpts) *daemon {
	t.Helper()
	needProc(t)
	if o.nofile > 0 {
		if _, err := exec.LookPath("prlimit"); err != nil {
			t.Skip("prlimit (util-linux) not installed")
		}
	}
	for attempt := 0; ; attempt++ {
		spec := o.source
		if spec == "" {
			spec = freeSpec(t)
		}
		args := daemonArgs(o, spec)
		var cmd *exec.Cmd
		if o.nofile > 0 {
			n := strconv.Itoa(o.nofile)
			cmd = exec.Command("prlimit", append([]string{"--nofile=" + n + ":" + n, "--", bin}, args...)...)
		} else if len(o.wrap) > 0 {
			cmd = exec.Command(o.wrap[0], append(append(o.wrap[1:len(o.wrap):len(o.wrap)], bin), args...)...)
		} else {
			cmd = exec.Command(bin, args...)
		}
		d := &daemon{name: name, spec: spec, exited: make(chan struct{}), stderr: &spipedtest.SyncBuffer{}}
		cmd.Stderr = d.stderr
		if o.stdin != nil {
			cmd.Stdin = o.stdin // an *os.File is passed as descriptor 0 itself
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		d.pid = cmd.Process.Pid
		go func() { d.exitErr = cmd.Wait(); close(d.exited) }()
		var once sync.Once
		d.stop = func() {
			once.Do(func() {
				// A wrapped daemon first: a tracer killed before
				// its tracee would leave the tracee running.
				if d.pid != cmd.Process.Pid {
					syscall.Kill(d.pid, syscall.SIGKILL)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				<-d.exited
			})
		}
		t.Cleanup(d.stop)
		if waitListening(spec, d.exited, 5*time.Second) {
			if len(o.wrap) > 0 {
				// The wrapper's only child is the daemon.
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", d.pid, d.pid))
				if f := strings.Fields(string(b)); len(f) == 1 {
					d.pid, _ = strconv.Atoi(f[0])
				} else {
					d.stop()
					t.Fatalf("%s under %s: want one child process, found %q", name, o.wrap[0], b)
				}
			}
			return d
		}
		d.stop()
		if attempt >= 3 || o.source != "" {
			t.Fatalf("%s %s did not start listening: %v\n%s", name, strings.Join(args, " "), d.exitErr, d.stderr)
		}
	}
}

// waitListening waits until something listens on spec's port. It asks
// ss(8), which filters in the kernel, and falls back to /proc/net/tcp, which
// lists every socket (slow when a test run leaves tens of thousands in
// TIME_WAIT). Neither makes a probe connection, which a daemon would serve.
func waitListening(spec string, exited chan struct{}, within time.Duration) bool {
	_, portStr, _ := net.SplitHostPort(dialSpec(spec))
	port, _ := strconv.Atoi(portStr)
	ss, ssErr := exec.LookPath("ss")
	want := fmt.Sprintf(":%04X", port)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if ssErr == nil {
			out, err := exec.Command(ss, "-Hltn", "sport", "=", ":"+portStr).Output()
			if err == nil && len(bytes.TrimSpace(out)) > 0 {
				return true
			}
		} else {
			b, _ := os.ReadFile("/proc/net/tcp")
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
					return true
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// ---------------------------------------------------------------------------
// Descriptor accounting.

// waitFDs waits until d's descriptor count is back to at most base.
func waitFDs(t testing.TB, d *daemon, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := d.fds()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = d.fds()
	}
	if n > base {
		t.Errorf("%s: %d descriptors open, baseline %d: leaked\n%s", d.name, n, base, describeFDs(d))
	}
}

// describeFDs lists a process's descriptors, sockets with their TCP
// endpoints and state, for a leak report.
func describeFDs(d *daemon) string {
	dir := "/proc/self/fd"
	if d.pid != 0 {
		dir = fmt.Sprintf("/proc/%d/fd", d.pid)
	}
	socks := map[string]string{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n")[1:] {
			x := strings.Fields(line)
			if len(x) > 9 {
				socks[x[9]] = fmt.Sprintf("%s -> %s state %s", hexAddr(x[1]), hexAddr(x[2]), x[3])
			}
		}
	}
	ents, _ := os.ReadDir(dir)
	var out strings.Builder
	for _, e := range ents {
		l, _ := os.Readlink(filepath.Join(dir, e.Name()))
		if strings.HasPrefix(l, "socket:[") {
			if s, ok := socks[strings.Trim(l[len("socket:"):], "[]")]; ok {
				l += " " + s
			}
		}
		fmt.Fprintf(&out, "  fd %s: %s\n", e.Name(), l)
	}
	return out.String()
}

// hexAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func hexAddr(s string) string {
	ip, port, ok := strings.Cut(s, ":")
	if !ok || len(ip) != 8 {
		return s
	}
	b, _ := hex.DecodeString(ip)
	p, _ := strconv.ParseUint(port, 16, 16)
	return fmt.Sprintf("%d.%d.%d.%d:%d", b[3], b[2], b[1], b[0], p)
}

// settleFDs returns d's descriptor count once it has stopped changing.
func settleFDs(d *daemon) int {
	last := d.fds()
	stable := 0
	for range 200 {
		time.Sleep(10 * time.Millisecond)
		n := d.fds()
		if n == last {
			stable++
			if stable >= 5 {
				break
			}
		} else {
			stable = 0
			last = n
		}
	}
	return last
}

// ---------------------------------------------------------------------------
// The harness checks itself against PROTOCOL.md §8 and package cipher, so a
// hostile test that passes means the daemon dropped a packet the harness
// really did forge, not that the harness speaks a different protocol.

func seq(from byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hexOf(s[:]) }

// vectorPeers builds both ends of the §8 handshake without a network.
func vectorPeers(fast bool) (c, s *peer) {
	k := sha256.Sum256(nil)
	c = &peer{client: true, key: k[:], nonceC: seq(0, 32), nonceS: seq(0x20, 32)}
	s = &peer{client: false, key: k[:], nonceC: seq(0, 32), nonceS: seq(0x20, 32)}
	for _, p := range []*peer{c, s} {
		dk1 := pbkdf2SHA256(p.key, cat(p.nonceC, p.nonceS), 64)
		p.dhmacC, p.dhmacS = dk1[:32], dk1[32:]
	}
	if fast {
		c.genY(true)
		s.genY(true)
	} else {
		c.rnd, s.rnd = bytes.NewReader(seq(0x40, 32)), bytes.NewReader(seq(0x60, 32))
		c.genY(false)
		s.genY(false)
	}
	c.keysFrom(c.sharedSecret(s.y))
	s.keysFrom(s.sharedSecret(c.y))
	return c, s
}

func TestHarnessVectors(t *testing.T) {
	c, s := vectorPeers(true)
	check := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	check("dhmac_C", hexOf(c.dhmacC), "7904361d53e2664a0dbd4796a70e54bd4982586a0b0ba1d9179250c1b3fd64de")
	check("dhmac_S", hexOf(c.dhmacS), "a4d01c3926fabc66368149404b6311c23f65f3ef576f44d7849e3424c4d0c909")
	check("h_C fast", hexOf(dhMessage(c.y, c.ourMACKey())[dhLen:]), "445978f48035127230029720ecc9d51cf6c097b8c7fc1ba53ac804fe61e06aad")
	check("h_S fast", hexOf(dhMessage(s.y, s.ourMACKey())[dhLen:]), "4e98e1033845bb0d0f6d64ab3b754af49ade2a3b3f3e4ddf9e2f9b0232aa7496")
	check("E_C", hexOf(c.send.enc), "3e812f0e1130dfd79ce80aad9c322a0c80d72c82f8c032f3d6d5df597018250f")
	check("H_C", hexOf(c.send.mac), "6d0d5168f2a0af0e4c9212b224e56adc0d4320fc238122ccf2fd6edd7c47a065")
	check("E_S", hexOf(s.send.enc), "31587b6956f7b11a9023b6d6122eb366f2cdab56f5060a7e227e15c79d843bc3")
	check("H_S", hexOf(s.send.mac), "a553c4d44a3bc9304e497bf1739895e1bc715f817086ff1fd96fc589f259fceb")
	p0 := c.sealNext([]byte("hello"))
	check("C->S 0 ct", hexOf(p0[:16]), "58c902c0db9fddeec4eb95d70054aca8")
	check("C->S 0 mac", hexOf(p0[maxMsg+4:]), "9614ec84a746c248f094fa629267466ea7a03a0eff92961aeda9282cd266c97b")
	check("C->S 0 sha", sha256Hex(p0), "b8f6cf12df7f9b8ada4fbcec81387ec78284533330c746823e6595e7e8367e05")
	check("C->S 1 ct", hexOf(c.sealNext([]byte("hello"))[:16]), "607cbc869dc9c3e543e9f2d7a4b265f3")
	q0 := s.sealNext([]byte("hello"))
	check("S->C 0 ct", hexOf(q0[:16]), "152e3dad0fba4e7df7c170e1d5943234")
	check("S->C 0 mac", hexOf(q0[maxMsg+4:]), "71d46e39592944d31ebd876c4b602a005148f675e6e87bf349cf4c54f8e1fc46")
	if m, err := openPacket(s.recv, 0, p0); err != nil || string(m) != "hello" {
		t.Errorf("openPacket(C->S 0) = %q, %v", m, err)
	}

	c, s = vectorPeers(false)
	check("y_C[0:16]", hexOf(c.y[:16]), "810870b621041df146e0a4383cae190f")
	check("SHA256(y_C)", sha256Hex(c.y), "fff9a87ce274ac79c0171342f1ee7a892765359220a4fe0dc430ab3f4d00951e")
	check("SHA256(y_S)", sha256Hex(s.y), "5aedc6bf4073aeb5367a143383d9fbf3b76c3efe9a5f897536761132d78d125d")
	check("h_C", hexOf(dhMessage(c.y, c.ourMACKey())[dhLen:]), "a7582d973906c12854fe788bfb98178f4d20850cb5404d2fb25375f2d51daf5f")
	check("SHA256(y_SC)", sha256Hex(c.sharedSecret(s.y)), "4100018a203c64302541f66c454cb66e00e3f98bbe996661174c92e303290a70")
	check("E_C", hexOf(c.send.enc), "dc95cc1bcbfca61be9d603e35b24fa7c1e13a7b86b1aae727ced94c9786caa08")
	check("C->S 0 mac", hexOf(c.sealNext([]byte("hello"))[maxMsg+4:]), "951dccca51120740d718732c160844ad5ac3af5b6a14ffa2109e81e09a6f7dbb")
}

// driveHandshake runs a cipher.Handshake over c and returns the bytes read
// past its end (the start of the data phase).
func driveHandshake(c net.Conn, h *cipher.Handshake) ([]byte, error) {
	buf := make([]byte, 4096)
	var pending []byte
	for {
		switch h.Step() {
		case cipher.StepWrite:
			n, err := c.Write(h.Output())
			if err != nil {
				return nil, err
			}
			h.Wrote(n)
		case cipher.StepRead:
			if len(pending) == 0 {
				n, err := c.Read(buf)
				if err != nil {
					return nil, err
				}
				pending = buf[:n]
			}
			k, err := h.Input(pending)
			if err != nil {
				return nil, err
			}
			pending = pending[k:]
		case cipher.StepCompute:
			h.Compute()
		case cipher.StepDone:
			return append([]byte(nil), pending...), nil
		default:
			return nil, errors.New("handshake failed")
		}
	}
}

// The hostile peer speaks the same protocol as package cipher: an honest
// handshake between them agrees on keys, and packets cross both ways.
func TestHarnessInteropsWithCipher(t *testing.T) {
	seed := testSeed(t)
	_, key := keyFile(t, []byte("interop"))
	var k32 [32]byte
	copy(k32[:], key)
	for _, fast := range []bool{false, true} {
		for _, role := range []cipher.Role{cipher.Client, cipher.Server} {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			accepted := make(chan net.Conn, 1)
			go func() { c, _ := ln.Accept(); accepted <- c }()
			a, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			b := <-accepted
			ln.Close()
			a.SetDeadline(time.Now().Add(10 * time.Second))
			b.SetDeadline(time.Now().Add(10 * time.Second))
			// The cipher side plays role on a; the peer the other role on b.
			p := newPeer(b, role == cipher.Server, key, &lockedRand{r: newRand(seed, "interop")})
			perr := make(chan error, 1)
			go func() { perr <- p.handshake(fast) }()
			h, err := cipher.NewHandshake(cipher.HandshakeConfig{Key: &k32, Role: role, Fast: fast})
			if err != nil {
				t.Fatal(err)
			}
			rest, err := driveHandshake(a, h)
			if err != nil {
				t.Fatalf("fast=%v role=%v: cipher side: %v", fast, role, err)
			}
			if err := <-perr; err != nil {
				t.Fatalf("fast=%v role=%v: hostile peer: %v", fast, role, err)
			}
			send, recv := h.Keys()
			// cipher -> peer
			pkt := make([]byte, cipher.PacketSize)
			copy(pkt, "from cipher")
			cipher.NewSealer(send).Seal(pkt, len("from cipher"))
			if m, err := openPacket(p.recv, 0, pkt); err != nil || string(m) != "from cipher" {
				t.Errorf("fast=%v role=%v: peer opened %q, %v", fast, role, m, err)
			}
			// peer -> cipher
			wire := p.sealNext([]byte("from peer"))
			if !bytes.Equal(sealPacket(dirKeys{recv.Enc[:], recv.Mac[:]}, 0, []byte("from peer")), wire) {
				t.Errorf("fast=%v role=%v: keys disagree", fast, role)
			}
			n, err := cipher.NewOpener(recv).Open(wire)
			if err != nil || string(wire[:n]) != "from peer" {
				t.Errorf("fast=%v role=%v: cipher opened %q, %v", fast, role, wire[:n], err)
			}
			if len(rest) != 0 {
				t.Errorf("unexpected %d bytes after the handshake", len(rest))
			}
			h.Wipe()
			a.Close()
			b.Close()
		}
	}
}
