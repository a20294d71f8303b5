//go:build linux

package engine

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ringBufs is a ring of provided buffers (IORING_REGISTER_PBUF_RING, Linux
// 5.19): memory a loop lends the kernel for receives. A receive asked for
// with a buffer group takes a buffer only when bytes arrive, so a socket
// waiting for input holds none; the loop copies the bytes out and gives the
// buffer back at once.
//
// Both the ring and the buffers are mapped outside Go's heap: the kernel
// keeps their addresses.
type ringBufs struct {
	ring []ringBuf // the ring the kernel reads, shared with it
	mem  []byte    // count buffers of rxBufSize
	tail uint16    // buffers up to it are lent
}

// ringBuf is struct io_uring_buf.
type ringBuf struct {
	addr uint64
	len  uint32
	bid  uint16
	_    uint16
}

const (
	// rxBufSize is one provided buffer: every handshake message and a
	// request or reply of a few packets fit. A receive that fills one
	// is followed by a read of the rest (ringPoller.readv).
	rxBufSize = 2048
	// rxBufCount buffers per loop (512 KiB): every connection with
	// bytes received and not yet taken holds one. When they run out,
	// sockets fall back to readiness and reads of their own.
	rxBufCount = 256
	// rxGroup is the buffer group id the loop's receives name.
	rxGroup = 0

	registerPbufRing = 22 // IORING_REGISTER_PBUF_RING
)

// ringBufReg is struct io_uring_buf_reg.
type ringBufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid        uint16
	flags       uint16
	_           [3]uint64
}

// newRingBufs maps the buffers and registers them with ring fd as group
// rxGroup. It must run on the ring's submitter thread.
func newRingBufs(fd int) (*ringBufs, error) {
	ringMem, err := unix.Mmap(-1, 0, rxBufCount*int(unsafe.Sizeof(ringBuf{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(-1, 0, rxBufCount*rxBufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		unix.Munmap(ringMem)
		return nil, err
	}
	b := &ringBufs{
		ring: unsafe.Slice((*ringBuf)(unsafe.Pointer(&ringMem[0])), rxBufCount),
		mem:  mem,
	}
	reg := ringBufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&ringMem[0]))), ringEntries: rxBufCount, bgid: rxGroup}
	_, _, e := unix.RawSyscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), registerPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0)
	if e != 0 {
		b.unmap()
		return nil, e
	}
	for bid := range rxBufCount {
		b.put(uint16(bid))
	}
	return b, nil
}

// buf is buffer bid's memory.
func (b *ringBufs) buf(bid uint16) []byte {
	off := int(bid) * rxBufSize
	return b.mem[off : off+rxBufSize : off+rxBufSize]
}

// put lends buffer bid to the kernel again. What it held is not cleared:
// the bytes were a socket's, on their way into a batch that is zeroed when
// it goes back, and the next receive overwrites them.
func (b *ringBufs) put(bid uint16) {
	e := &b.ring[b.tail&(rxBufCount-1)]
	e.addr = uint64(uintptr(unsafe.Pointer(&b.buf(bid)[0])))
	e.len = rxBufSize
	e.bid = bid
	b.tail++
	// The ring's tail overlays the reserved half-word of its first entry
	// (struct io_uring_buf_ring), and must be stored after the entry,
	// with release order. sync/atomic has no 16-bit store, so the word
	// holding it goes whole: its low half is that entry's bid, which
	// only we write. (The ring runs on little-endian machines only.)
	w := (*uint32)(unsafe.Pointer(&b.ring[0].bid))
	atomic.StoreUint32(w, uint32(b.ring[0].bid)|uint32(b.tail)<<16)
}

func (b *ringBufs) unmap() {
	unix.Munmap(b.mem)
	unix.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&b.ring[0])), rxBufCount*int(unsafe.Sizeof(ringBuf{}))))
}
