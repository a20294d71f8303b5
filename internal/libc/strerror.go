package libc

import (
	"errors"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Strerror renders err as the reference prints it, where C would append
// strerror(errno): Go's texts for errno values are glibc's with the first
// letter lowered, so "address already in use" becomes "Address already in
// use". If err wraps an errno, only the errno's text at the end of the
// message is changed, so a message composed around it ("Error binding
// socket: ...") keeps its words; any other message is returned as it is
// (the reference's own messages, such as "socket path too long: ...",
// begin in lower case too).
//
// Go's wrappers (*fs.PathError "open /x: ...") have no counterpart in C:
// a caller that prints what C prints passes the errno they wrap.
func Strerror(err error) string {
	msg := err.Error()
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return msg
	}
	text := errno.Error()
	if !strings.HasSuffix(msg, text) || text == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(text)
	return msg[:len(msg)-len(text)] + string(unicode.ToUpper(r)) + text[n:]
}
