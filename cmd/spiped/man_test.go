package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spiped-go/spiped/internal/spipedtest"
)

// mandoc finds mandoc, or skips without it; under CI it must be there
// (scripts/install-deps.sh installs it).
func mandoc(t *testing.T) string {
	t.Helper()
	return spipedtest.NeedCommand(t, "mandoc", "the man pages are not linted")
}

// manPage lints the page with mandoc -Tlint -W warning, which must print
// nothing and exit 0, and returns it rendered as plain text.
func manPage(t *testing.T, name string) string {
	t.Helper()
	prog := mandoc(t)
	page := filepath.Join("..", "..", "man", name)
	if out, err := exec.Command(prog, "-Tlint", "-W", "warning", page).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("mandoc -Tlint -W warning %s: %v\n%s", page, err, out)
	}
	out, err := exec.Command(prog, "-Tascii", "-Owidth=200", page).Output()
	if err != nil {
		t.Fatalf("mandoc -Tascii %s: %v", page, err)
	}
	// Drop the overstrike that -Tascii uses for bold and underline.
	return regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
}

// The man page lints clean and documents every option spiped accepts,
// each as an entry of the options list, plus the signals and variables it
// handles.
func TestManPage(t *testing.T) {
	text := manPage(t, "spiped.1")
	for _, o := range optionList {
		entry := regexp.MustCompile(`(?m)^ {5}` + regexp.QuoteMeta(o.Name) + `( |$)`)
		if !entry.MatchString(text) {
			t.Errorf("man/spiped.1 has no entry for %s", o.Name)
		}
	}
	for _, s := range []string{"SIGTERM", "SIGHUP", "SIGINT", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
		"SPIPED_NOASM", "READY=1", "STOPPING=1", "/metrics", "/healthz", "/readyz", "EXIT STATUS", "EXAMPLES"} {
		if !strings.Contains(text, s) {
			t.Errorf("man/spiped.1 does not mention %s", s)
		}
	}
}
