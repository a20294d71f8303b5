module github.com/spiped-go/spiped

go 1.26.0

require (
	filippo.io/bigmod v0.1.0
	github.com/klauspost/cpuid/v2 v2.4.2
	golang.org/x/sys v0.50.0
)
