//go:build linux

package engine

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A ringPoller takes a listener's connections with accept requests. The
// engine's accept loop is the reference's: it accepts while the -n limit
// allows, and a connection's target socket takes its descriptor before
// the next connection does, so that when descriptors run out the accept
// fails (and accepting pauses) while the connections already taken can
// still reach their targets.
//
// Where that cannot be at stake, one multishot request takes every
// connection as it arrives, with no request to make again per connection
// and no accept(2) for those that come together. With deferred task work
// the kernel accepts only inside the loop's wait, but then all that the
// listen queue holds: up to queueMax connections in one wait. So the
// multishot request is made only while
//   - the engine may take at least two more connections (or has no
//     limit): at one short of the -n limit, one connection is all it may
//     take, and a single request takes no more;
//   - the descriptors free, counted, leave room for a whole listen queue
//     and its targets beyond what the request may take before they are
//     counted again (acceptBudget).
//
// Otherwise, and when the kernel refuses multishot, one request at a
// time, made when the engine's accept finds nothing: at most one
// connection is taken before the engine asks for it. Where its completion
// says more wait (a burst), the engine's next ones are taken with
// accept(2), in the same loop iteration.
//
// At the -n limit the multishot request is cancelled, and the
// connections it took meanwhile are held, in order, until slots free.
// They wait as they would have in the kernel's queue (they are
// established, unread, counted as waiting), and a listener's close resets
// them as the kernel resets those in its queue. While at the limit, a poll
// request on the listener reports each new arrival, until the engine
// accepts again.
type acceptState struct {
	held   []int      // connections taken, not yet handed over, from heldAt
	heldAt int        // the next of held to hand over
	err    unix.Errno // the accept's error, for the next accept
	armed  bool       // an accept request is prepared or waiting
	multi  bool       // it is multishot
	cancel bool       // its cancellation is prepared or waiting
	more   bool       // more connections may wait in the kernel's queue
	watch  bool       // a poll request reports arrivals (at the -n limit)
	budget int        // connections that may still be taken before descriptors are counted again for a multishot request
	// uncounted is how many connections are taken singly before the
	// descriptors are counted again, after a count left no room for a
	// multishot request: a count reads every open descriptor, and one
	// per accept made each accept cost milliseconds with a few thousand
	// connections held.
	uncounted int
}

// took counts a connection taken, by either kind of request.
func (a *acceptState) took() {
	a.budget--
	a.uncounted--
}

// acceptBudgetMin is how many connections may be taken between two counts
// of the descriptors free, or as many as are open where that is more (a
// count reads every open one), so that a lowered limit (setrlimit) is
// seen soon, and a raised one or descriptors closed meanwhile after a
// count that left no room; fdReserve is what is left for the rest of the
// process meanwhile.
const (
	acceptBudgetMin = 1024
	fdReserve       = 64
)

// armAccept asks for lfd's next connection, or, where room (how many
// more the engine may take; -1: no limit) and the descriptors allow, for
// every connection as it comes.
func (p *ringPoller) armAccept(lfd int, a *acceptState, room int) {
	a.armed = true
	a.multi = false
	if p.multishot && (room < 0 || room >= 2) {
		if a.budget <= 0 && a.uncounted <= 0 {
			var open int
			a.budget, open = acceptBudget(p.queueMax)
			if a.budget <= 0 {
				a.uncounted = max(acceptBudgetMin, open)
			}
		}
		a.multi = a.budget > 0
	}
	s := p.r.sqe()
	s.opcode = opAccept
	s.fd = int32(lfd)
	s.ioprio = p.acceptFlags
	if a.multi {
		s.ioprio = acceptMultishot
	}
	s.opFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	s.userData = udAccept | p.userData(lfd)
}

// cancelAccept cancels lfd's multishot request, with the next hand-over;
// its last completion says when it is gone.
func (p *ringPoller) cancelAccept(lfd int, a *acceptState) {
	if !a.armed || !a.multi || a.cancel {
		return
	}
	a.cancel = true
	p.cancelRequest(udAccept | p.userData(lfd))
}

// cancelRequest cancels the request whose user_data is ud, with the next
// hand-over; only a failed cancellation completes (and is ignored).
func (p *ringPoller) cancelRequest(ud uint64) {
	s := p.r.sqe()
	s.opcode = opAsyncCancel
	s.addr = ud
	s.flags = sqeCQESkipSuccess
	s.userData = udIgnore
}

