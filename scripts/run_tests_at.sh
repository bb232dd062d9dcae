#!/usr/bin/env bash
# Run the test suite (or the pytest arguments given) with the wall clock set to DATE, to find time bombs.
#
#   scripts/run_tests_at.sh 2030-06-01                      # whole suite, CI=True
#   scripts/run_tests_at.sh 2030-06-01 tests/hostile -x     # any pytest arguments
#
# Needs libfaketime (Debian: faketime) and a C compiler. The wall clock (date.today, datetime.now,
# time.time, `date` in subprocesses) starts at DATE 12:00 UTC and runs on; the monotonic clock stays
# real, so timeouts, deadlines and sleeps behave as on any day (see scripts/faketime_real_monotonic.c).
# Go programs (the vCenter simulator) read the clock without libc and keep the real date.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
    echo "usage: $0 YYYY-MM-DD [pytest args...]" >&2
    exit 2
fi
target_date=$1
shift
target_epoch=$(date -u -d "$target_date 12:00:00" +%s) || { echo "not a date: $target_date" >&2; exit 2; }

libfaketime=""
for candidate in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1 \
                 /usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1; do
    [ -e "$candidate" ] && libfaketime=$candidate && break
done
[ -n "$libfaketime" ] || { echo "libfaketime not found (apt-get install faketime)" >&2; exit 2; }

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cc -shared -fPIC -O2 -o "$build/real_monotonic.so" scripts/faketime_real_monotonic.c -ldl

python=python
[ -x .venv/bin/python ] && python=.venv/bin/python
[ $# -gt 0 ] || set -- -q -p no:cacheprovider

# An offset, not an absolute start: every process (pytest, vmscan, chromium) sees the same clock.
export FAKETIME="+$((target_epoch - $(date -u +%s)))"
export FAKETIME_DONT_FAKE_MONOTONIC=1
# Debian's libfaketime otherwise shifts monotonic condition-variable deadlines anyway: the GIL wait
# returns at once and contended threads spin (10-40x slower).
export FAKETIME_FORCE_MONOTONIC_FIX=0
export LD_PRELOAD="$build/real_monotonic.so:$libfaketime${LD_PRELOAD:+:$LD_PRELOAD}"
export CI="${CI:-True}"
echo "== wall clock: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); CI=$CI; pytest $*" >&2
"$python" -m pytest "$@"
