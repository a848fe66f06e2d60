#!/usr/bin/env bash
# Runs the compiled Rust test binaries again with the system clock moved ahead, so that no test
# can depend on today's date (issue 14: a test once broke by itself when the calendar passed a
# fixture's certificate end). Each shift in OC_CLOCK_SHIFTS (default "+400d +5y") is applied by
# Debian's libfaketime to every test process and to the processes they start (the issuer binary).
#
# Only the binaries are run, never `cargo test`: under a faked clock cargo's freshness checks
# would see sources "from the past" or "from the future" and rebuild. The binaries are the ones
# `cargo test --workspace --all-features` just built; they are listed by
# `cargo test --no-run --message-format=json`, which, with nothing to rebuild, builds nothing.
#
# The monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC=1): timeouts, rate limits and
# sleeps keep their real length; only the wall clock (what the code reads as "now") moves.
set -euo pipefail
cd "$(dirname "$0")/.."

shifts=${OC_CLOCK_SHIFTS:-"+400d +5y"}

if ! command -v faketime >/dev/null 2>&1; then
    echo "faketime not found; installing Debian's faketime package"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get install -y -q faketime >/dev/null 2>&1 \
        || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q faketime >/dev/null; }
fi

# The test executables of the workspace (unit tests, integration tests; not benches or examples).
mapfile -t binaries < <(
    cargo test --workspace --all-features --no-run --message-format=json 2>/dev/null \
        | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m.get("profile", {}).get("test"):
        print(m["executable"] + "\t" + m["manifest_path"])
'
)
[ ${#binaries[@]} -gt 0 ] || { echo "no test binaries found" >&2; exit 1; }

# libfaketime is preloaded directly rather than through the `faketime` wrapper: the wrapper
# creates a named semaphore per run, and a stale or concurrent one ("sem_open: File exists")
# fails the run for no reason of ours. "+5y" in libfaketime's syntax is 5 × 365 days.
lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketime\.so\.1$' || true)
[ -n "$lib" ] && [ -f "$lib" ] || lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "libfaketime.so.1 not found" >&2; exit 1; }
shifted() { LD_PRELOAD="$lib" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1 "${@:2}"; }

for shift in $shifts; do
    # The date the shifted processes see, for the log.
    seen=$(shifted "$shift" date -u +%FT%TZ)
    echo "== Rust test binaries with the clock at $shift ($seen)"
    failed=0
    for entry in "${binaries[@]}"; do
        exe=${entry%%$'\t'*}
        manifest=${entry#*$'\t'}
        # Run from the crate's directory, as cargo does (tests find fixtures relative to it);
        # CARGO_MANIFEST_DIR likewise, for tests that read it at run time.
        dir=$(dirname "$manifest")
        if ! (cd "$dir" && CARGO_MANIFEST_DIR="$dir" shifted "$shift" "$exe" -q >"/tmp/oc-shifted-$$.log" 2>&1); then
            echo "FAILED under $shift: $exe"
            tail -n 40 "/tmp/oc-shifted-$$.log"
            failed=1
        fi
    done
    rm -f "/tmp/oc-shifted-$$.log"
    [ "$failed" = 0 ] || { echo "some test binaries failed with the clock at $shift" >&2; exit 1; }
    echo "   ${#binaries[@]} test binaries passed at $shift"
done
