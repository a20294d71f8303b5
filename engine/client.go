package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/spiped-go/spiped/bufpool"
	"github.com/spiped-go/spiped/cipher"
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

// halfCloser is a connection whose write side can be shut down alone.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

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
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		tc.SetKeepAlive(!cfg.NoKeepalive)
	}
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

// clientDial connects to the targets in order within timeout in all.
func clientDial(cfg ClientConfig, timeout time.Duration) (halfCloser, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, a := range cfg.Target {
		d := net.Dialer{}
		if cfg.Bind != nil && a.Network != "unix" && cfg.Bind.Network != "unix" {
			d.LocalAddr = tcpAddr(*cfg.Bind)
		}
		network, addr := "unix", a.Path
		if a.Network != "unix" {
			network, addr = "tcp", tcpAddr(a).String()
		}
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			return c.(halfCloser), nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, ErrConnect
}

// clientHandshake runs the client side of the handshake within timeout.
func clientHandshake(c net.Conn, cfg ClientConfig, timeout time.Duration) (send, recv cipher.DirectionKeys, err error) {
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
func clientUp(c halfCloser, s *cipher.Sealer, in io.Reader) error {
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
func clientDown(c net.Conn, o *cipher.Opener, out io.Writer) error {
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

// tcpAddr is a as the net package takes it. The IPv6 scope id goes along as
// a numeric zone, so spipe keeps "fe80::1%lo:80"'s scope as spiped does.
func tcpAddr(a Addr) *net.TCPAddr {
	t := &net.TCPAddr{IP: a.IP, Port: a.Port}
	if a.Zone != 0 {
		t.Zone = strconv.FormatUint(uint64(a.Zone), 10)
	}
	return t
}
