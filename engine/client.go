package engine

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/spiped-go/spiped/bufpool"
	"github.com/spiped-go/spiped/cipher"
	"golang.org/x/sys/unix"
)

// ClientConfig configures spipe's single connection.
type ClientConfig struct {
	Target      []Addr
	Bind        *Addr
	Key         [32]byte
	Fast        bool
	RequireFS   bool
	NoKeepalive bool
	Timeout     time.Duration
}

// Errors of RunClient, printed by spipe as they are.
var (
	ErrConnect   = errorString("Could not connect")
	ErrHandshake = errorString("Handshake failed")
	ErrConn      = errorString("Connection error")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// RunClient connects, handshakes, then copies in to the connection and the
// connection to out; on in's EOF it half-closes and returns nil at the
// server's EOF. It serves one connection, so it simply blocks.
func RunClient(cfg ClientConfig, in io.Reader, out io.Writer) error {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	c, err := clientDial(cfg, timeout)
	if err != nil {
		return ErrConnect
	}
	defer c.Close()
	send, recv, err := clientHandshake(c, cfg, timeout)
	if err != nil {
		return ErrHandshake
	}
	c.tune(!cfg.NoKeepalive)
	sealer, opener := cipher.NewSealer(&send), cipher.NewOpener(&recv)
	clear(send.Enc[:])
	clear(send.Mac[:])
	clear(recv.Enc[:])
	clear(recv.Mac[:])
	defer sealer.Wipe()
	defer opener.Wipe()

	upErr := make(chan error, 1)
	go func() { upErr <- clientUp(c, sealer, in) }()
	downErr := make(chan error, 1)
	go func() { downErr <- clientDown(c, opener, out) }()
	select {
	case err := <-downErr:
		return err
	case err := <-upErr:
		if err != nil {
			return err
		}
		return <-downErr
	}
}

// clientDial connects to the targets in order within timeout in all,
// through the daemon's own dial path (dial.go: the same socket, -b binding
// and errors as spiped), so spipe and spiped cannot disagree. The socket
// is wrapped in an os.File on the runtime's poller, not a net.Conn: the net
// package would switch on keep-alives with a 15 s idle time, where the
// reference only sets SO_KEEPALIVE (the kernel's idle time, 2 h).
func clientDial(cfg ClientConfig, timeout time.Duration) (*clientConn, error) {
	deadline := time.Now().Add(timeout)
	for _, a := range cfg.Target {
		fd, done, err := dial(a, cfg.Bind, sysConnect, nil, nil)
		if err != nil {
			continue
		}
		c := &clientConn{os.NewFile(uintptr(fd), "spipe")}
		if !done {
			err = c.waitConnect(deadline)
		}
		if err == nil {
			return c, nil
		}
		c.Close()
		if !time.Now().Before(deadline) {
			break
		}
	}
	return nil, ErrConnect
}

// clientConn is spipe's connected socket.
type clientConn struct{ *os.File }

// waitConnect waits until the connect in progress finishes or deadline
// passes, and reports its outcome.
func (c *clientConn) waitConnect(deadline time.Time) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	c.SetWriteDeadline(deadline)
	defer c.SetWriteDeadline(time.Time{})
	var connErr error
	err = rc.Write(func(fd uintptr) bool {
		// Still in progress while the socket has no peer and no error.
		errno, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			connErr = err
		case errno != 0:
			connErr = unix.Errno(errno)
		default:
			if _, err := unix.Getpeername(int(fd)); err == unix.ENOTCONN {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return connErr
}

// CloseWrite shuts down the socket's write side (spipe's EOF to the peer).
func (c *clientConn) CloseWrite() error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	if cerr := rc.Control(func(fd uintptr) { err = unix.Shutdown(int(fd), unix.SHUT_WR) }); cerr != nil {
		return cerr
	}
	return err
}

// tune sets the data phase's socket options, as spiped does on its
// sockets (tuneData).
func (c *clientConn) tune(keepalive bool) {
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { tuneData(int(fd), keepalive) })
	}
}

// clientHandshake runs the client side of the handshake within timeout.
func clientHandshake(c *clientConn, cfg ClientConfig, timeout time.Duration) (send, recv cipher.DirectionKeys, err error) {
	hs, err := cipher.NewHandshake(cipher.HandshakeConfig{
		Key: &cfg.Key, Role: cipher.Client, Fast: cfg.Fast, RequireFS: cfg.RequireFS,
	})
	if err != nil {
		return send, recv, err
	}
	defer hs.Wipe()
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	var buf [512]byte
	for {
		switch hs.Step() {
		case cipher.StepWrite:
			n, err := c.Write(hs.Output())
			hs.Wrote(n)
			if err != nil {
				return send, recv, err
			}
		case cipher.StepRead:
			p := buf[:min(hs.Need(), len(buf))]
			if _, err := io.ReadFull(c, p); err != nil {
				return send, recv, err
			}
			if _, err := hs.Input(p); err != nil {
				return send, recv, err
			}
		case cipher.StepCompute:
			hs.Compute()
		case cipher.StepDone:
			s, r := hs.Keys()
			return *s, *r, nil
		default:
			return send, recv, ErrHandshake
		}
	}
}

// clientUp seals in to c and half-closes c at in's EOF.
func clientUp(c *clientConn, s *cipher.Sealer, in io.Reader) error {
	b := new(bufpool.Batch)
	defer clear(b.Buf[:])
	stage := make([]byte, bufpool.Packets*bufpool.SlotSize)
	defer clear(stage)
	for {
		n, err := in.Read(stage)
		if n > 0 {
			for i, off := 0, 0; off < n; i, off = i+1, off+bufpool.SlotSize {
				copy(b.Slot(i), stage[off:n])
			}
			w := s.SealBatch(b.Buf[:], n)
			if _, werr := c.Write(b.Buf[:w]); werr != nil {
				return ErrConn
			}
		}
		if err == io.EOF {
			if cerr := c.CloseWrite(); cerr != nil {
				return ErrConn
			}
			return nil
		}
		if err != nil {
			return ErrConn
		}
	}
}

// clientDown opens packets from c and writes their messages to out; it
// returns nil at c's EOF (a partial packet there is discarded).
func clientDown(c *clientConn, o *cipher.Opener, out io.Writer) error {
	b := new(bufpool.Batch)
	defer clear(b.Buf[:])
	have := 0
	for {
		n, err := c.Read(b.Buf[have:])
		have += n
		// Open every whole packet and pack the messages at the front.
		msg, pk := 0, 0
		for ; (pk+1)*bufpool.PacketSize <= have; pk++ {
			m, oerr := o.Open(b.Frame(pk))
			if oerr != nil {
				return ErrConn
			}
			msg += copy(b.Buf[msg:], b.Frame(pk)[:m])
		}
		if msg > 0 {
			if _, werr := out.Write(b.Buf[:msg]); werr != nil {
				return ErrConn
			}
		}
		have = copy(b.Buf[:], b.Buf[pk*bufpool.PacketSize:have])
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return ErrConn
		}
	}
}
