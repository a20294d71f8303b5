package spipedtest

import (
	"io"
	"net"
	"testing"
)

// NewTamper is a Service in front of upstream ("host:port") that forwards
// each connection but flips one bit of the client's stream at byte offset
// at, so the daemon behind it receives a packet nobody sealed.
func NewTamper(t testing.TB, upstream string, at int64) *Service {
	return NewService(t, "", func(c net.Conn) {
		u, err := net.Dial("tcp4", upstream)
		if err != nil {
			return
		}
		defer u.Close()
		go func() { io.Copy(c, u); c.Close() }()
		io.CopyN(u, c, at)
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		u.Write([]byte{b[0] ^ 0x40})
		io.Copy(u, c)
	})
}
