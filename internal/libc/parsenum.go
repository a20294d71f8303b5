package libc

import (
	"math"
	"strings"
	"syscall"
	"time"
)

// The reference converts option arguments with libcperciva's PARSENUM,
// which is strtoumax or strtod plus range checks reported through errno.
// These readings accept every value the reference accepts and reject every
// value it rejects with the same errno: EINVAL for text that is not a
// number, ERANGE for a number out of range.

// ParseSize parses s as strtoumax(s, &end, 0) into a size_t: optional
// leading white space, an optional sign, then a decimal, 0x-hexadecimal or
// 0-octal number, and nothing after it. A minus sign negates modulo 2^64,
// as C does, so "-1" is the largest size.
func ParseSize(s string) (uint64, error) {
	v, neg, over, rest, digits := Strtoul(s, 0)
	switch {
	case !digits || rest != "":
		return 0, syscall.EINVAL
	case over:
		return 0, syscall.ERANGE
	case neg:
		v = -v
	}
	return v, nil
}

// ParseSeconds parses s as strtod would and requires 0 <= value <= +Inf: a
// negative number is ERANGE, and so are an overflow and a result that
// underflows to zero or to a subnormal (glibc sets ERANGE for both).
// NaN passes, as in the reference; callers treat it like C's comparisons do.
func ParseSeconds(s string) (float64, error) {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return r < 0x80 && IsSpace(byte(r)) })
	v, nonzero, ok := Strtod(t)
	if !ok {
		return 0, syscall.EINVAL
	}
	if math.IsInf(v, 0) && !isInfWord(t) {
		return v, syscall.ERANGE
	}
	if nonzero && math.Abs(v) < 0x1p-1022 {
		return v, syscall.ERANGE
	}
	if v < 0 {
		return v, syscall.ERANGE
	}
	return v, nil
}

// isInfWord reports whether t spells infinity rather than overflowing to it.
func isInfWord(t string) bool {
	t = strings.ToLower(strings.TrimLeft(t, "+-"))
	return t == "inf" || t == "infinity"
}

// LongestDuration is the longest Duration that Duration returns: about 146
// years, "never" in practice, and far enough from the int64 limit that the
// engine's clock plus a timeout cannot overflow.
const LongestDuration = time.Duration(1 << 62)

// Duration converts a positive number of seconds from ParseSeconds into a
// time.Duration, rounding a tiny one up to 1ns and clamping a huge or
// infinite one (or NaN) to LongestDuration, where C's double would simply
// never expire.
func Duration(secs float64) time.Duration {
	ns := secs * 1e9
	switch {
	case math.IsNaN(ns) || ns >= float64(LongestDuration):
		return LongestDuration
	case ns < 1:
		return 1
	}
	return time.Duration(ns)
}
