package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// The man page lints clean with mandoc -Tlint -W warning and documents
// every option spipe accepts, each as an entry of the options list.
func TestManPage(t *testing.T) {
	prog := spipedtest.NeedCommand(t, "mandoc", "the man page is not linted")
	page := filepath.Join("..", "..", "man", "spipe.1")
	if out, err := exec.Command(prog, "-Tlint", "-W", "warning", page).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("mandoc -Tlint -W warning %s: %v\n%s", page, err, out)
	}
	out, err := exec.Command(prog, "-Tascii", "-Owidth=200", page).Output()
	if err != nil {
		t.Fatalf("mandoc -Tascii %s: %v", page, err)
	}
	text := regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
	for _, o := range optionList {
		if !regexp.MustCompile(`(?m)^ {5}` + regexp.QuoteMeta(o.Name) + `( |$)`).MatchString(text) {
			t.Errorf("man/spipe.1 has no entry for %s", o.Name)
		}
	}
}
