package spipedtest

import (
	"path/filepath"
	"testing"
)

// A program on PATH is found with its full path.
func TestNeedCommandFinds(t *testing.T) {
	if p := NeedCommand(t, "sh", "nothing"); !filepath.IsAbs(p) || filepath.Base(p) != "sh" {
		t.Fatalf("NeedCommand(sh) = %q", p)
	}
}
