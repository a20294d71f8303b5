package spipedtest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Sink is a target that records every connection a daemon makes to it,
// for tests that check exactly which bytes got through and how each ended.
type Sink struct {
	ln   net.Listener
	mu   sync.Mutex
	recs []*Record
	wg   sync.WaitGroup
}

// NewSink listens on a free loopback port until t ends.
func NewSink(t testing.TB) *Sink {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *Sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.recs = append(s.recs, Recording(c))
		s.mu.Unlock()
	}
}

// close stops accepting and gives each connection a while to end, since
// a daemon under test may still be flushing into one.
func (s *Sink) close() {
	s.ln.Close()
	s.wg.Wait()
	s.mu.Lock()
	recs := s.recs
	s.mu.Unlock()
	for _, r := range recs {
		select {
		case <-r.Done:
		case <-time.After(5 * time.Second):
		}
	}
}

// Spec is the sink's address in spiped's syntax, for a daemon's -t.
func (s *Sink) Spec() string { return SpecOf(s.ln.Addr()) }

// Count is how many connections the sink has accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

// Since returns the records of connections accepted from index i on.
func (s *Sink) Since(i int) []*Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Record(nil), s.recs[i:]...)
}

// WaitBytes waits until the connections from index i on hold n bytes in all.
func (s *Sink) WaitBytes(i, n int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		got := 0
		for _, r := range s.Since(i) {
			got += len(r.Bytes())
		}
		if got >= n {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// Settle waits until every connection from index i on has ended and
// returns their bytes (concatenated) and records.
func (s *Sink) Settle(t testing.TB, i int, within time.Duration) ([]byte, []*Record) {
	t.Helper()
	deadline := time.After(within)
	recs := s.Since(i)
	var all []byte
	for _, r := range recs {
		select {
		case <-r.Done:
		case <-deadline:
			t.Errorf("the daemon kept the target connection open for more than %v", within)
			return all, recs
		}
		all = append(all, r.Bytes()...)
	}
	return all, recs
}
