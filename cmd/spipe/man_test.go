package main

import (
	"testing"

	"github.com/spiped-go/spiped/cmd/internal/getopt"
	"github.com/spiped-go/spiped/internal/spipedtest"
)

// The man page lints clean with mandoc -Tlint -W warning and documents
// every option spipe accepts, each as an entry of the options list.
func TestManPage(t *testing.T) {
	text := spipedtest.ManPage(t, "../../man/spipe.1")
	spipedtest.ManDocuments(t, text, optionList, func(o getopt.Option) string { return o.Name })
}
