package libc

import (
	"context"
	"errors"
	"net"
)

// The gai_strerror texts (glibc's) the reference prints after "Error
// looking up host: ". Go's resolver errors read differently, so lookups
// that fail are reported with the text of the EAI_ code glibc would give.
const (
	EaiNoName  = "Name or service not known"                  // EAI_NONAME
	EaiAgain   = "Temporary failure in name resolution"       // EAI_AGAIN
	EaiFail    = "Non-recoverable failure in name resolution" // EAI_FAIL
	EaiNoData  = "No address associated with hostname"        // EAI_NODATA
	EaiService = "Servname not supported for ai_socktype"     // EAI_SERVICE
)

// GaiStrerror maps an error from Go's resolver to the gai_strerror text of
// the error glibc's getaddrinfo would return for the same failure.
func GaiStrerror(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return EaiNoName
	case errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary),
		errors.Is(err, context.DeadlineExceeded):
		return EaiAgain
	}
	return EaiFail
}
