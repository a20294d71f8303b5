package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spiped-go/spiped/internal/procfs"
)

// clockTicks is Linux's USER_HZ (sysconf(_SC_CLK_TCK)): the unit of the CPU
// times in /proc/PID/stat. It has been 100 on every Linux architecture for
// decades and the standard library has no sysconf, so it is a constant.
const clockTicks = 100

// procs remembers every child process still running, so that an interrupt
// or an early exit of the harness can kill them all.
type procs struct {
	mu   sync.Mutex
	live map[*exec.Cmd]struct{}
}

func newProcs() *procs { return &procs{live: make(map[*exec.Cmd]struct{})} }

func (p *procs) start(cmd *exec.Cmd) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	p.live[cmd] = struct{}{}
	return nil
}

func (p *procs) forget(cmd *exec.Cmd) {
	p.mu.Lock()
	delete(p.live, cmd)
	p.mu.Unlock()
}

// killAll sends SIGKILL to every remembered child.
func (p *procs) killAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for cmd := range p.live {
		_ = cmd.Process.Kill()
	}
}

// daemon is one running spiped.
type daemon struct {
	role   string // "-e" or "-d"
	port   int    // where it listens on 127.0.0.1
	cmd    *exec.Cmd
	stderr *tail
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, valid after done
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// exited reports whether the daemon is gone (it should never go by itself).
func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// describe says why a daemon died, with the end of its stderr.
func (d *daemon) describe() string {
	return fmt.Sprintf("spiped %s exited (%v): %s", d.role, d.err, strings.TrimSpace(d.stderr.String()))
}

// pair is one side's spiped -e and spiped -d, chained on loopback in front of
// a target service: client -> -e -> -d -> target.
type pair struct {
	enc, dec *daemon
	addr     string // the -e listener, for net.Dial
	procs    *procs
}

// startPair starts `bin -d` in front of target (a host:port on loopback) and
// `bin -e` in front of it, both in the foreground with no connection limit,
// and waits until both listen. encExtra and decExtra are more options for
// each (e.g. -f).
func startPair(p *procs, bin, keyPath, target string, encExtra, decExtra []string) (*pair, error) {
	portD, err := freePort()
	if err != nil {
		return nil, err
	}
	portE, err := freePort()
	for err == nil && portE == portD {
		// freePort closed portD's socket, so the kernel may hand it out
		// again; -e would then die binding it and -d answer in its place.
		portE, err = freePort()
	}
	if err != nil {
		return nil, err
	}
	pr := &pair{addr: loopback(portE), procs: p}
	pr.dec, err = startDaemon(p, bin, "-d", portD, spipedAddr(target), keyPath, decExtra)
	if err != nil {
		return nil, err
	}
	pr.enc, err = startDaemon(p, bin, "-e", portE, spipedAddr(loopback(portD)), keyPath, encExtra)
	if err != nil {
		pr.dec.stop()
		return nil, err
	}
	for _, d := range []*daemon{pr.dec, pr.enc} {
		if err := waitListening(d, 5*time.Second); err != nil {
			pr.stop()
			return nil, err
		}
	}
	return pr, nil
}

func startDaemon(p *procs, bin, role string, port int, target, keyPath string, extra []string) (*daemon, error) {
	args := []string{role, "-s", spipedAddr(loopback(port)), "-t", target, "-k", keyPath, "-F", "-n", "0"}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	d := &daemon{role: role, port: port, cmd: cmd, stderr: &tail{max: 4096}, done: make(chan struct{})}
	cmd.Stdout = d.stderr
	cmd.Stderr = d.stderr
	cmd.SysProcAttr = childAttr()
	if err := p.start(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		d.err = cmd.Wait()
		p.forget(cmd)
		close(d.done)
	}()
	return d, nil
}

// stop ends both daemons and reports whether either had died on its own
// before (a crash is a failed run, not a measurement).
func (pr *pair) stop() error {
	var errs []error
	for _, d := range []*daemon{pr.enc, pr.dec} {
		if d == nil {
			continue
		}
		if d.exited() {
			errs = append(errs, errors.New(d.describe()))
			continue
		}
		d.stop()
	}
	return errors.Join(errs...)
}

// alive fails if either daemon has exited.
func (pr *pair) alive() error {
	for _, d := range []*daemon{pr.enc, pr.dec} {
		if d.exited() {
			return errors.New(d.describe())
		}
	}
	return nil
}

// stop kills the daemon and waits for it. The measurement is over by then,
// and a graceful SIGTERM would cost over a second per reference daemon
// (graceful shutdown is tested elsewhere, not timed here).
func (d *daemon) stop() {
	_ = d.cmd.Process.Kill()
	<-d.done
}

// waitListening polls /proc/net/tcp{,6} until a socket listens on port, so
// that no probe connection disturbs the daemon's counters.
func waitListening(d *daemon, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if d.exited() {
			return errors.New(d.describe())
		}
		if inodes := listeners(d.port); len(inodes) > 0 {
			// The port listens; make sure it is this daemon that listens
			// there, not whoever took the port between freePort and the
			// daemon's bind (the daemon then dies of EADDRINUSE).
			if procfs.HoldsSocket(d.pid(), inodes) {
				return nil
			}
			if d.exited() {
				return errors.New(d.describe())
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("spiped %s: not listening on port %d after %v", d.role, d.port, limit)
}

func listening(port int) bool { return len(listeners(port)) > 0 }

// listeners returns the socket inodes of the sockets listening on port.
func listeners(port int) []string {
	want := fmt.Sprintf(":%04X", port)
	var inodes []string
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		inodes = append(inodes, listensIn(name, want)...)
	}
	return inodes
}

// listensIn scans one /proc/net/tcp table. The kernel lists listening
// sockets first, so the scan stops at the first other state instead of
// reading through thousands of TIME_WAIT entries left by earlier runs.
func listensIn(name, port string) []string {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	var inodes []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// fields[1] is the local address:port in hex, fields[3] the state
		// (0A is LISTEN), fields[9] the socket's inode.
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			return inodes
		}
		if strings.HasSuffix(fields[1], port) {
			inodes = append(inodes, fields[9])
		}
	}
	return inodes
}

