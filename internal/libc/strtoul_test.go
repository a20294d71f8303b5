package libc

import (
	"math"
	"testing"
)

// Expectations are glibc's strtoul(s, &end, base); rest is what end points
// at.
func TestStrtoul(t *testing.T) {
	for _, c := range []struct {
		s         string
		base      int
		n         uint64
		neg, over bool
		rest      string
		digits    bool
	}{
		{"12", 10, 12, false, false, "", true},
		{" \t+13x", 10, 13, false, false, "x", true},
		{"-0", 10, 0, true, false, "", true},
		{"-1", 10, 1, true, false, "", true},
		{"", 10, 0, false, false, "", false},
		{"+", 10, 0, false, false, "+", false},
		{"- 1", 10, 0, false, false, "- 1", false},
		{"0x10", 10, 0, false, false, "x10", true},
		{"18446744073709551615", 10, math.MaxUint64, false, false, "", true},
		{"18446744073709551616", 10, math.MaxUint64, false, true, "", true},
		{"0x10", 0, 16, false, false, "", true},
		{"0X1f.", 0, 31, false, false, ".", true},
		{"0x", 0, 0, false, false, "x", true},
		{"0xg", 0, 0, false, false, "xg", true},
		{"010", 0, 8, false, false, "", true},
		{"08", 0, 0, false, false, "8", true},
		{"-0x1", 0, 1, true, false, "", true},
		{"0x10000000000000000", 0, math.MaxUint64, false, true, "", true},
	} {
		n, neg, over, rest, digits := Strtoul(c.s, c.base)
		if n != c.n || neg != c.neg || over != c.over || rest != c.rest || digits != c.digits {
			t.Errorf("Strtoul(%q, %d) = %d, %v, %v, %q, %v; want %d, %v, %v, %q, %v", c.s, c.base,
				n, neg, over, rest, digits, c.n, c.neg, c.over, c.rest, c.digits)
		}
	}
}
