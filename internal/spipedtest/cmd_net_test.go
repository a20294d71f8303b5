package spipedtest

import "testing"

// Ports asked for one after another are all different, though the kernel
// hands a closed probe's port out again often enough that 300 probes in a
// row repeat one (7 in 100 did in a row of 1,000).
func TestFreeTCPPortNeverRepeats(t *testing.T) {
	seen := make(map[int]bool)
	for i := range 300 {
		p := FreeTCPPort(t)
		if seen[p] {
			t.Fatalf("call %d returned port %d again", i+1, p)
		}
		seen[p] = true
	}
}
