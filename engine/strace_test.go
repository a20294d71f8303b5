package engine_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The reading of strace -f output for TestTimingStraceNoStdio: which
// system calls touched descriptors 0 to 2, and after which point.

// stdioUses reads an `strace -f` log and returns the lines, after the first
// listen(), whose system call names descriptor 0, 1 or 2 (except
// write(2, ...)), and how many system calls it saw after that listen. A call
// interrupted in the log ("<unfinished ...>") is judged by its first line,
// which holds its descriptor arguments; the "resumed" line is skipped, as
// are signals and exits.
func stdioUses(log string) (uses []string, after int) {
	listening := false
	for _, line := range strings.Split(log, "\n") {
		call := line
		// "12345 read(0, ..." with -f: drop the pid.
		if i := strings.IndexByte(call, ' '); i > 0 && strings.Trim(call[:i], "0123456789") == "" {
			call = strings.TrimLeft(call[i:], " ")
		}
		open := strings.IndexByte(call, '(')
		if open <= 0 || strings.Trim(call[:open], "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			continue // "<... read resumed>", "--- SIGURG ...", "+++ exited ...", blank
		}
		name, args := call[:open], straceArgs(call[open+1:])
		if !listening {
			listening = name == "listen"
			continue
		}
		after++
		for _, fd := range straceFDs(name, args) {
			if (fd == 0 || fd == 1 || fd == 2) && !(fd == 2 && name == "write") {
				uses = append(uses, line)
				break
			}
		}
	}
	return uses, after
}

// listUses lists the first ten of uses, one an indented line, for a
// failure message.
func listUses(uses []string) string {
	if len(uses) > 10 {
		uses = append(uses[:10], fmt.Sprintf("... and %d more", len(uses)-10))
	}
	return "  " + strings.Join(uses, "\n  ")
}

// straceArgs splits the argument text of one strace line at its top-level
// commas, up to the closing parenthesis (or the line's end when the call is
// unfinished), minding quotes and brackets.
func straceArgs(s string) []string {
	var args []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				quoted = false
			}
		case ch == '"':
			quoted = true
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case (ch == ']' || ch == '}') && depth > 0:
			depth--
		case ch == ')':
			if depth == 0 {
				return append(args, strings.TrimSpace(s[start:i]))
			}
			depth--
		case ch == ',' && depth == 0:
			args = append(args, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[start:]), "<unfinished ...>")); rest != "" {
		args = append(args, rest)
	}
	return args
}

// straceFDs returns the descriptors a call's arguments name.
func straceFDs(name string, args []string) []int {
	var idx []int
	switch name {
	case "socket", "socketpair", "pipe", "pipe2", "eventfd", "eventfd2", "epoll_create", "epoll_create1",
		"inotify_init", "inotify_init1", "memfd_create", "userfaultfd", "pidfd_open", "pidfd_getfd",
		"io_uring_setup", "fanotify_init", "perf_event_open", "timerfd_create":
		return nil // no argument is a descriptor of this process
	case "epoll_ctl", "splice", "copy_file_range":
		idx = []int{0, 2}
	case "dup2", "dup3", "tee", "sendfile", "sendfile64":
		idx = []int{0, 1}
	case "mmap", "mmap2":
		idx = []int{4}
	case "poll", "ppoll", "select", "pselect6":
		// {fd=0, events=POLLIN} for poll, [0 3] for select's sets.
		var fds []int
		for _, a := range args {
			for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r < '0' || r > '9' }) {
				if (name == "poll" || name == "ppoll") && !strings.Contains(a, "fd="+f) {
					continue
				}
				if (name == "select" || name == "pselect6") && !strings.HasPrefix(a, "[") {
					continue
				}
				if n, err := strconv.Atoi(f); err == nil {
					fds = append(fds, n)
				}
			}
		}
		return fds
	default:
		idx = []int{0}
	}
	var fds []int
	for _, i := range idx {
		if i < len(args) {
			if n, err := strconv.Atoi(args[i]); err == nil {
				fds = append(fds, n)
			}
		}
	}
	return fds
}

// The strace reader against lines of the shapes strace writes.
func TestTimingStraceParser(t *testing.T) {
	log := strings.Join([]string{
		`100 fcntl(0, F_GETFD)                 = 0`, // before the listen: the runtime's check
		`100 read(0, "x", 1) = 1`,
		`100 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3`,
		`100 listen(3, 10)                     = 0`,
		`100 eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 4`,
		`101 epoll_pwait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1, NULL, 0) = 1`,
		`101 write(2, "warning: (0, 1)\n", 16) = 16`,
		`101 mmap(NULL, 262144, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`,
		`102 accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 7`,
		`102 read(7, "a,b(0", 1060)            = 5`,
		`--- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---`,
		`101 read(0,  <unfinished ...>`,
		`102 <... read resumed>"STDIN-CANARY\n", 67827) = 13`,
		`102 shutdown(0, SHUT_WR)              = -1 ENOTSOCK (Socket operation on non-socket)`,
		`102 epoll_ctl(5, EPOLL_CTL_ADD, 1, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=1, u64=1}}) = 0`,
		`102 poll([{fd=3, events=POLLIN}, {fd=2, events=POLLOUT}], 2, 0) = 0`,
		`102 write(1, "x", 1)                  = 1`,
		`+++ exited with 0 +++`,
	}, "\n")
	uses, after := stdioUses(log)
	want := []string{"read(0,  <unfinished", "shutdown(0", "epoll_ctl(5, EPOLL_CTL_ADD, 1", "poll([{fd=3", "write(1"}
	if after != 11 || len(uses) != len(want) {
		t.Fatalf("stdioUses: %d calls after the listen, uses:\n%s\nwant 11 calls and %d uses", after, strings.Join(uses, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.Contains(uses[i], w) {
			t.Errorf("use %d = %q; want the line with %q", i, uses[i], w)
		}
	}
}
