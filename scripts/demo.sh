#!/usr/bin/env bash
# A working tunnel on loopback, end to end:
#   curl -> spiped -e (127.0.0.1:8025) -> spiped -d (127.0.0.1:8026) -> web server (127.0.0.1:8027)
# plus spipe speaking to the -d end directly. Everything runs in a temporary
# directory and is torn down on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building spiped and spipe"
go build -o "$work/bin/" ./cmd/spiped ./cmd/spipe

echo "== generating a 32-byte key"
dd if=/dev/urandom of="$work/key" bs=32 count=1 status=none

mkdir -p "$work/www"
echo "Hello through an encrypted pipe." >"$work/www/index.html"
python3 -m http.server 8027 --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)

"$work/bin/spiped" -d -s '[127.0.0.1]:8026' -t '[127.0.0.1]:8027' -k "$work/key" -F &
pids+=($!)
"$work/bin/spiped" -e -s '[127.0.0.1]:8025' -t '[127.0.0.1]:8026' -k "$work/key" -F &
pids+=($!)

for _ in $(seq 50); do
	curl -s -o /dev/null http://127.0.0.1:8025/ && break
	sleep 0.1
done

echo "== curl http://127.0.0.1:8025/ (through spiped -e -> spiped -d)"
curl -sS http://127.0.0.1:8025/

echo "== spipe -t 127.0.0.1:8026 (straight to spiped -d)"
printf 'GET / HTTP/1.0\r\n\r\n' | "$work/bin/spipe" -t 127.0.0.1:8026 -k "$work/key" | tail -n 1

echo "== the demo tunnel works"
