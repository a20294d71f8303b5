package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// A name is accepted only if every address it resolves to is loopback,
// and the debug server then listens on one of those addresses (IPv4
// first), not on the name, which could resolve differently next time.
func TestPprofAddrNames(t *testing.T) {
	hosts := map[string][]string{
		"localhost":  {"::1", "127.0.0.1"},
		"loop6":      {"::1"},
		"mixed":      {"127.0.0.1", "192.0.2.1"},
		"public":     {"192.0.2.1"},
		"mixed6":     {"::1", "2001:db8::1"},
		"mapped":     {"::ffff:127.0.0.2"},
		"mappedwild": {"::ffff:0.0.0.0"},
		"none":       {},
	}
	lookupErr := errors.New("lookup nxdomain: no such host")
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		list, ok := hosts[host]
		if !ok {
			return nil, lookupErr
		}
		var ips []netip.Addr
		for _, s := range list {
			ips = append(ips, netip.MustParseAddr(s))
		}
		return ips, nil
	}
	for _, tc := range []struct {
		spec, want string
		err        error
	}{
		{"localhost:6060", "127.0.0.1:6060", nil},
		{"loop6:0", "[::1]:0", nil},
		{"mapped:0", "127.0.0.2:0", nil},
		{"127.0.0.1:0", "127.0.0.1:0", nil},
		{"127.8.9.10:0", "127.8.9.10:0", nil},
		{"[::1]:0", "[::1]:0", nil},
		{"mixed:0", "", errNotLoopback},
		{"public:0", "", errNotLoopback},
		{"mixed6:0", "", errNotLoopback},
		{"mappedwild:0", "", errNotLoopback},
		{"none:0", "", errNotLoopback},
		{"nxdomain:0", "", lookupErr},
		{":6060", "", errNotLoopback},
		{"0.0.0.0:6060", "", errNotLoopback},
		{"[::]:6060", "", errNotLoopback},
		{"[fe80::1%eth0]:0", "", errNotLoopback},
		{"6060", "", errNotLoopback},
	} {
		got, err := pprofAddr(tc.spec, lookup)
		if got != tc.want || err != tc.err {
			t.Errorf("pprofAddr(%q) = %q, %v; want %q, %v", tc.spec, got, err, tc.want, tc.err)
		}
	}
}

// --pprof serves the engine's counters under /debug/vars.
func TestPprof(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	sock := filepath.Join(dir, "sock")
	addr := fmt.Sprintf("127.0.0.1:%d", spipedtest.FreeTCPPort(t))
	d := spipedtest.StartProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
	spipedtest.WaitUntil(t, "the debug server", func() bool { return spipedtest.Accepting("tcp", addr) })
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var vars struct {
		Engine map[string]any `json:"engine"` // counters, and the Ended and histogram arrays
	}
	if err := json.Unmarshal(body, &vars); err != nil {
		t.Fatalf("/debug/vars: %v: %s", err, body)
	}
	if v, ok := vars.Engine["Open"]; !ok || v != 0.0 {
		t.Fatalf("/debug/vars engine counters %v, want Open: 0", vars.Engine)
	}
	if p := vars.Engine["Poller"]; p != "io_uring" && p != "epoll" && p != "kqueue" {
		t.Fatalf("/debug/vars engine Poller %v", p)
	}
	d.Stop(t)
}

// --pprof is loopback-only: any other address (an empty host too) is
// refused with status 1 before anything is bound; loopback addresses,
// IPv4, IPv6 or by name, serve.
func TestPprofLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	key := spipedtest.WriteKeyFile(t, dir, "key", "secret")
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", ":6060", "[::ffff:0.0.0.0]:0", "1.2.3.4:0"} {
		sock := filepath.Join(dir, "refused")
		got := spipedtest.RunProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		want := "spiped: --pprof address must be a loopback address: " + addr + "\n"
		if got.Code != 1 || got.Stderr != want {
			t.Errorf("--pprof %s: status %d, stderr %q; want 1, %q", addr, got.Code, got.Stderr, want)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("--pprof %s: the source socket was bound before the refusal", addr)
			os.Remove(sock)
		}
		// Without -F, the parent refuses before it starts a daemon.
		got = spipedtest.RunProgram(t, bin, dir, "", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		if got.Code != 1 || got.Stderr != want {
			t.Errorf("--pprof %s (daemon): status %d, stderr %q; want 1, %q", addr, got.Code, got.Stderr, want)
		}
		if _, err := os.Lstat(sock + ".pid"); err == nil {
			t.Errorf("--pprof %s (daemon): a daemon started", addr)
		}
	}
	hosts := []string{"127.0.0.1", "localhost"}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		hosts = append(hosts, "[::1]")
	} else {
		t.Logf("no IPv6 loopback here, not trying [::1]: %v", err)
	}
	for i, host := range hosts {
		sock := filepath.Join(dir, fmt.Sprintf("ok%d", i))
		port := spipedtest.FreeTCPPort(t)
		addr := fmt.Sprintf("%s:%d", host, port)
		d := spipedtest.StartProgram(t, bin, dir, "", "-F", "-e", "-s", sock, "-t", "[127.0.0.1]:9", "-k", key, "--pprof", addr)
		spipedtest.WaitUntil(t, "the debug server on "+addr, func() bool { return spipedtest.Accepting("tcp", addr) || d.Cmd.ProcessState != nil })
		if out := d.Stop(t); out != "" {
			t.Errorf("--pprof %s: stderr %q; want silence", addr, out)
		}
	}
}

// engineTotal reads the engine's count of accepted connections from --pprof.
func engineTotal(addr string) int64 {
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var vars struct {
		Engine map[string]any `json:"engine"` // counters, and the Ended and histogram arrays
	}
	if json.NewDecoder(resp.Body).Decode(&vars) != nil {
		return -1
	}
	total, ok := vars.Engine["Total"].(float64)
	if !ok {
		return -1
	}
	return int64(total)
}
