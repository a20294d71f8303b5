package spipedtest

import (
	"io"
	"net"
	"sync"
)

// Record is what one connection delivered: its bytes so far and, once Done
// is closed, how it ended.
type Record struct {
	mu   sync.Mutex
	data []byte
	End  error         // read only after Done: nil for a clean EOF
	Done chan struct{} // closed when the connection has ended
}

// Recording reads c to its end in a goroutine of its own, keeping every
// byte, and closes c when it ends; the daemon under test never waits on it.
func Recording(c net.Conn) *Record {
	r := &Record{Done: make(chan struct{})}
	go func() {
		defer close(r.Done)
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			r.mu.Lock()
			r.data = append(r.data, buf[:n]...)
			if err != nil && err != io.EOF {
				r.End = err
			}
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// Bytes is a copy of what arrived so far.
func (r *Record) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.data...)
}
