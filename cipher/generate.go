// This file holds the package's go:generate directives. It has no build
// constraints, so that 'go generate ./cipher/' runs them on every GOOS,
// GOARCH and tag set, not only where the generated code is compiled.

package cipher

// dh_amd64.s is the output of dh_amd64_gen.go; TestGeneratedAsmCurrent
// fails when the two disagree.
//go:generate sh -c "go run dh_amd64_gen.go > dh_amd64.s"
