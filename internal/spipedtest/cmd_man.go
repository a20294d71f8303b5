package spipedtest

import (
	"os/exec"
	"regexp"
	"testing"
)

// ManPage lints the man page at path with mandoc -Tlint -W warning, which
// must print nothing and exit 0, and returns the page rendered as plain
// text. Without mandoc the test is skipped, or fails under CI (see
// NeedCommand).
func ManPage(t testing.TB, path string) string {
	t.Helper()
	prog := NeedCommand(t, "mandoc", "the man pages are not linted")
	if out, err := exec.Command(prog, "-Tlint", "-W", "warning", path).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("mandoc -Tlint -W warning %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command(prog, "-Tascii", "-Owidth=200", path).Output()
	if err != nil {
		t.Fatalf("mandoc -Tascii %s: %v", path, err)
	}
	// Drop the overstrike that -Tascii uses for bold and underline.
	return regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
}

// ManHasEntry reports whether the rendered page text has an entry for
// option in its options list: a line indented five spaces that starts
// with the option's name.
func ManHasEntry(text, option string) bool {
	return regexp.MustCompile(`(?m)^ {5}` + regexp.QuoteMeta(option) + `( |$)`).MatchString(text)
}
