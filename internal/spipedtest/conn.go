package spipedtest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"time"
)

// Drain reads c until it ends (EOF or error) or the deadline passes; it
// returns the bytes read and whether the connection ended in time.
func Drain(c net.Conn, within time.Duration) ([]byte, bool) {
	c.SetReadDeadline(time.Now().Add(within))
	var out bytes.Buffer
	_, err := io.Copy(&out, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return out.Bytes(), false
	}
	return out.Bytes(), true
}

// CloseWrite half-closes c where it can (TCP and Unix sockets).
func CloseWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// ResetClose closes c with SO_LINGER 0, so the kernel sends a RST.
func ResetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
