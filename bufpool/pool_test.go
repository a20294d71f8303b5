package bufpool

import (
	"bytes"
	"testing"
)

func TestLayout(t *testing.T) {
	if Size != 67840 {
		t.Fatalf("Size = %d, want 67840", Size)
	}
	var b Batch
	for i := 0; i < Packets; i++ {
		s := b.Slot(i)
		if len(s) != SlotSize || cap(s) != SlotSize {
			t.Fatalf("slot %d: len %d cap %d", i, len(s), cap(s))
		}
		if &s[0] != &b.Buf[i*1060] {
			t.Fatalf("slot %d does not start at %d", i, i*1060)
		}
		f := b.Frame(i)
		if len(f) != 1060 || &f[0] != &b.Buf[i*1060] {
			t.Fatalf("frame %d misplaced", i)
		}
	}
}

func TestBoundedAndZeroed(t *testing.T) {
	p := New(2)
	a, b := p.Get(), p.Get()
	if a == nil || b == nil || a == b {
		t.Fatal("expected two distinct batches")
	}
	if c := p.Get(); c != nil {
		t.Fatal("pool handed out more than its cap")
	}
	if p.Out() != 2 {
		t.Fatalf("Out = %d", p.Out())
	}
	d := p.GetOverCap()
	if d == nil || p.Out() != 3 {
		t.Fatalf("GetOverCap: %p, Out = %d", d, p.Out())
	}
	p.Put(d)
	for i := range a.Buf {
		a.Buf[i] = 0xa5
	}
	a.Len[3] = 7
	p.Put(a)
	c := p.Get()
	if c != a {
		t.Fatal("returned batch was not reused")
	}
	if !bytes.Equal(c.Buf[:], make([]byte, Size)) || c.Len[3] != 0 {
		t.Fatal("batch not zeroed on return")
	}
	p.Put(b)
	p.Put(c)
	if p.Out() != 0 {
		t.Fatalf("Out = %d after returning all", p.Out())
	}
}

func TestGetPutAllocs(t *testing.T) {
	p := New(4)
	p.Put(p.Get()) // warm: the first Get allocates the batch
	n := testing.AllocsPerRun(1000, func() {
		b := p.Get()
		p.Put(b)
	})
	if n != 0 {
		t.Fatalf("Get+Put allocates %v times", n)
	}
}

func BenchmarkGetPut(b *testing.B) {
	p := New(4)
	p.Put(p.Get())
	b.ReportAllocs()
	b.SetBytes(Size)
	for b.Loop() {
		p.Put(p.Get())
	}
}

func TestPutDirty(t *testing.T) {
	p := New(1)
	b := p.Get()
	for i := range 2000 {
		b.Buf[i] = 0x5a
	}
	b.Len[0] = 9
	p.PutDirty(b, 2000)
	if c := p.Get(); c != b || !bytes.Equal(c.Buf[:], make([]byte, Size)) || c.Len[0] != 0 {
		t.Fatal("PutDirty left data behind")
	}
}

func BenchmarkGetPutDirty(b *testing.B) {
	p := New(4)
	p.Put(p.Get())
	b.ReportAllocs()
	for b.Loop() {
		p.PutDirty(p.Get(), PacketSize)
	}
}
