#!/usr/bin/env bash
# Builds the floors that PERF.md measures the daemons against into
# bin/floor/ (or the directory given): the C relays doing spiped's socket
# work with no crypto (floor: epoll; floor-uring and floor-uring-sc:
# io_uring, the latter with shutdown(2) as a system call); gofloor,
# floor-uring-sc ported to Go as plainly as it goes (a minimal Go relay);
# and spiped-nocrypto, this tree with bench/floor/nocrypto.patch applied:
# our engine and the Go runtime without the cryptography.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-bin/floor}")
mkdir -p "$out"
cc=${CC:-cc}
"$cc" -O2 -Wall -Werror -o "$out/floor" bench/floor/floor.c
if [ "$(uname -s)" = Linux ]; then
	"$cc" -O2 -Wall -Werror -o "$out/floor-uring" bench/floor/floor_uring.c
	"$cc" -O2 -Wall -Werror -DSHUTDOWN_SYSCALL -o "$out/floor-uring-sc" bench/floor/floor_uring.c
	go build -o "$out/gofloor" ./bench/floor/gofloor
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A checkout's tracked files only, so that its build outputs stay out of
# the copy; an unpacked archive's files, but bin/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z | xargs -0 cp --parents -t "$tmp"
else
	tar --exclude=./bin -cf - . | tar -xf - -C "$tmp"
fi
patch=$PWD/bench/floor/nocrypto.patch
(
	cd "$tmp"
	if command -v git >/dev/null; then git apply --whitespace=nowarn "$patch"; else patch -s -p1 <"$patch"; fi
	go build -o "$out/spiped-nocrypto" ./cmd/spiped
)
echo "floors in $out: $(ls "$out" | tr '\n' ' ')"
