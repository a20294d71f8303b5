// Package daemon puts spiped in the background the way the reference's
// daemonize(3) does, without fork(2), which Go cannot do: the parent
// re-executes its own binary with the same arguments in a new session,
// and waits until the child says it is ready (it has written its pidfile)
// or has exited. The child reports readiness through a pipe it inherits
// as descriptor 3, named by an environment variable.
//
// As in the reference, the daemon keeps the standard input, output and
// error it inherited: errors after daemonizing are printed there, unless
// --syslog sends them to syslog.
package daemon

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/spiped-go/spiped/internal/libc"
)

// envFD names the variable that marks the child and gives its pipe's descriptor.
const envFD = "SPIPED_GO_DAEMON_FD"

// envListenFD names the variable that gives the child the listening socket
// a service manager passed to the parent (socket activation).
const envListenFD = "SPIPED_GO_LISTEN_FD"

// listenFD is where the child finds that socket: the second of ExtraFiles.
const listenFD = 4

// childFD is the descriptor of the first of exec.Cmd's ExtraFiles.
const childFD = 3

// Child is the daemon side of the readiness pipe.
type Child struct {
	pipe     *os.File
	listenFD int
}

// ListenFD is the listening socket the parent passed on, 0 if none.
func (c *Child) ListenFD() int {
	if c == nil {
		return 0
	}
	return c.listenFD
}

// AsChild reports whether this process is a daemon child started by
// Spawn, and if so returns its handle. It removes the marker from the
// environment.
func AsChild() *Child {
	v, ok := os.LookupEnv(envFD)
	if !ok {
		return nil
	}
	os.Unsetenv(envFD)
	l := os.Getenv(envListenFD)
	os.Unsetenv(envListenFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd != childFD {
		return nil
	}
	syscall.CloseOnExec(fd)
	c := &Child{pipe: os.NewFile(uintptr(fd), "daemon-ready")}
	if l == strconv.Itoa(listenFD) {
		c.listenFD = listenFD
	}
	return c
}

// Ready writes the pidfile (the decimal pid, no newline) and tells the
// parent to exit 0. On failure the parent learns of it when this process
// exits; the error reads like the reference's ("fopen(x): Permission denied").
//
// The file is created or truncated with mode 0666 less the umask, as the
// reference's fopen(x, "w") does, but a symlink at its last component is
// not followed (ELOOP, "Too many levels of symbolic links"): the daemon
// often runs as root, and whoever can write the pidfile's directory could
// otherwise have it overwrite or create any file.
func (c *Child) Ready(pidfile string) error {
	defer c.pipe.Close()
	if err := writePidfile(pidfile); err != nil {
		return err
	}
	if _, err := c.pipe.Write([]byte{0}); err != nil {
		return fmt.Errorf("write: %s", libc.Strerror(err))
	}
	return nil
}

// writePidfile writes the pid to path without following a final symlink.
func writePidfile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o666)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return fmt.Errorf("fopen(%s): %s", path, libc.Strerror(err))
	}
	_, err = f.WriteString(strconv.Itoa(os.Getpid()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return fmt.Errorf("fprintf: %s", libc.Strerror(err))
	}
	return nil
}

// Spawn starts this program again as a daemon child with the same
// arguments, environment, working directory and standard files, in a new
// session, and waits. A listener above 2 (passed by a service manager) is
// handed on to the child, which finds it through ListenFD. It returns the parent's exit status: 0 once the
// child is ready, else the child's own status (1 if it has none), by which
// time the child has printed its error.
func Spawn(listener int) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 1, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 1, fmt.Errorf("pipe: %s", libc.Strerror(err))
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        os.Args,
		Env:         append(os.Environ(), envFD+"="+strconv.Itoa(childFD)),
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if listener > 2 {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(listener), "listener"))
		cmd.Env = append(cmd.Env, envListenFD+"="+strconv.Itoa(listenFD))
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 1, fmt.Errorf("fork: %s", libc.Strerror(err))
	}
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		cmd.Process.Release()
		return 0, nil
	}
	state, err := cmd.Process.Wait()
	if err != nil || state.ExitCode() <= 0 {
		return 1, nil
	}
	return state.ExitCode(), nil
}
