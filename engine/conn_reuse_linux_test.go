//go:build linux

package engine

import (
	"net/netip"
	"testing"

	"github.com/spiped-go/spiped/cipher"
)

// An ended connection is kept, with its keys wiped, and the next accepted
// socket gets the same memory back: fresh state, the same sealer and
// opener, which the next handshake rekeys.
func TestConnReused(t *testing.T) {
	r := newPipeRig(t)
	l, c := r.l, r.c
	c.sealer, c.opener = c.fwd.seal, c.rev.open // as handshakeDone leaves them
	seal := c.sealer
	r.c = &conn{l: l, state: closed} // the rig's cleanup must not close it again
	c.close(CauseShutdown)
	if len(l.conns) != 1 || l.conns[0] != c {
		t.Fatalf("kept %v, want the ended connection", l.conns)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the kept connection's sealer still seals")
			}
		}()
		seal.Seal(make([]byte, cipher.PacketSize), 1)
	}()

	fds := socketpair(t)
	defer closeFd(fds[1])
	target := IPAddr(netip.MustParseAddrPort("127.0.0.1:1"))
	startConn(l, c.p.hold(), []Addr{target}, fds[0])
	got, _ := l.owner[fds[0]].(*conn)
	if got != c {
		t.Fatal("the new connection did not reuse the kept one")
	}
	if len(l.conns) != 0 {
		t.Fatalf("%d still kept", len(l.conns))
	}
	if got.sealer != seal || got.fwd.seal != nil || got.rev.open != nil || got.state == closed ||
		got.fwd.moved != 0 || got.accepted != fds[0] {
		t.Fatal("the reused connection is not fresh, or lost its sealer")
	}
	if got.connT.idx < 0 || got.hsT.idx >= 0 {
		t.Fatalf("timers: connect armed %v, handshake armed %v; want only the connect's", got.connT.idx >= 0, got.hsT.idx >= 0)
	}
	got.close(CauseShutdown)
	l.closeReleased()
}

// A connection closed while a worker computes for it is kept only once
// the worker has handed it back.
func TestConnReusedAfterCompute(t *testing.T) {
	r := newPipeRig(t)
	l, c := r.l, r.c
	r.c = &conn{l: l, state: closed}
	hs, err := cipher.NewHandshake(c.p.handshake)
	if err != nil {
		t.Fatal(err)
	}
	c.hs, c.state = hs, computing
	c.close(CauseShutdown)
	if len(l.conns) != 0 {
		t.Fatal("kept while a worker may still compute for it")
	}
	if !c.cancelled.Load() {
		t.Fatal("the worker was not told")
	}
	c.computed()
	if len(l.conns) != 1 || l.conns[0] != c {
		t.Fatal("not kept once the worker handed it back")
	}
	l.closeReleased()
}
