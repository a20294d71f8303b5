package libc

import (
	"math"
	"strconv"
	"strings"
)

// Strtod converts the whole of t as strtod(t, &end) does when end must
// reach the end: decimal with optional exponent, hexadecimal with optional
// binary exponent, "inf", "infinity", "nan" or "nan(chars)", any case, with
// an optional sign. Leading white space is the caller's to skip (as
// strtod does). It reports whether the mantissa had a non-zero digit, so
// that the caller can detect underflow, for which glibc sets ERANGE.
func Strtod(t string) (v float64, nonzero, ok bool) {
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

// isDigit reports whether c is a digit in base 10 or 16.
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
