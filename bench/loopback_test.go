package main

import (
	"net"
	"testing"
)

// BenchmarkLoopbackCopy measures the floor under every tunnel figure: moving
// bytes through one loopback TCP connection in 64 KiB writes, with the
// reader in the same process. A chain client -> -e -> -d -> sink crosses
// three such connections, and each daemon does one read and one write per
// byte on top of its crypto, so PERF.md compares CPU per byte against this.
//
//	go test ./bench -run '^$' -bench LoopbackCopy -benchtime 2s
func BenchmarkLoopbackCopy(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		// A plain read loop: io.Copy to io.Discard would read 8 KiB at a time.
		var n int64
		rbuf := make([]byte, 64<<10)
		for {
			k, err := c.Read(rbuf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		c.Close()
		done <- n
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	if n := <-done; n < int64(b.N)*int64(len(buf)) {
		b.Fatalf("reader got %d bytes, want %d", n, int64(b.N)*int64(len(buf)))
	}
}
