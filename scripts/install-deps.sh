#!/usr/bin/env bash
# Installs what the tests and benchmarks need on a fresh Debian machine: the
# reference spiped/spipe binaries (interop tests and the bench harness run
# against them). Idempotent; needs root (or sudo) and the Debian archive.
set -euo pipefail
if command -v spiped >/dev/null && command -v spipe >/dev/null; then
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq spiped >/dev/null
spiped -v
