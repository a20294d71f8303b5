package libc

// Strtoul reads s as C's strtoul(s, &end, base) does, for base 10 or 0:
// leading isspace, an optional sign, then digits (base 0 takes a "0x"
// prefix followed by a hex digit as hexadecimal and a leading "0" as
// octal). n is the magnitude, not negated (C negates it in unsigned
// arithmetic; callers that need that do it), or MaxUint64 when over says
// it overflowed (C's ERANGE). rest is what follows the digits; digits says
// whether there were any (without them strtoul leaves end at s, so rest is
// s). One implementation serves the option parser's PARSENUM, the port
// of a bracketed address, getaddrinfo's numeric service and scope id, and
// inet_aton's parts, because all of them are strtoul in the reference.
func Strtoul(s string, base int) (n uint64, neg, over bool, rest string, digits bool) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	b := uint64(base)
	if base == 0 {
		b = 10
		if i < len(s) && s[i] == '0' {
			b = 8
			if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && digitVal(s[i+2]) < 16 {
				b, i = 16, i+2
			}
		}
	}
	j := i
	for ; j < len(s); j++ {
		d := digitVal(s[j])
		if d >= b {
			break
		}
		if over || n > (1<<64-1-d)/b {
			n, over = 1<<64-1, true
		} else {
			n = n*b + d
		}
	}
	if j == i {
		return 0, false, false, s, false
	}
	return n, neg, over, s[j:], true
}

// IsSpace is C's isspace in the "C" locale: space and \t \n \v \f \r.
func IsSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// digitVal is c's value as a digit in bases up to 16, or 255.
func digitVal(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 255
}
