//go:build !race

package cipher

// raceEnabled: see race_test.go.
const raceEnabled = false
