package keyfile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWarn(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		mode    os.FileMode
		want    []string
	}{
		{"k", 0o600, nil},
		{"k", 0o400, nil},
		{"k", 0o700, nil},
		{"k", 0o620, nil},
		{"k", 0o640, []string{"readable"}},
		{"k", 0o604, []string{"readable"}},
		{"k", 0o644, []string{"readable"}},
		{"", 0o600, []string{"empty"}},
		{"", 0o666, []string{"readable", "empty"}},
	} {
		p := filepath.Join(dir, "key")
		os.Remove(p)
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		var got []string
		Warn(p, func(m string) {
			switch m {
			case "WARNING: key file " + p + " is readable by group or others":
				got = append(got, "readable")
			case "WARNING: key file " + p + " is empty":
				got = append(got, "empty")
			default:
				t.Errorf("unexpected warning %q", m)
			}
		})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q mode %v: warnings %q, want %q", tc.content, tc.mode, got, tc.want)
		}
	}
	// Standard input and a missing file (reading it fails and says so)
	// draw no warning of ours.
	for _, p := range []string{"-", filepath.Join(dir, "missing")} {
		Warn(p, func(m string) { t.Errorf("%s: unexpected warning %q", p, m) })
	}
}
