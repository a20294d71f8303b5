package main

import (
	"net"
	"os"
	"runtime"
	"testing"
)

func TestProcSampling(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	kb, err := rssKB(os.Getpid())
	if err != nil || kb <= 0 {
		t.Fatalf("rssKB = %d, %v", kb, err)
	}
}

func TestListening(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if !listening(port) {
		t.Fatalf("port %d listens but was not found", port)
	}
	ln.Close()
	if listening(port) {
		t.Fatalf("port %d closed but still found", port)
	}
}

func TestTailKeepsEnd(t *testing.T) {
	tl := &tail{max: 4}
	tl.Write([]byte("abc"))
	tl.Write([]byte("defg"))
	if got := tl.String(); got != "defg" {
		t.Fatalf("tail = %q", got)
	}
}

func TestSpipedAddr(t *testing.T) {
	if got := spipedAddr(loopback(8025)); got != "[127.0.0.1]:8025" {
		t.Fatalf("spipedAddr = %q", got)
	}
}
