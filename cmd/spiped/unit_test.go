package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The systemd units in contrib/systemd pass systemd-analyze verify (with
// ExecStart pointed at the binary under test, as verify requires it to
// exist), stay Type=notify on spiped -F, and keep their hardening:
// systemd-analyze security rates the service's exposure 2.0 or better.
// Skipped where systemd-analyze is missing (it needs no running systemd).
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: unit files not verified")
	}
	dir := t.TempDir()
	src := filepath.Join("..", "..", "contrib", "systemd")
	service, err := os.ReadFile(filepath.Join(src, "spiped@.service"))
	if err != nil {
		t.Fatal(err)
	}
	socket, err := os.ReadFile(filepath.Join(src, "spiped@.socket"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Type=notify", "ExecStart=/usr/local/bin/spiped -F $SPIPED_ARGS",
		"EnvironmentFile=/etc/spiped/%i.conf", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
		"User=spiped", "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).Match(service) {
			t.Errorf("spiped@.service lacks the line %q", line)
		}
	}
	service = []byte(strings.Replace(string(service), "ExecStart=/usr/local/bin/spiped", "ExecStart="+bin, 1))
	if err := os.WriteFile(filepath.Join(dir, "spiped@.service"), service, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spiped@.socket"), socket, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "--man=no", "./spiped@test.service", "./spiped@test.socket")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	cmd = exec.Command(analyze, "security", "--offline=true", "--no-pager", "./spiped@test.service")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for spiped@test.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security gave no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want 2.0 or better:\n%s", level, out)
	}
}
