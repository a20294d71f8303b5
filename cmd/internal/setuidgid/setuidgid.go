// Package setuidgid drops privileges for spiped's -u option, as the
// reference's setuidgid(3) with SETUIDGID_SGROUP_LEAVE_WARN does: leave
// the supplementary groups (warning if that is not possible), then set the
// group, then the user. A user given alone changes the user only, not the
// group: the reference does exactly that, and scripts rely on the same
// result.
//
// Go's syscall.Setgroups, Setgid and Setuid change every thread of the
// process on Linux (Go 1.16 and later), so the event loops' threads drop
// their privileges too.
package setuidgid

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/spiped-go/spiped/internal/libc"
)

// Error is a failure to drop privileges: Msg is the reference's first
// line, if it prints one ("No such user: x"), and Errno what it appends to
// "Failed to drop privileges" (EPERM), if anything.
type Error struct {
	Msg   string
	Errno syscall.Errno
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Errno.Error()
}

// Apply switches to spec: "user", ":group" or "user:group", each a name or
// a number. warn receives the warning about supplementary groups.
func Apply(spec string, warn func(string)) error {
	username, groupname, err := split(spec)
	if err != nil {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil && err != syscall.EPERM {
		errno, _ := err.(syscall.Errno)
		return &Error{Msg: "setgroups(): " + libc.Strerror(err), Errno: errno}
	}
	if inSupplementaryGroups() {
		warn("Warning: Failed to leave supplementary groups")
	}
	if groupname != "" {
		gid, err := lookupGroup(groupname)
		if err != nil {
			return err
		}
		if err := syscall.Setgid(gid); err != nil {
			return idError("setgid", gid, err)
		}
	}
	if username != "" {
		uid, err := lookupUser(username)
		if err != nil {
			return err
		}
		if err := syscall.Setuid(uid); err != nil {
			return idError("setuid", uid, err)
		}
	}
	return nil
}

// split parses "user", ":group" or "user:group".
func split(spec string) (username, groupname string, err error) {
	username, groupname, hasGroup := strings.Cut(spec, ":")
	if hasGroup && groupname == "" {
		return "", "", &Error{Msg: fmt.Sprintf("Empty group name: %q", spec)}
	}
	if !hasGroup && username == "" {
		return "", "", &Error{Msg: fmt.Sprintf("Need to specify user and/or group: %q", spec)}
	}
	return username, groupname, nil
}

// lookupUser finds a user by name, else takes the name as a number.
func lookupUser(name string) (int, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return strconv.Atoi(u.Uid)
	}
	if !errors.As(err, new(user.UnknownUserError)) {
		return 0, &Error{Msg: fmt.Sprintf("getpwnam(%s): %v", name, err)}
	}
	id, ok := number(name)
	if !ok {
		return 0, &Error{Msg: "No such user: " + name}
	}
	return id, nil
}

// lookupGroup finds a group by name, else takes the name as a number.
func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return strconv.Atoi(g.Gid)
	}
	if !errors.As(err, new(user.UnknownGroupError)) {
		return 0, &Error{Msg: fmt.Sprintf("getgrnam(%s): %v", name, err)}
	}
	id, ok := number(name)
	if !ok {
		return 0, &Error{Msg: "No such group: " + name}
	}
	return id, nil
}

// number parses a uid or gid as the reference's PARSENUM does (strtoumax
// with base 0 into a 32-bit id).
func number(s string) (int, bool) {
	n, err := libc.ParseSize(s)
	if err != nil || n > 1<<32-1 {
		return 0, false
	}
	return int(n), true
}

// idError reports a failed setuid or setgid: EPERM quietly, as the
// reference leaves it to "Failed to drop privileges: Operation not
// permitted"; anything else with its own line.
func idError(call string, id int, err error) error {
	errno, _ := err.(syscall.Errno)
	if errno == syscall.EPERM {
		return &Error{Errno: errno}
	}
	return &Error{Msg: fmt.Sprintf("%s(%d): %s", call, id, libc.Strerror(err)), Errno: errno}
}

// inSupplementaryGroups reports whether the process still belongs to a
// group other than its effective one.
func inSupplementaryGroups() bool {
	groups, err := syscall.Getgroups()
	if err != nil {
		return true
	}
	egid := syscall.Getegid()
	for _, g := range groups {
		if g != egid {
			return true
		}
	}
	return false
}