// freePort asks the kernel for an unused loopback port. (A variable so
// that a test can hand out a port someone else holds.)
var freePort = func() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// loopback is the only kind of address the harness ever uses.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// spipedAddr writes 127.0.0.1:port in spiped's literal IPv4 form, [127.0.0.1]:port,
// so that no resolver is involved.
func spipedAddr(hostPort string) string {
	host, port, _ := net.SplitHostPort(hostPort)
	return "[" + host + "]:" + port
}

// cpuTicks is the user+system CPU time of a process (all its threads), in
// clock ticks, from fields 14 and 15 of /proc/PID/stat.
func cpuTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; count from after its ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	// f[0] is field 3 (state), so field 14 (utime) is f[11] and 15 (stime) f[12].
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + s, nil
}

// rssKB is a process's resident memory (VmRSS in /proc/PID/status), in KiB.
func rssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// tail keeps the last max bytes written to it: a daemon's stderr, for errors.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// grow raises the limit, for output worth keeping whole.
func (t *tail) grow(max int) {
	t.mu.Lock()
	t.max = max
	t.mu.Unlock()
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// postmortem describes a pair whose connection failed while both daemons
// were up: every socket on the pair's or the target's port that holds
// queued bytes or is in a transitional state (ss), and, if dump, the
// daemons' goroutines, which SIGQUIT makes a Go daemon print as it exits.
// The pair is of no further use afterwards.
func (pr *pair) postmortem(targetPort int, dump bool) string {
	var b strings.Builder
	ports := map[string]bool{}
	for _, p := range []int{pr.enc.port, pr.dec.port, targetPort} {
		ports[":"+strconv.Itoa(p)] = true
	}
	out, err := exec.Command("ss", "-tanoip").Output()
	if err != nil {
		fmt.Fprintf(&b, "ss: %v\n", err)
	}
	// ss prints one socket as a line of addresses and an indented line of
	// details (-i).
	lines := strings.Split(string(out), "\n")
	shown := 0
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 5 || !(ports[portOf(f[3])] || ports[portOf(f[4])]) {
			continue
		}
		quiet := f[1] == "0" && f[2] == "0" && (f[0] == "ESTAB" || f[0] == "LISTEN" || f[0] == "TIME-WAIT")
		if quiet || shown == 40 {
			continue
		}
		shown++
		b.WriteString(line + "\n")
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			b.WriteString(lines[i+1] + "\n")
		}
	}
	if shown == 0 {
		b.WriteString("no socket of the pair holds bytes or is between states\n")
	}
	if dump {
		for _, d := range []*daemon{pr.enc, pr.dec} {
			d.stderr.grow(1 << 20)
			_ = d.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-d.done:
			case <-time.After(2 * time.Second):
			}
			fmt.Fprintf(&b, "spiped %s after SIGQUIT:\n%s\n", d.role, d.stderr.String())
		}
	}
	return b.String()
}

// portOf returns ":port" of an ss address column.
func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i:]
	}
	return addr
}
