package spipedtest

import (
	"os"
	"testing"
)

// The reference binaries, from Debian's spiped package: interop tests run
// against them (scripts/install-deps.sh installs them).
const (
	ReferenceSpiped = "/usr/bin/spiped"
	ReferenceSpipe  = "/usr/bin/spipe"
)

// NeedReference skips t where the reference spiped is not installed, so a
// local run without it still tests the rest; under CI, which installs it,
// its absence fails t instead.
func NeedReference(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ReferenceSpiped); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing (scripts/install-deps.sh): %v", ReferenceSpiped, err)
		}
		t.Skipf("%s absent: reference run skipped", ReferenceSpiped)
	}
}
