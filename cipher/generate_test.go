package cipher

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// TestGeneratedAsmCurrent regenerates dh_amd64.s from dh_amd64_gen.go and
// requires it to be byte for byte the checked-in file, so that an edit to
// the generator without 'go generate ./cipher/' (or a hand edit of the
// output) cannot go unnoticed. It runs on every platform: the comparison
// needs no amd64 CPU.
func TestGeneratedAsmCurrent(t *testing.T) {
	goCmd := spipedtest.NeedCommand(t, "go", "dh_amd64.s not regenerated and compared")
	want, err := os.ReadFile("dh_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dh_amd64.s")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCmd, "run", "dh_amd64_gen.go")
	// The generator runs here, whatever GOOS/GOARCH the tests were built
	// for through the environment.
	cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	f.Close()
	if err != nil {
		t.Fatalf("go run dh_amd64_gen.go: %v\n%s", err, stderr.Bytes())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		line, col := 1, 1
		for i := 0; i < len(got) && i < len(want) && got[i] == want[i]; i++ {
			if got[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		t.Fatalf("dh_amd64.s is not what dh_amd64_gen.go writes (%d bytes generated, %d checked in; first difference at line %d, column %d): run 'go generate ./cipher/'",
			len(got), len(want), line, col)
	}
}
