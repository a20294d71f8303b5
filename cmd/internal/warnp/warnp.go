// Package warnp prints the daemon's messages the way the reference's
// libcperciva warnp does: "name: message" on standard error, or, once
// switched by --syslog after daemonizing, the bare message to syslog at
// LOG_WARNING. It is safe for concurrent use: the engine warns from its
// event loops.
package warnp

import (
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"strings"
	"sync"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Warner writes warnings for one program.
type Warner struct {
	name string

	mu     sync.Mutex
	out    io.Writer
	syslog bool
	sys    *syslog.Writer // nil until the first message reaches syslog
}

// New returns a Warner writing "name: message\n" lines to out.
func New(name string, out io.Writer) *Warner {
	return &Warner{name: name, out: out}
}

// Warn prints one message.
func (w *Warner) Warn(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.syslog {
		w.toSyslog(msg)
		return
	}
	fmt.Fprintf(w.out, "%s: %s\n", w.name, msg)
}

// Warnf formats and prints one message.
func (w *Warner) Warnf(format string, args ...any) {
	w.Warn(fmt.Sprintf(format, args...))
}

// UseSyslog sends every later message to syslog instead of standard error.
func (w *Warner) UseSyslog() {
	w.mu.Lock()
	w.syslog = true
	w.mu.Unlock()
}

// toSyslog writes msg at LOG_WARNING, facility LOG_USER, tagged with the
// program name, as the reference's syslog(3) without openlog(3) does. Like
// syslog(3) it stays silent when no syslog daemon listens, and it tries to
// connect again with the next message.
func (w *Warner) toSyslog(msg string) {
	if w.sys == nil {
		s, err := syslog.New(syslog.LOG_WARNING|syslog.LOG_USER, w.name)
		if err != nil {
			return
		}
		w.sys = s
	}
	w.sys.Warning(msg)
}

// Strerror renders err as C's strerror(3) would: Go's texts for errno
// values are glibc's with the first letter lowered, so "address already in
// use" becomes "Address already in use". If err wraps an errno, only the
// errno's part at the end of the message is changed.
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
