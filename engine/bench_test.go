package engine

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// Tunnel benchmarks: client -> -e -> -d -> service on loopback, with our
// engine in process or the reference binaries, to compare within one run:
//
//	go test ./engine -run '^$' -bench Tunnel -benchtime=2s

var benchSides = []struct {
	name string
	ref  bool
}{{"ours", false}, {"ref", true}}

func benchTunnel(b *testing.B, ref bool, handle func(net.Conn)) net.Conn {
	if ref {
		spipedtest.NeedReference(b)
	}
	tn := startTunnel(b, side{ref: ref}, side{ref: ref}, tcp4, service(b, handle))
	c := tn.dial(b)
	c.SetDeadline(time.Time{})
	b.Cleanup(func() { c.Close() })
	return c
}

func discard(c net.Conn) { io.Copy(io.Discard, c) }

func BenchmarkTunnelBulk(b *testing.B) {
	for _, sd := range benchSides {
		b.Run(sd.name, func(b *testing.B) {
			c := benchTunnel(b, sd.ref, discard)
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTunnelRoundTrip64(b *testing.B) {
	for _, sd := range benchSides {
		b.Run(sd.name, func(b *testing.B) {
			c := benchTunnel(b, sd.ref, spipedtest.EchoConn)
			msg, got := make([]byte, 64), make([]byte, 64)
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
