//go:build !linux

package cipher

// threadCPU is unavailable here: 0 turns the CPU-time metric off.
func threadCPU() int64 { return 0 }
