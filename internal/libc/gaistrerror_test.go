package libc

import (
	"bytes"
	"net"
	"testing"
)

func TestGaiStrerror(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&net.DNSError{Err: "no such host", IsNotFound: true}, EaiNoName},
		{&net.DNSError{Err: "server misbehaving", IsTemporary: true}, EaiAgain},
		{&net.DNSError{Err: "i/o timeout", IsTimeout: true}, EaiAgain},
		{&net.DNSError{Err: "cannot unmarshal DNS message"}, EaiFail},
		{&net.OpError{Op: "dial", Err: bytes.ErrTooLarge}, EaiFail},
	} {
		if got := GaiStrerror(c.err); got != c.want {
			t.Errorf("GaiStrerror(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
