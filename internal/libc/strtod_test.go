package libc

import (
	"math"
	"testing"
)

// Expectations are glibc's strtod with end required to reach the end;
// cmd/internal/parsenum's TestSeconds covers the errno rules on top.
func TestStrtod(t *testing.T) {
	for _, c := range []struct {
		s           string
		v           float64
		nonzero, ok bool
	}{
		{"1.5", 1.5, true, true},
		{"-2e3", -2000, true, true},
		{"0x1p-2", 0.25, true, true},
		{"0x.8", 0.5, true, true},
		{"0.0", 0, false, true},
		{"1e-400", 0, true, true}, // underflow: nonzero says so
		{"1e999", math.Inf(1), true, true},
		{"-Infinity", math.Inf(-1), false, true},
		{"", 0, false, false},
		{" 1", 0, false, false}, // space is the caller's to skip
		{"1e", 0, false, false},
		{"0x", 0, false, false},
		{"nan(x-1)", 0, false, false},
	} {
		v, nonzero, ok := Strtod(c.s)
		if ok != c.ok || (ok && (v != c.v || nonzero != c.nonzero)) {
			t.Errorf("Strtod(%q) = %v, %v, %v; want %v, %v, %v", c.s, v, nonzero, ok, c.v, c.nonzero, c.ok)
		}
	}
	for _, s := range []string{"nan", "-NaN", "nan(abc_1)"} {
		if v, _, ok := Strtod(s); !ok || !math.IsNaN(v) {
			t.Errorf("Strtod(%q) = %v, %v; want NaN", s, v, ok)
		}
	}
}
