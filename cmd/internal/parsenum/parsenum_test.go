package parsenum

import (
	"math"
	"syscall"
	"testing"
	"time"
)

// The expectations are glibc's strtoumax and strtod under the reference's
// PARSENUM, checked against /usr/bin/spiped's "Error parsing argument".
func TestSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  error
	}{
		{"0", 0, nil},
		{"100", 100, nil},
		{" 5", 5, nil},
		{"\t+5", 5, nil},
		{"0x10", 16, nil},
		{"0X1f", 31, nil},
		{"010", 8, nil},
		{"07", 7, nil},
		{"-0", 0, nil},
		{"-1", math.MaxUint64, nil},
		{"-5", math.MaxUint64 - 4, nil},
		{"18446744073709551615", math.MaxUint64, nil},
		{"18446744073709551616", 0, syscall.ERANGE},
		{"-18446744073709551616", 0, syscall.ERANGE},
		{"", 0, syscall.EINVAL},
		{"abc", 0, syscall.EINVAL},
		{"5x", 0, syscall.EINVAL},
		{"5 ", 0, syscall.EINVAL},
		{"08", 0, syscall.EINVAL},
		{"09", 0, syscall.EINVAL},
		{"0x", 0, syscall.EINVAL},
		{"0xg", 0, syscall.EINVAL},
		{"+", 0, syscall.EINVAL},
		{"- 1", 0, syscall.EINVAL},
		{"1_0", 0, syscall.EINVAL},
		{"１", 0, syscall.EINVAL},
	} {
		got, err := Size(tc.in)
		if err != tc.err || (err == nil && got != tc.want) {
			t.Errorf("Size(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  error
	}{
		{"0", 0, nil},
		{"5", 5, nil},
		{"0.5", 0.5, nil},
		{".5", 0.5, nil},
		{"5.", 5, nil},
		{" 1", 1, nil},
		{"+1", 1, nil},
		{"-0", 0, nil},
		{"1e3", 1000, nil},
		{"1E+3", 1000, nil},
		{"0x10", 16, nil},
		{"0x1p3", 8, nil},
		{"0x1.8", 1.5, nil},
		{"0x.8", 0.5, nil},
		{"inf", math.Inf(1), nil},
		{"INF", math.Inf(1), nil},
		{"Infinity", math.Inf(1), nil},
		{"-1", 0, syscall.ERANGE},
		{"-inf", 0, syscall.ERANGE},
		{"1e999", 0, syscall.ERANGE},
		{"1e-400", 0, syscall.ERANGE},
		{"1e-320", 0, syscall.ERANGE},
		{"", 0, syscall.EINVAL},
		{"abc", 0, syscall.EINVAL},
		{"1 ", 0, syscall.EINVAL},
		{".", 0, syscall.EINVAL},
		{"0x", 0, syscall.EINVAL},
		{"0x1p", 0, syscall.EINVAL},
		{"1e", 0, syscall.EINVAL},
		{"1e+", 0, syscall.EINVAL},
		{"1e5.5", 0, syscall.EINVAL},
		{"1_0", 0, syscall.EINVAL},
		{"infinit", 0, syscall.EINVAL},
		{"1.2.3", 0, syscall.EINVAL},
	} {
		got, err := Seconds(tc.in)
		if err != tc.err || (err == nil && got != tc.want) {
			t.Errorf("Seconds(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	for _, in := range []string{"nan", "NaN", "nan(1)", "-nan"} {
		if got, err := Seconds(in); err != nil || !math.IsNaN(got) {
			t.Errorf("Seconds(%q) = %v, %v; want NaN, nil", in, got, err)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		secs float64
		want time.Duration
	}{
		{5, 5 * time.Second},
		{0.5, 500 * time.Millisecond},
		{1e-12, 1},
		{1e9, 1e18},
		{1e10, Longest},
		{1e300, Longest},
		{math.Inf(1), Longest},
		{math.NaN(), Longest},
	} {
		if got := Duration(tc.secs); got != tc.want {
			t.Errorf("Duration(%v) = %v, want %v", tc.secs, got, tc.want)
		}
	}
}
