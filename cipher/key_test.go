package cipher

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", "secret", "secret\n", strings.Repeat("\x00\xff", 100000)} {
		path := filepath.Join(dir, "key")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := ReadKey(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if k != sha256.Sum256([]byte(content)) {
			t.Fatalf("K of a %d-byte file is wrong", len(content))
		}
	}
	// The empty file's K is the §8 vector; a trailing newline is part of the key.
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600)
	k, _ := ReadKey(filepath.Join(dir, "empty"), nil)
	if hex.EncodeToString(k[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("K(empty) = %x", k)
	}
	os.WriteFile(filepath.Join(dir, "nl"), []byte("secret\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "nonl"), []byte("secret"), 0o600)
	k1, _ := ReadKey(filepath.Join(dir, "nl"), nil)
	k2, _ := ReadKey(filepath.Join(dir, "nonl"), nil)
	if k1 == k2 {
		t.Fatal("the trailing newline was dropped")
	}
}

func TestReadKeyStdin(t *testing.T) {
	k, err := ReadKey("-", iotest.OneByteReader(strings.NewReader("from stdin\n")))
	if err != nil {
		t.Fatal(err)
	}
	if k != sha256.Sum256([]byte("from stdin\n")) {
		t.Fatal("K from stdin is wrong")
	}
	boom := errors.New("boom")
	_, err = ReadKey("-", iotest.ErrReader(boom))
	if ke, ok := err.(*KeyError); !ok || ke.Op != "read" || ke.Path != "-" || ke.Err != boom {
		t.Fatalf("stdin read error: %#v", err)
	}
}

// TestReadKeyErrors checks what ReadKey says failed, on which file, and
// the errno it failed with; cmd/internal/keyfile's TestMessage pins the
// reference's wording of these errors.
func TestReadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	check := func(path, op string, errno syscall.Errno) {
		t.Helper()
		_, err := ReadKey(path, nil)
		ke, ok := err.(*KeyError)
		if !ok || ke.Op != op || ke.Path != path || ke.Err != errno || !errors.Is(err, errno) {
			t.Fatalf("ReadKey(%q) = %#v, want %s of it failing with %v", path, err, op, errno)
		}
		if want := op + " key file " + path + ": " + errno.Error(); err.Error() != want {
			t.Fatalf("ReadKey(%q): %q, want %q", path, err, want)
		}
	}
	check(filepath.Join(dir, "nonexist"), "open", syscall.ENOENT)
	check(dir, "read", syscall.EISDIR)
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked")
		os.WriteFile(locked, []byte("x"), 0)
		check(locked, "open", syscall.EACCES)
	}
}
