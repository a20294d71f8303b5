//go:build race

package engine

// raceEnabled: the race detector's instrumentation changes escape analysis,
// so allocation counts are asserted only in builds without it (make test
// runs those tests once more without -race).
const raceEnabled = true
