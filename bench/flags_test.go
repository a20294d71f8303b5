package main

import (
	"slices"
	"testing"
	"time"
)

// -ours-args splits at spaces; without it our daemons get nothing extra.
func TestOursArgs(t *testing.T) {
	c, err := parseFlags([]string{"-quick", "-ours-args", " --metrics 127.0.0.1:0  --log-connections "})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--metrics", "127.0.0.1:0", "--log-connections"}; !slices.Equal(c.oursArgs, want) {
		t.Fatalf("oursArgs %q, want %q", c.oursArgs, want)
	}
	if c, _ = parseFlags(nil); len(c.oursArgs) != 0 {
		t.Fatalf("oursArgs %q without the flag", c.oursArgs)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"-quick", "-only", "bulk-1|^connect$", "-ours-args", "--metrics 127.0.0.1:0", "it's", ""})
	if want := `-quick -only 'bulk-1|^connect$' -ours-args '--metrics 127.0.0.1:0' 'it'\''s' ''`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// -warm is off unless asked for, and cannot be negative.
func TestWarmFlag(t *testing.T) {
	c, err := parseFlags([]string{"-warm", "2s"})
	if err != nil || c.warm != 2*time.Second {
		t.Fatalf("-warm 2s: warm %v, err %v", c.warm, err)
	}
	if c, _ = parseFlags([]string{"-quick"}); c.warm != 0 {
		t.Fatalf("warm %v without the flag", c.warm)
	}
	if _, err := parseFlags([]string{"-warm", "-1s"}); err == nil {
		t.Fatal("-warm -1s accepted")
	}
}
