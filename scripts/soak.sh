#!/usr/bin/env bash
# The soak (make soak): minutes of mixed traffic with random faults through
# our spiped -e and -d binaries, then a check that descriptors, goroutines,
# open connections and heap return to their baseline. The driver is
# engine/soak_test.go (build tag soak).
#
#   SOAK_TIME     how long to run: a Go duration or seconds (default 3m)
#   SOAK_WORKERS  concurrent client loops (default 16)
#   SPIPED_TEST_SEED  the seed (printed on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SOAK_TIME:=3m}"
export SOAK_TIME

# go test's own timeout: the soak plus ten minutes for set-up and draining.
secs=0
rest=$SOAK_TIME
while [[ $rest =~ ^([0-9]+)([hms]?)(.*)$ ]]; do
	n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
	case $unit in h) n=$((n * 3600)) ;; m) n=$((n * 60)) ;; esac
	secs=$((secs + n))
done
if [[ -n $rest ]]; then
	echo "SOAK_TIME=$SOAK_TIME: want whole seconds or a duration such as 3m, 90s, 1h30m" >&2
	exit 2
fi
timeout=$((secs + 600))s

echo "== soak for $SOAK_TIME (go test timeout $timeout)"
exec go test -tags soak -run '^TestSoak$' -count=1 -v -timeout "$timeout" ./engine/
