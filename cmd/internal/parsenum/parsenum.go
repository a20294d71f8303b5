// Package parsenum converts option arguments exactly as the reference's
// PARSENUM does with C's strtoumax and strtod, so that every value the
// reference accepts is accepted here and every value it rejects is
// rejected with the same errno: EINVAL for text that is not a number,
// ERANGE for a number out of range.
package parsenum

import (
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Size parses s as strtoumax(s, &end, 0) into a size_t: optional leading
// white space, an optional sign, then a decimal, 0x-hexadecimal or
// 0-octal number, and nothing after it. A minus sign negates modulo 2^64,
// as C does, so "-1" is the largest size.
func Size(s string) (uint64, error) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	base := 10
	switch {
	case len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") && isDigit(t[2], 16):
		base, t = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	if t == "" {
		return 0, syscall.EINVAL
	}
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i], base) {
			return 0, syscall.EINVAL
		}
	}
	v, err := strconv.ParseUint(t, base, 64)
	if err != nil {
		return 0, syscall.ERANGE
	}
	if neg {
		v = -v
	}
	return v, nil
}

func isDigit(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case c >= 'a' && c <= 'f':
		return base == 16
	case c >= 'A' && c <= 'F':
		return base == 16
	}
	return false
}

// Seconds parses s as strtod would and requires 0 <= value <= +Inf: a
// negative number is ERANGE, and so are an overflow and a result that
// underflows to zero or to a subnormal (glibc sets ERANGE for both).
// NaN passes, as in the reference; callers treat it like C's comparisons do.
func Seconds(s string) (float64, error) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	v, nonzero, ok := strtod(t)
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

// strtod converts the whole of t in C's floating-point syntax: decimal with
// optional exponent, hexadecimal with optional binary exponent, "inf",
// "infinity", "nan" or "nan(chars)", any case, with an optional sign. It
// reports whether the mantissa had a non-zero digit, to detect underflow.
func strtod(t string) (v float64, nonzero, ok bool) {
	body := t
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	lower := strings.ToLower(body)
	switch {
	case lower == "inf" || lower == "infinity":
		v = math.Inf(1)
	case lower == "nan" || (strings.HasPrefix(lower, "nan(") && strings.HasSuffix(lower, ")") && nanChars(lower[4:len(lower)-1])):
		return math.NaN(), false, true
	case strings.HasPrefix(lower, "0x"):
		mant, exp, hasExp := cutExp(lower[2:], 'p')
		if !mantissa(mant, 16) || (hasExp && !exponent(exp)) {
			return 0, false, false
		}
		nonzero = strings.Trim(mant, "0.") != ""
		if !hasExp {
			lower += "p0"
		}
		f, err := strconv.ParseFloat(lower, 64)
		if err != nil && f == 0 {
			return 0, false, false
		}
		v = f
	default:
		mant, exp, hasExp := cutExp(lower, 'e')
		if !mantissa(mant, 10) || (hasExp && !exponent(exp)) {
			return 0, false, false
		}
		nonzero = strings.Trim(mant, "0.") != ""
		f, err := strconv.ParseFloat(lower, 64)
		if err != nil && !math.IsInf(f, 0) && f != 0 {
			return 0, false, false
		}
		v = f
	}
	if t[0] == '-' {
		v = -v
	}
	return v, nonzero, true
}

// cutExp splits s at the exponent marker.
func cutExp(s string, marker byte) (mant, exp string, hasExp bool) {
	if i := strings.IndexByte(s, marker); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// mantissa reports whether s is digits with at most one point and at least one digit.
func mantissa(s string, base int) bool {
	digits, points := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			points++
		case isDigit(s[i], base):
			digits++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// exponent reports whether s is an optionally signed decimal integer.
func exponent(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && mantissa(s, 10) && !strings.Contains(s, ".")
}

// nanChars reports whether s is what C allows inside "nan(...)".
func nanChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || isDigit(c, 10) || (c >= 'a' && c <= 'z')) {
			return false
		}
	}
	return true
}

func isInfWord(t string) bool {
	t = strings.ToLower(strings.TrimLeft(t, "+-"))
	return t == "inf" || t == "infinity"
}

// Longest is the longest Duration that Duration returns: about 146 years,
// "never" in practice, and far enough from the int64 limit that the
// engine's clock plus a timeout cannot overflow.
const Longest = time.Duration(1 << 62)

// Duration converts a positive number of seconds from Seconds into a
// time.Duration, rounding a tiny one up to 1ns and clamping a huge or
// infinite one (or NaN) to Longest.
func Duration(secs float64) time.Duration {
	ns := secs * 1e9
	switch {
	case math.IsNaN(ns) || ns >= float64(Longest):
		return Longest
	case ns < 1:
		return 1
	}
	return time.Duration(ns)
}
