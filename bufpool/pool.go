// Package bufpool holds fixed-size frame batches: the memory in which a
// connection reads, seals, opens and writes up to Packets data packets at a
// time.
//
// A batch is laid out as Packets consecutive 1060-byte frames, so plaintext
// can be read with readv straight into the payload slots (one iovec per
// 1024-byte slot at offset i*PacketSize), sealed in place, and the whole run
// of sealed packets written with one write. Batches hold plaintext, so the
// pool zeroes them on return.
//
// A Pool belongs to one event loop and is used only from that loop's
// goroutine: taking and returning are a slice push and pop, with no locks.
// It is bounded: once Cap batches are out, Get returns nil and the caller
// waits for a Put instead of memory growing without limit.
package bufpool

import "github.com/spiped-go/spiped/cipher"

const (
	// Packets is the number of packet frames in one batch.
	Packets = 64
	// PacketSize is the size of one frame: a whole packet on the wire.
	PacketSize = cipher.PacketSize
	// SlotSize is the payload room at the start of each frame.
	SlotSize = cipher.MaxMessage
	// Size is the number of bytes in one batch (67,840).
	Size = Packets * PacketSize
)

// Batch is one frame batch. Buf holds Packets frames back to back; Len is
// room for one message length per frame, for a reader that opened packets
// and still has to write their payloads.
type Batch struct {
	Buf [Size]byte
	Len [Packets]uint16
}

// Slot returns frame i's payload slot, Buf[i*PacketSize:][:SlotSize].
func (b *Batch) Slot(i int) []byte {
	return b.Buf[i*PacketSize : i*PacketSize+SlotSize : i*PacketSize+SlotSize]
}

// Frame returns the whole frame i, Buf[i*PacketSize:][:PacketSize].
func (b *Batch) Frame(i int) []byte {
	return b.Buf[i*PacketSize : (i+1)*PacketSize : (i+1)*PacketSize]
}

// Pool is a bounded free list of batches for one goroutine.
type Pool struct {
	free []*Batch
	out  int // batches handed out and not yet returned
	cap  int
}

// New returns a pool that hands out at most cap batches at once. Batches are
// allocated on first need and kept for reuse afterwards.
func New(cap int) *Pool {
	if cap < 1 {
		cap = 1
	}
	return &Pool{free: make([]*Batch, 0, cap), cap: cap}
}

// Get returns a zeroed batch, or nil when Cap batches are already out.
func (p *Pool) Get() *Batch {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		p.out++
		return b
	}
	if p.out >= p.cap {
		return nil
	}
	p.out++
	return new(Batch)
}

// GetOverCap returns a zeroed batch even when Cap batches are out. It is for
// a caller that already holds a batch and needs one more to make progress,
// so that waiting could deadlock; as long as such callers never hold more
// than two, at most twice Cap batches are out.
func (p *Pool) GetOverCap() *Batch {
	if b := p.Get(); b != nil {
		return b
	}
	p.out++
	return new(Batch)
}

// Put zeroes b, which may hold plaintext, and returns it to the pool.
func (p *Pool) Put(b *Batch) {
	clear(b.Buf[:])
	clear(b.Len[:])
	p.out--
	p.free = append(p.free, b)
}

// PutDirty is Put for a caller that knows it wrote only b.Buf[:n] (and
// Len): it zeroes just that prefix, which for a batch that carried one small
// message is a few hundred bytes instead of 67,840.
func (p *Pool) PutDirty(b *Batch, n int) {
	clear(b.Buf[:n])
	clear(b.Len[:])
	p.out--
	p.free = append(p.free, b)
}

// Out reports how many batches are handed out.
func (p *Pool) Out() int { return p.out }
