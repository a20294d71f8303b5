package pipeopts

import (
	"syscall"
	"testing"
	"time"
)

// TestTakeAndComplete: each shared option lands in its field, others are
// left to the command, and Complete applies the -o default and the
// reference's usage rules.
func TestTakeAndComplete(t *testing.T) {
	var o Options
	seen := map[string]bool{}
	for _, a := range [][2]string{{"-b", "b"}, {"-f", ""}, {"-j", ""}, {"-k", "k"}, {"-t", "t"}} {
		if handled, err := o.Take(a[0], a[1]); !handled || err != nil {
			t.Fatalf("Take(%q) = %v, %v", a[0], handled, err)
		}
		seen[a[0]] = true
	}
	want := Options{Bind: "b", HasBind: true, Fast: true, NoKeepalive: true, KeyFile: "k", Target: "t"}
	if o != want {
		t.Fatalf("options %+v, want %+v", o, want)
	}
	if handled, _ := o.Take("-s", "x"); handled {
		t.Fatal("Take took -s, which is spiped's own")
	}
	if !o.Complete(seen) || o.Timeout != 5*time.Second {
		t.Fatalf("Complete: timeout %v, want the default 5s", o.Timeout)
	}
	if _, err := o.Take("-o", "x"); err != syscall.EINVAL {
		t.Fatalf(`Take("-o", "x"): %v`, err)
	}
	for _, c := range []struct {
		opt, arg string
		ok       bool
	}{
		{"-o", "0.25", true},
		{"-o", "nan", false},
		{"-g", "", false}, // with -f
	} {
		o.Take(c.opt, c.arg)
		if o.Complete(seen) != c.ok {
			t.Errorf("after %s %s: Complete = %v", c.opt, c.arg, !c.ok)
		}
	}
	if o.Timeout != 250*time.Millisecond {
		t.Errorf("-o 0.25: timeout %v", o.Timeout)
	}
	delete(seen, "-k")
	o.RequireFS = false
	o.Take("-o", "1")
	if o.Complete(seen) {
		t.Error("Complete without -k")
	}
}
