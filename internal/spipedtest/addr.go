package spipedtest

import (
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SpecOf writes a TCP address in spiped's syntax, "[host]:port".
func SpecOf(a net.Addr) string {
	ta := a.(*net.TCPAddr)
	return fmt.Sprintf("[%s]:%d", ta.IP.String(), ta.Port)
}

// DialAddr turns spiped's "[host]:port" into what net.Dial takes
// ("127.0.0.1:N", "[::1]:N"); a Unix socket's path stays as it is.
func DialAddr(spec string) string {
	host, port, ok := strings.Cut(strings.TrimPrefix(spec, "["), "]:")
	if !ok || !strings.HasPrefix(spec, "[") {
		return spec
	}
	return net.JoinHostPort(host, port)
}

// SpecOfAddr turns "127.0.0.1:N" into spiped's "[127.0.0.1]:N".
func SpecOfAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return "[" + host + "]:" + port
}

// FreeSpec returns a loopback address nobody listens on right now.
func FreeSpec(t testing.TB) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return SpecOf(ln.Addr())
}

// KeyFile writes a key file and returns its path and K.
func KeyFile(t testing.TB, content []byte) (string, []byte) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	k := sha256.Sum256(content)
	return path, k[:]
}
