package main

import (
	"strings"
	"testing"
	"time"
)

// The warm-up really loads the daemons (each of its connections sends the
// echo one byte), does nothing at 0, and fails when nothing gets through.
func TestWarmUp(t *testing.T) {
	echo, err := newEcho(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := warmUp(echo.addr(), 2, 0); err != nil {
		t.Fatalf("warm-up of 0: %v", err)
	}
	if n := echo.bytes.Load(); n != 0 {
		t.Fatalf("warm-up of 0 sent %d bytes", n)
	}
	if err := warmUp(echo.addr(), 2, 200*time.Millisecond); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	if n := echo.bytes.Load(); n < 10 {
		t.Fatalf("warm-up of 200ms made %d connections", n)
	}
	addr := echo.addr()
	echo.close()
	if err := warmUp(addr, 2, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Fatalf("warm-up with nothing listening: %v", err)
	}
}
