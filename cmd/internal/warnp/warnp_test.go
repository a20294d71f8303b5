package warnp

import (
	"bytes"
	"log/syslog"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestWarnFormat(t *testing.T) {
	var buf bytes.Buffer
	w := New("spiped", &buf)
	w.Warn("Maximum number of connections (3) reached")
	w.Warnf("Error resolving socket address: %s", "x")
	want := "spiped: Maximum number of connections (3) reached\nspiped: Error resolving socket address: x\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestUseSyslogLeavesStderr(t *testing.T) {
	var buf bytes.Buffer
	w := New("spiped", &buf)
	w.UseSyslog()
	w.Warn("to syslog, or nowhere without a syslog daemon")
	if buf.Len() != 0 {
		t.Fatalf("after UseSyslog, %q went to standard error", buf.String())
	}
}

// Info and Print share Warn's destination: on standard error Info has the
// prefix and Print none; in syslog all three are the bare message, Warn at
// LOG_WARNING and the others at LOG_INFO, facility LOG_USER.
func TestInfoAndPrint(t *testing.T) {
	var buf bytes.Buffer
	w := New("spiped", &buf)
	w.Info("conn cause=done")
	w.Print(`{"cause":"done"}`)
	if want := "spiped: conn cause=done\n{\"cause\":\"done\"}\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}

	sock := filepath.Join(t.TempDir(), "log")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	old := dialSyslog
	dialSyslog = func(p syslog.Priority, tag string) (*syslog.Writer, error) {
		return syslog.Dial("unixgram", sock, p, tag)
	}
	defer func() { dialSyslog = old }()
	buf.Reset()
	w.UseSyslog()
	w.Warn("a warning")
	w.Info("conn cause=reset")
	w.Print(`{"cause":"reset"}`)
	if buf.Len() != 0 {
		t.Fatalf("standard error got %q under syslog", buf.String())
	}
	// log/syslog's local format: <PRI>timestamp tag[pid]: message
	for _, want := range []struct{ pri, msg string }{
		{"12", "a warning"}, {"14", "conn cause=reset"}, {"14", `{"cause":"reset"}`},
	} {
		b := make([]byte, 1024)
		ln.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := ln.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^<` + want.pri + `>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d spiped\[\d+\]: ` + regexp.QuoteMeta(want.msg) + "\n$")
		if !re.Match(b[:n]) {
			t.Errorf("syslog got %q, want priority %s and %q", b[:n], want.pri, want.msg)
		}
	}
}
