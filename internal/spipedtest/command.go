package spipedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NeedCommand returns the path of the program name, looked up on PATH and
// then in /usr/sbin and /sbin (where Debian puts daemons such as nginx,
// often off a user's PATH). Where it is missing, a local run skips t
// (saying what goes unchecked: why) and a CI run, which installs every
// program the tests use (scripts/install-deps.sh), fails it.
func NeedCommand(t testing.TB, name, why string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is missing (scripts/install-deps.sh): %s", name, why)
	}
	t.Skipf("%s not installed (scripts/install-deps.sh installs it): %s", name, why)
	return ""
}
