// Package warnp prints the daemon's messages the way the reference's
// libcperciva warnp does: "name: message" on standard error, or, once
// switched by --syslog, the bare message to syslog at LOG_WARNING. Info
// and Print carry informational lines (--log-connections) the same way,
// at LOG_INFO. It is safe for concurrent use: the engine warns from its
// event loops.
package warnp

import (
	"fmt"
	"io"
	"log/syslog"
	"sync"
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
func (w *Warner) Warn(msg string) { w.emit(msg, true, false) }

// Info prints one informational message: as Warn on standard error, at
// LOG_INFO in syslog.
func (w *Warner) Info(msg string) { w.emit(msg, true, true) }

// Print prints one informational line without the "name: " prefix on
// standard error (a line meant for a machine, such as a JSON object); in
// syslog it is the message at LOG_INFO, as Info's.
func (w *Warner) Print(line string) { w.emit(line, false, true) }

// emit writes msg to syslog (at LOG_INFO if info, else LOG_WARNING) once
// switched there, else to standard error, after "name: " if prefixed.
func (w *Warner) emit(msg string, prefixed, info bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.syslog && info:
		w.toSyslogInfo(msg)
	case w.syslog:
		w.toSyslog(msg)
	case prefixed:
		fmt.Fprintf(w.out, "%s: %s\n", w.name, msg)
	default:
		fmt.Fprintf(w.out, "%s\n", msg)
	}
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
	if w.connect() {
		w.sys.Warning(msg)
	}
}

// toSyslogInfo writes msg at LOG_INFO, as toSyslog does at LOG_WARNING.
func (w *Warner) toSyslogInfo(msg string) {
	if w.connect() {
		w.sys.Info(msg)
	}
}

// connect opens the syslog connection if it is not open yet, and reports
// whether it is.
func (w *Warner) connect() bool {
	if w.sys == nil {
		s, err := dialSyslog(syslog.LOG_WARNING|syslog.LOG_USER, w.name)
		if err != nil {
			return false
		}
		w.sys = s
	}
	return true
}

// dialSyslog connects to the local syslog daemon (/dev/log and the like);
// tests point it at a socket of their own.
var dialSyslog = func(p syslog.Priority, tag string) (*syslog.Writer, error) {
	return syslog.New(p, tag)
}
