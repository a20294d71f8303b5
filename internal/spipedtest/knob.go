package spipedtest

import (
	"os"
	"strconv"
)

// EnvInt reads a size knob from the environment.
func EnvInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		if v, err := strconv.Atoi(s); err == nil {
			return v
		}
	}
	return def
}
