// Package libc holds everything that exists only to behave like the C
// library the reference spiped is built on (glibc): its number parsing
// (strtoul, strtod, and the option readings libcperciva's PARSENUM makes
// of them), inet_aton, getaddrinfo's numeric readings and
// gai_strerror texts, and strerror. spiped-go must accept what the
// reference accepts and print what it prints byte for byte, and those
// answers come from libc, not from spiped's own code; keeping the imitation
// in one place, one job per file, means each C rule is written once and
// tested against glibc's behaviour once.
package libc
