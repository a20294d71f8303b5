package keyfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/spiped-go/spiped/cipher"
)

// readKeyMessage is what the commands print first when ReadKey fails.
func readKeyMessage(path string, stdin io.Reader) string {
	if _, err := cipher.ReadKey(path, stdin); err != nil {
		return Message(err)
	}
	return ""
}

// TestMessage pins the reference's messages, less its "spiped: " prefix.
func TestMessage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexist")
	if got := readKeyMessage(missing, nil); got != "Cannot open file: "+missing+": No such file or directory" {
		t.Fatalf("missing file: %q", got)
	}
	if got := readKeyMessage(dir, nil); got != "Error reading file: "+dir+": Is a directory" {
		t.Fatalf("directory: %q", got)
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked")
		os.WriteFile(locked, []byte("x"), 0)
		if got := readKeyMessage(locked, nil); got != "Cannot open file: "+locked+": Permission denied" {
			t.Fatalf("unreadable file: %q", got)
		}
	}
	// A cause that is no errno has no C text; it is printed as it is.
	if got := readKeyMessage("-", iotest.ErrReader(errors.New("boom"))); got != "Error reading file: -: boom" {
		t.Fatalf("stdin read error: %q", got)
	}
	if got := Message(errors.New("other")); got != "other" {
		t.Fatalf("not a KeyError: %q", got)
	}
}

// TestLoad: a key that cannot be read draws the reference's two lines and
// false; one that can is returned after its warnings.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	var got []string
	warn := func(s string) { got = append(got, s) }
	missing := filepath.Join(dir, "nonexist")
	if _, ok := Load(missing, nil, warn); ok || len(got) != 2 ||
		got[0] != "Cannot open file: "+missing+": No such file or directory" || got[1] != "Error reading shared secret" {
		t.Fatalf("missing file: %v, %q", ok, got)
	}
	got = nil
	shared := filepath.Join(dir, "shared")
	if err := os.WriteFile(shared, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := cipher.ReadKey(shared, nil)
	if k, ok := Load(shared, nil, warn); !ok || k != want ||
		len(got) != 1 || got[0] != "WARNING: key file "+shared+" is readable by group or others" {
		t.Fatalf("readable file: %v, %q", ok, got)
	}
}
