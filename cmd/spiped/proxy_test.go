package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// nginxBin finds nginx (Debian's is in /usr/sbin, often not on PATH),
// or skips the test without it; under CI it must be there.
func nginxBin(t *testing.T) string {
	t.Helper()
	return spipedtest.NeedCommand(t, "nginx", "the PROXY header is not checked against a real consumer")
}

// proxyConsumer runs nginx, owned by the test, on a free loopback port,
// with a server that takes the PROXY protocol and answers every request
// with what the header told it: "<src addr> <src port> <dst addr> <dst
// port>". It returns the port; nginx is stopped at the end of the test.
func proxyConsumer(t *testing.T) int {
	t.Helper()
	prog := nginxBin(t)
	dir := t.TempDir()
	port := spipedtest.FreeTCPPort(t)
	user := ""
	if os.Geteuid() == 0 {
		// Workers would otherwise switch to nobody, who cannot enter the
		// test's private temporary directory.
		user = "user root root;\n"
	}
	conf := user + `worker_processes 1;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path ` + dir + `/body;
	proxy_temp_path ` + dir + `/proxy;
	server {
		listen 127.0.0.1:` + strconv.Itoa(port) + ` proxy_protocol;
		default_type text/plain;
		location / {
			return 200 "$proxy_protocol_addr $proxy_protocol_port $proxy_protocol_server_addr $proxy_protocol_server_port\n";
		}
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "-e", "stderr", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"),
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	nginxLog := spipedtest.StartExec(t, cmd).Output
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); !spipedtest.Accepting("tcp", addr); {
		select {
		case <-exited:
			t.Fatalf("nginx exited: %s", nginxLog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s: %s", addr, nginxLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return port
}

// proxyGet sends an HTTP request to addr from the local address from and
// returns the response body and the port it was sent from.
func proxyGet(t *testing.T, addr string, from net.IP) (string, int) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.0\r\nHost: test\r\n\r\n")
	resp, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the response: %v (%q)", err, resp)
	}
	_, body, ok := strings.Cut(string(resp), "\r\n\r\n")
	if !ok || !strings.HasPrefix(string(resp), "HTTP/1.1 200 ") {
		t.Fatalf("response %q", resp)
	}
	return body, c.LocalAddr().(*net.TCPAddr).Port
}

// proxyDaemon starts a spiped -F on a free loopback port and returns that
// port once it is ready. It waits for READY=1 rather than probing with a
// connection, which would make -e dial out, using up a fixed -b port.
func proxyDaemon(t *testing.T, dir string, args ...string) int {
	t.Helper()
	port := spipedtest.FreeTCPPort(t)
	args = append([]string{"-F", "-s", fmt.Sprintf("[127.0.0.1]:%d", port)}, args...)
	n, path := notifySocket(t, t.TempDir())
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	d := spipedtest.StartExec(t, cmd)
	if got := nextNotice(t, n, 5*time.Second); got != "READY=1" {
		t.Fatalf("spiped %q: notified %q", args, got)
	}
	t.Cleanup(func() {
		if out := d.Output(); out != "" {
			t.Errorf("spiped %q: stderr %q", args, out)
		}
	})
	return port
}

// -P sends the PROXY protocol v1 header that nginx reads as the client's
// address: with -e -P, through the encrypted stream and -d, the true
// client (here connecting from 127.0.0.3) and the address it connected
// to; with -d -P, the peer of -d, which is -e's outgoing address (here
// bound with -b to 127.0.0.4 and a known port).
func TestProxyHeaderNginx(t *testing.T) {
	nginx := proxyConsumer(t)
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	target := fmt.Sprintf("[127.0.0.1]:%d", nginx)
	client := net.IPv4(127, 0, 0, 3)

	d := proxyDaemon(t, dir, "-d", "-t", target, "-k", key)
	e := proxyDaemon(t, dir, "-e", "-P", "-t", fmt.Sprintf("[127.0.0.1]:%d", d), "-k", key)
	body, from := proxyGet(t, fmt.Sprintf("127.0.0.1:%d", e), client)
	if want := fmt.Sprintf("127.0.0.3 %d 127.0.0.1 %d\n", from, e); body != want {
		t.Errorf("-e -P -> -d -> nginx: nginx saw %q, want %q", body, want)
	}

	// -e's outgoing port, free a moment ago on 127.0.0.4.
	l, err := net.Listen("tcp", "127.0.0.4:0")
	if err != nil {
		t.Fatal(err)
	}
	out := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d2 := proxyDaemon(t, dir, "-d", "-P", "-t", target, "-k", key)
	e2 := proxyDaemon(t, dir, "-e", "-b", fmt.Sprintf("[127.0.0.4]:%d", out), "-t", fmt.Sprintf("[127.0.0.1]:%d", d2), "-k", key)
	body, _ = proxyGet(t, fmt.Sprintf("127.0.0.1:%d", e2), client)
	if want := fmt.Sprintf("127.0.0.4 %d 127.0.0.1 %d\n", out, d2); body != want {
		t.Errorf("-e -> -d -P -> nginx: nginx saw %q, want %q (-e's outgoing address)", body, want)
	}

	// Without -P nginx gets no header and refuses the request: the test
	// would notice a header sent when it should not be.
	d3 := proxyDaemon(t, dir, "-d", "-t", target, "-k", key)
	e3 := proxyDaemon(t, dir, "-e", "-t", fmt.Sprintf("[127.0.0.1]:%d", d3), "-k", key)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", e3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.0\r\nHost: test\r\n\r\n")
	if resp, _ := io.ReadAll(c); len(resp) != 0 {
		t.Errorf("without -P nginx answered %q; want the connection closed for want of a header", resp)
	}
}
