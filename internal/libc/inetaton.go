package libc

// InetAton parses s as glibc's __inet_aton_exact, which getaddrinfo uses
// for a numeric IPv4 host: one to four parts, each decimal, octal (0...)
// or hex (0x...) as strtoul base 0 reads them, the last filling the bytes
// left. So "127.1", "0x7f.0.0.1" and "2130706433" are all 127.0.0.1, and
// "0127.0.0.1" is 87.0.0.1: forms Go's own parsers refuse but the reference
// accepts for "host:port".
func InetAton(s string) (b [4]byte, ok bool) {
	var parts []uint64
	for {
		// No space or sign: inet_aton wants a digit first.
		if s == "" || s[0] < '0' || s[0] > '9' {
			return b, false
		}
		n, _, over, rest, _ := Strtoul(s, 0)
		if over || n > 0xffffffff {
			return b, false
		}
		parts = append(parts, n)
		if rest == "" {
			break
		}
		if rest[0] != '.' || len(parts) == 4 {
			return b, false
		}
		s = rest[1:]
	}
	last := len(parts) - 1
	for i := 0; i < last; i++ {
		if parts[i] > 0xff {
			return b, false
		}
		b[i] = byte(parts[i])
	}
	if parts[last] > 0xffffffff>>(8*last) {
		return b, false
	}
	for i := 3; i >= last; i-- {
		b[i] = byte(parts[last] >> (8 * (3 - i)))
	}
	return b, true
}
