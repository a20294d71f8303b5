package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// benchLine matches a `go test -bench` result with a MB/s column, e.g.
// "BenchmarkSealStd/1KiB-2   1000000   1043 ns/op   981.73 MB/s".
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+.*?\s([0-9.]+) MB/s`)

// runCrypto measures packet sealing and opening alone: the cipher package's
// BenchmarkSeal/BenchmarkOpen (ours) against BenchmarkSealStd/BenchmarkOpenStd
// (the straightforward standard-library way). Missing benchmarks are a note,
// not a failure.
func (r *runner) runCrypto(root string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "./cipher", "-run", "^$", "-bench", "Seal|Open",
		"-benchtime", r.cfg.benchtime, "-count", strconv.Itoa(r.cfg.rounds))
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	fmt.Fprintf(r.log, "crypto         %s\n", strings.Join(cmd.Args, " "))
	err := cmd.Run()
	found := pairBench(parseBench(out.String()), func(def metricDef, ours bool, s sample) {
		r.res.add(def, ours, s)
	})
	switch {
	case err != nil:
		r.res.note("crypto: `go test ./cipher` failed (%v): %s", err, lastLine(out.String()))
	case found == 0:
		r.res.note("crypto: no Seal/Open benchmarks with MB/s in package cipher yet")
	}
}

// benchResult is one MB/s line of `go test -bench`.
type benchResult struct {
	name string // without "Benchmark" and the -GOMAXPROCS suffix
	mbps float64
}

func parseBench(out string) []benchResult {
	var res []benchResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			res = append(res, benchResult{name: m[1], mbps: v})
		}
	}
	return res
}

// pairBench makes a row of each of our benchmarks (e.g. Seal/amd64) with
// the standard-library one as its reference column: the Std benchmark of the
// same name (SealStd/amd64), else of the same top level (SealStd). It
// returns the number of rows.
func pairBench(res []benchResult, add func(metricDef, bool, sample)) int {
	std := map[string][]float64{}
	var rows []string
	seen := map[string]bool{}
	for _, b := range res {
		if strings.Contains(b.name, "Std") {
			n := strings.Replace(b.name, "Std", "", 1)
			std[n] = append(std[n], b.mbps)
			continue
		}
		if !seen[b.name] {
			seen[b.name] = true
			rows = append(rows, b.name)
		}
	}
	for _, row := range rows {
		def := metricDef{key: "crypto." + row, label: "crypto: " + row + " vs standard library", unit: "MB/s", higher: true}
		for _, b := range res {
			if b.name == row {
				add(def, true, sample{V: b.mbps})
			}
		}
		ref, ok := std[row]
		if !ok {
			top, _, _ := strings.Cut(row, "/")
			ref = std[top]
		}
		for _, v := range ref {
			add(def, false, sample{V: v})
		}
	}
	return len(rows)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
