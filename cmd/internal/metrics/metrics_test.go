package metrics

import (
	"math"
	"testing"
)

func TestExposition(t *testing.T) {
	var w Writer
	w.Counter("x_requests_total", "Requests served.", 1234567)
	w.Gauge("x_open", `Open now; a \ and a
newline in help.`, 3)
	w.Family("x_ended_total", "Ended, by cause.", "counter",
		Sample{Labels: []Label{{"cause", "done"}}, Value: 7},
		Sample{Labels: []Label{{"cause", `a"b\c` + "\nd"}}, Value: 0})
	w.Family("x_info", "Build.", "gauge",
		Sample{Labels: []Label{{"version", "1.0"}, {"goversion", "go1"}}, Value: 1})
	w.Histogram("x_seconds", "Durations.", nil, []float64{0.0005, 0.01, 1}, []int64{2, 0, 3, 1}, 1.75)
	w.Histogram("x_bytes", "Sizes.", []Label{{"dir", "in"}}, []float64{1024}, []int64{0, 0}, 0)
	w.Gauge("x_odd", "Odd values.", math.Inf(1))
	w.Gauge("x_frac", "A fraction.", 0.1)
	w.Gauge("x_big", "Past exact integers.", 1e20)
	w.Gauge("x_nan", "Not a number.", math.NaN())
	want := `# HELP x_requests_total Requests served.
# TYPE x_requests_total counter
x_requests_total 1234567
# HELP x_open Open now; a \\ and a\nnewline in help.
# TYPE x_open gauge
x_open 3
# HELP x_ended_total Ended, by cause.
# TYPE x_ended_total counter
x_ended_total{cause="done"} 7
x_ended_total{cause="a\"b\\c\nd"} 0
# HELP x_info Build.
# TYPE x_info gauge
x_info{version="1.0",goversion="go1"} 1
# HELP x_seconds Durations.
# TYPE x_seconds histogram
x_seconds_bucket{le="0.0005"} 2
x_seconds_bucket{le="0.01"} 2
x_seconds_bucket{le="1"} 5
x_seconds_bucket{le="+Inf"} 6
x_seconds_sum 1.75
x_seconds_count 6
# HELP x_bytes Sizes.
# TYPE x_bytes histogram
x_bytes_bucket{dir="in",le="1024"} 0
x_bytes_bucket{dir="in",le="+Inf"} 0
x_bytes_sum{dir="in"} 0
x_bytes_count{dir="in"} 0
# HELP x_odd Odd values.
# TYPE x_odd gauge
x_odd +Inf
# HELP x_frac A fraction.
# TYPE x_frac gauge
x_frac 0.1
# HELP x_big Past exact integers.
# TYPE x_big gauge
x_big 1e+20
# HELP x_nan Not a number.
# TYPE x_nan gauge
x_nan NaN
`
	if got := string(w.Bytes()); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBadNamesPanic(t *testing.T) {
	for _, f := range []func(w *Writer){
		func(w *Writer) { w.Counter("", "h", 1) },
		func(w *Writer) { w.Counter("1x", "h", 1) },
		func(w *Writer) { w.Counter("x-y", "h", 1) },
		func(w *Writer) { w.Family("x", "h", "gauge", Sample{Labels: []Label{{"a:b", "v"}}}) },
		func(w *Writer) { w.Family("x", "h", "gauge", Sample{Labels: []Label{{"__reserved", "v"}}}) },
		func(w *Writer) { w.Histogram("x", "h", nil, []float64{1}, []int64{1}, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(&Writer{})
		}()
	}
	var w Writer
	w.Family("ns:x_y9", "colons are allowed in metric names", "untyped", Sample{Labels: []Label{{"_a9", ""}}})
}
