#!/usr/bin/env bash
# A working tunnel on loopback, end to end:
#   curl -> spiped -e (127.0.0.1:E) -> spiped -d (127.0.0.1:D) -> web server (127.0.0.1:W)
# plus spipe speaking to the -d end directly. E, D and W are ports the
# system picks as free, so the demo runs beside anything else. Everything
# runs in a temporary directory and is torn down on exit.
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

# Three distinct free ports: held open together while the kernel picks
# them, then released for the servers below.
read -r eport dport wport < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')

echo "== generating a 32-byte key"
(umask 077; dd if=/dev/urandom of="$work/key" bs=32 count=1 status=none)

mkdir -p "$work/www"
echo "Hello through an encrypted pipe." >"$work/www/index.html"
python3 -m http.server "$wport" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)

"$work/bin/spiped" -d -s "[127.0.0.1]:$dport" -t "[127.0.0.1]:$wport" -k "$work/key" -F &
pids+=($!)
"$work/bin/spiped" -e -s "[127.0.0.1]:$eport" -t "[127.0.0.1]:$dport" -k "$work/key" -F &
pids+=($!)

for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$eport/" && break
	sleep 0.1
done

echo "== curl http://127.0.0.1:$eport/ (through spiped -e -> spiped -d)"
curl -sS "http://127.0.0.1:$eport/"

echo "== spipe -t 127.0.0.1:$dport (straight to spiped -d)"
printf 'GET / HTTP/1.0\r\n\r\n' | "$work/bin/spipe" -t "127.0.0.1:$dport" -k "$work/key" | tail -n 1

echo "== the demo tunnel works"
