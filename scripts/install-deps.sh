#!/usr/bin/env bash
# Installs what the tests and benchmarks need on a fresh Debian machine: the
# reference spiped/spipe from Debian's package (interop tests and the bench
# harness run against them; any other spiped on PATH, ours included, does
# not count), strace (a test checks which descriptors the daemon
# touches) and python3-prometheus-client (tests parse --metrics with a real
# Prometheus text parser, run by /usr/bin/python3), nginx (a real PROXY
# protocol consumer for the -P test; the test runs its own instance on a
# free port), mandoc (the man pages are linted with mandoc -Tlint) and
# qemu-user-static (make test-arm64 runs the arm64 cipher tests under
# qemu-aarch64-static through go test -exec; no binfmt_misc needed), and gcc
# with the C library's headers (make floors builds the C floors of PERF.md).
# Idempotent; needs root (or sudo) and the Debian archive.
set -euo pipefail
packages=(spiped strace python3-prometheus-client nginx mandoc qemu-user-static gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/spiped -v
