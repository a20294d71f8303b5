package engine

// THIS FILE IS A TEMPORARY CONTRACT between cmd/ and engine/. Each
// declaration moves to its own file with a real body; delete it from here then.

import (
	"io"
	"time"
)

// Addr is one resolved socket address: a Unix path, IPv4 or IPv6 with port.
type Addr struct {
	Network string // "unix", "tcp4", "tcp6"
	Path    string // unix
	IP      []byte // 4 or 16 bytes
	Port    int
}

// Resolve parses and resolves an address in spiped's syntax
// (/unix/path, host:port, [v4]:port, [v6]:port). Errors carry the reference's
// messages, e.g. "Address must contain port number: x", "Empty socket address",
// "Invalid port number: 0".
func Resolve(spec string) ([]Addr, error) { panic("todo") }

// Config is one spiped daemon's behaviour.
type Config struct {
	Encrypt     bool             // -e (else -d)
	Source      Addr             // where to listen (first resolved address of -s)
	Target      string           // -t as given; re-resolved every ReResolve
	TargetAddrs []Addr           // -t resolved at start
	Bind        *Addr            // -b, nil if none
	Key         [32]byte         // K
	Fast        bool             // -f
	RequireFS   bool             // -g
	NoKeepalive bool             // -j
	MaxConns    int              // -n, 0 = unlimited
	Timeout     time.Duration    // -o
	ReResolve   time.Duration    // -r; 0 means never (-R)
	Loops       int              // event loops; 0 means one per CPU
	Warn        func(msg string) // warnings (stderr or syslog), never secrets
}

// Server is a listening spiped daemon.
type Server struct{}

// Listen binds the source socket (SO_REUSEADDR) and prepares the loops.
func Listen(cfg Config) (*Server, error) { panic("todo") }

// Serve runs until Shutdown has been called and every connection has ended.
func (s *Server) Serve() error { panic("todo") }

// Shutdown stops accepting; Serve returns once the open connections finish.
func (s *Server) Shutdown() { panic("todo") }

// ClientConfig configures spipe's single connection.
type ClientConfig struct {
	Target      []Addr
	Bind        *Addr
	Key         [32]byte
	Fast        bool
	RequireFS   bool
	NoKeepalive bool
	Timeout     time.Duration
}

// Errors of RunClient, printed by spipe as they are.
var (
	ErrConnect   = errorString("Could not connect")
	ErrHandshake = errorString("Handshake failed")
	ErrConn      = errorString("Connection error")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// RunClient connects, handshakes, then copies in to the connection and the
// connection to out; on in's EOF it half-closes and returns nil at the
// server's EOF.
func RunClient(cfg ClientConfig, in io.Reader, out io.Writer) error { panic("todo") }
