// Package version holds what "spiped -v" and "spipe -v" print after the
// program's name. It keeps the reference's number, so that scripts which
// compare versions see the behaviour they expect, and marks this
// implementation with "-go".
package version

// Version is the reference release this one matches, plus "-go".
const Version = "1.6.2-go"
