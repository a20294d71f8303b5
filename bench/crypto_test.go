package main

import (
	"reflect"
	"testing"
)

const benchOut = `goos: linux
goarch: amd64
pkg: github.com/spiped-go/spiped/cipher
BenchmarkSeal/generic-2         	   20000	     60000 ns/op	 558.10 MB/s
BenchmarkSeal/amd64-aesni-shani-2	   50000	     23000 ns/op	1409.00 MB/s	       0 B/op
BenchmarkSealStd-2              	   10000	     90000 ns/op	 751.50 MB/s
BenchmarkOpenBatch/generic-2    	   20000	     60000 ns/op	 528.00 MB/s
BenchmarkMontMul-2              	 1000000	      1000 ns/op
BenchmarkSeal/generic-2         	   20000	     60000 ns/op	 560.00 MB/s
PASS
`

func TestPairBench(t *testing.T) {
	type row struct {
		key       string
		ours, ref []float64
	}
	var got []row
	add := func(def metricDef, ours bool, s sample) {
		if len(got) == 0 || got[len(got)-1].key != def.key {
			got = append(got, row{key: def.key})
		}
		r := &got[len(got)-1]
		if ours {
			r.ours = append(r.ours, s.V)
		} else {
			r.ref = append(r.ref, s.V)
		}
	}
	if n := pairBench(parseBench(benchOut), add); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
	want := []row{
		{"crypto.Seal/generic", []float64{558.10, 560}, []float64{751.50}},
		{"crypto.Seal/amd64-aesni-shani", []float64{1409}, []float64{751.50}},
		{"crypto.OpenBatch/generic", []float64{528}, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseBenchIgnoresOtherLines(t *testing.T) {
	if got := parseBench("ok  \tpkg\t0.01s\nBenchmarkX-2 10 5 ns/op\n"); len(got) != 0 {
		t.Fatalf("parsed %v from lines without MB/s", got)
	}
}