// accept hands over the connections the listener's requests took, or the
// error one met, then those waiting behind a single request (accept(2)),
// and then asks for the next. room is how many more the engine may take
// (-1: no limit).
func (p *ringPoller) accept(lfd, room int) (int, error) {
	a := p.lst[lfd]
	if a == nil {
		return acceptSocket(lfd)
	}
	if a.watch {
		// Below the limit again: those who came meanwhile wait.
		a.watch, a.more = false, true
		p.cancelRequest(p.userData(lfd))
	}
	if a.heldAt < len(a.held) {
		fd := a.held[a.heldAt]
		a.heldAt++
		if a.heldAt == len(a.held) {
			a.held, a.heldAt = a.held[:0], 0
		}
		return fd, nil
	}
	if e := a.err; e != 0 {
		a.err = 0
		return -1, e
	}
	// accept(2) beside a multishot request could hand over a connection
	// before older ones whose completions are not read yet.
	if a.more && !(a.armed && a.multi) {
		fd, err := acceptSocket(lfd)
		if err == nil {
			a.took()
		}
		if err != unix.EAGAIN {
			return fd, err
		}
		a.more = false
	}
	if !a.armed {
		p.armAccept(lfd, a, room)
	}
	return -1, unix.EAGAIN
}

// acceptWaiting counts the connections waiting, in the kernel's queue and
// held here, at the -n limit: it stops a multishot request from taking
// more, and has each new arrival reported until the next accept.
func (p *ringPoller) acceptWaiting(lfd int) int {
	a := p.lst[lfd]
	if a == nil {
		return acceptQueueLen(lfd)
	}
	p.cancelAccept(lfd, a)
	if !a.watch {
		a.watch = true
		p.arm(lfd, unix.POLLIN, p.userData(lfd))
	}
	return acceptQueueLen(lfd) + len(a.held) - a.heldAt
}

// accepted takes a completion of lfd's accept request: a connection, or
// an error, or the end of a multishot request.
//
// A request takes its descriptor before it looks for a connection, so one
// that tried at once would report EMFILE with no client waiting: a single
// request waits for a connection first (acceptPollFirst), where the
// kernel can (Linux 6.10; so can it tell whether more wait). A multishot
// request is made only with descriptors to spare.
func (p *ringPoller) accepted(lfd int, c *ringCQE) {
	a := p.lst[lfd]
	last := !a.multi || c.flags&cqeFMore == 0
	if last {
		a.armed, a.cancel = false, false
	}
	switch {
	case c.res >= 0:
		a.held = append(a.held, int(c.res))
		if a.took(); a.budget <= 0 {
			p.cancelAccept(lfd, a)
		}
		if !a.multi {
			a.more = c.flags&cqeFSockNonempty != 0
		}
	case unix.Errno(-c.res) == unix.ECANCELED && a.multi:
	case unix.Errno(-c.res) == unix.EINVAL && a.multi:
		p.multishot = false
		p.armAccept(lfd, a, 1)
	case unix.Errno(-c.res) == unix.EINVAL && p.acceptFlags != 0:
		p.acceptFlags = 0
		p.armAccept(lfd, a, 1)
	default:
		a.err = unix.Errno(-c.res)
	}
	if last {
		a.multi = false
	}
}

// dropHeld resets the connections taken and not handed over: the kernel
// resets those left in a closed listener's queue.
func (a *acceptState) dropHeld() {
	for _, fd := range a.held[a.heldAt:] {
		resetClose(fd)
	}
	a.held, a.heldAt = nil, 0
}

// resetClose closes an accepted connection with a reset, not an end of
// stream.
func resetClose(fd int) {
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	closeFd(fd)
}

// acceptBudget is how many connections a multishot request may take
// before the descriptors free are counted again: the free ones, less a
// reserve, must leave two for each (its own and its target's) and for
// each of what one wait may take before a cancellation lands. That is a
// whole listen queue, and it is counted twice: connections may keep
// arriving while the kernel empties the queue. 0 or less where the
// descriptors do not leave that room, or cannot be counted. open is the
// count (-1: unknown).
func acceptBudget(queueMax int) (budget, open int) {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil {
		return 0, -1
	}
	open = openDescriptors()
	if open < 0 {
		return 0, -1
	}
	free := int(min(lim.Cur, 1<<30)) - open - fdReserve
	return min(free/2-2*queueMax, max(acceptBudgetMin, open)), open
}

// openDescriptors counts the process's open descriptors (-1: unknown).
func openDescriptors() int {
	dfd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	defer unix.Close(dfd)
	var buf [4096]byte
	n := -3 // ".", ".." and dfd itself
	for {
		m, err := unix.Getdents(dfd, buf[:])
		if err != nil {
			return -1
		}
		if m == 0 {
			return n
		}
		for off := 0; off < m; {
			d := (*unix.Dirent)(unsafe.Pointer(&buf[off]))
			off += int(d.Reclen)
			n++
		}
	}
}

// listenQueueMax is the most connections one listen queue holds: the
// kernel caps every backlog at somaxconn, and a full queue holds one more.
func listenQueueMax() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return listenBacklog + 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return listenBacklog + 1
	}
	return max(n, listenBacklog) + 1
}
