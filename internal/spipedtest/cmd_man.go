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

// ManDocuments reports an error on t for each of options that has no
// entry in the options list of the rendered page text: a line indented
// five spaces that starts with the option's name, as name gives it.
func ManDocuments[O any](t testing.TB, text string, options []O, name func(O) string) {
	t.Helper()
	for _, o := range options {
		if !regexp.MustCompile(`(?m)^ {5}` + regexp.QuoteMeta(name(o)) + `( |$)`).MatchString(text) {
			t.Errorf("the man page has no entry for %s", name(o))
		}
	}
}
