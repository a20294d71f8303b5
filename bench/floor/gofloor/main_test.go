//go:build linux

package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/spiped-go/spiped/internal/spipedtest"
	"golang.org/x/sys/unix"
)

// TestMain runs the program itself when the test binary is started as a
// child by TestRoundTrip.
func TestMain(m *testing.M) {
	if os.Getenv("GOFLOOR_CHILD") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// TestLayout checks the structs against <linux/io_uring.h>.
func TestLayout(t *testing.T) {
	var s ioUringSqe
	var p ioUringParams
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"sizeof(struct io_uring_sqe)", unsafe.Sizeof(s), 64},
		{"sizeof(struct io_uring_cqe)", unsafe.Sizeof(ioUringCqe{}), 16},
		{"sizeof(struct io_uring_params)", unsafe.Sizeof(p), 120},
		{"io_uring_sqe.ioprio", unsafe.Offsetof(s.ioprio), 2},
		{"io_uring_sqe.fd", unsafe.Offsetof(s.fd), 4},
		{"io_uring_sqe.off", unsafe.Offsetof(s.off), 8},
		{"io_uring_sqe.addr", unsafe.Offsetof(s.addr), 16},
		{"io_uring_sqe.len", unsafe.Offsetof(s.len), 24},
		{"io_uring_sqe.msg_flags", unsafe.Offsetof(s.opFlags), 28},
		{"io_uring_sqe.user_data", unsafe.Offsetof(s.userData), 32},
		{"io_uring_sqe.file_index", unsafe.Offsetof(s.fileIndex), 44},
		{"io_uring_sqe.addr3", unsafe.Offsetof(s.addr3), 48},
		{"io_uring_params.features", unsafe.Offsetof(p.features), 20},
		{"io_uring_params.sq_off", unsafe.Offsetof(p.sqOff), 40},
		{"io_uring_params.cq_off", unsafe.Offsetof(p.cqOff), 80},
		{"io_uring_params.sq_off.array", unsafe.Offsetof(p.sqOff) + unsafe.Offsetof(p.sqOff.array), 64},
		{"io_uring_params.cq_off.cqes", unsafe.Offsetof(p.cqOff) + unsafe.Offsetof(p.cqOff.cqes), 100},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
}

// TestParse checks addr.h's reading of addresses.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		port uint16
		addr [4]byte
	}{
		{"127.0.0.1:8025", 8025, [4]byte{127, 0, 0, 1}},
		{"[10.1.2.3]:443", 443, [4]byte{10, 1, 2, 3}},
		{"0.0.0.0:70000", 70000 & 0xffff, [4]byte{}},
		{"1.2.3.4:12x", 12, [4]byte{1, 2, 3, 4}},
	} {
		var sa unix.RawSockaddrInet4
		parse(c.in, &sa)
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		if sa.Family != unix.AF_INET || uint16(p[0])<<8|uint16(p[1]) != c.port || sa.Addr != c.addr {
			t.Errorf("parse(%q) = %+v", c.in, sa)
		}
	}
}

// ringRefused says why io_uring cannot be used here with the C's setup
// flags, or "" if it can.
func ringRefused() string {
	p := ioUringParams{
		flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE,
		cqEntries: 2,
	}
	fd, _, e := unix.RawSyscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return "io_uring_setup: " + e.Error()
	}
	unix.Close(int(fd))
	return ""
}

// TestRoundTrip runs a -d in front of an echo server and an -e in front
// of it, as the bench does, with the options the bench passes too, and
// sends a few bytes and a half-close through them and back.
func TestRoundTrip(t *testing.T) {
	if why := ringRefused(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("io_uring refused under CI (%s)", why)
		}
		t.Skipf("io_uring refused here (%s)", why)
	}
	echo, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	// Never the same port twice in this process (a closed listener's port
	// can come back at once).
	portD, portE := strconv.Itoa(spipedtest.FreeTCPPort(t)), strconv.Itoa(spipedtest.FreeTCPPort(t))
	var children []*exec.Cmd
	var stderr [2]spipedtest.SyncBuffer
	defer func() {
		for _, cmd := range children {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// start runs the program as a child and waits until it accepts
	// connections on port (a probe connection it drops at once).
	start := func(i int, port string, args ...string) net.Conn {
		args = append(args, "-k", "/nonexistent", "-F", "-n", "0", "-o", "5", "--metrics", "127.0.0.1:1")
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "GOFLOOR_CHILD=1")
		cmd.Stderr = &stderr[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, cmd)
		for deadline := time.Now().Add(10 * time.Second); ; {
			c, err := net.Dial("tcp4", "127.0.0.1:"+port)
			if err == nil {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listening: %v; stderr: %q", args[0], err, stderr[i].String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// -d first: an -e whose connect to it is refused drops its client.
	start(0, portD, "-d", "-s", "[127.0.0.1]:"+portD, "-t", echo.Addr().String()).Close()
	c := start(1, portE, "-e", "-s", "127.0.0.1:"+portE, "-t", "[127.0.0.1]:"+portD)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := []byte("hello, floor")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %q, %v; stderr: %q %q", got, err, stderr[0].String(), stderr[1].String())
	}
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(c); err != nil || len(rest) > 0 {
		t.Fatalf("after the half-close: %q, %v", rest, err)
	}
}
