package main

import (
	"strings"
	"testing"

	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// The man page lints clean and documents every option spiped accepts,
// each as an entry of the options list, plus the signals and variables it
// handles.
func TestManPage(t *testing.T) {
	text := spipedtest.ManPage(t, "../../man/spiped.1")
	spipedtest.ManDocuments(t, text, optionList, func(o getopt.Option) string { return o.Name })
	for _, s := range []string{"SIGTERM", "SIGHUP", "SIGINT", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
		"SPIPED_NOASM", "READY=1", "STOPPING=1", "/metrics", "/healthz", "/readyz", "EXIT STATUS", "EXAMPLES"} {
		if !strings.Contains(text, s) {
			t.Errorf("man/spiped.1 does not mention %s", s)
		}
	}
}
