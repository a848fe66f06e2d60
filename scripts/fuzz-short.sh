#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ for a short time (OC_FUZZ_SECS, default 10 s each)
# against the committed corpus: every committed input is replayed first (regressions), then
# the fuzzer mutates from them. New inputs go to a scratch directory, so the committed corpus
# is never changed. Uses the nightly toolchain if installed (else stable with RUSTC_BOOTSTRAP=1);
# installs cargo-fuzz under $HOME/.cache/offline-cash/tools if missing (a machine cache, so a
# fresh clone does not build it again).
# Sanitizer: none (the core forbids unsafe code; panics, timeouts and OOMs are what we hunt).
# One process per target (no -jobs: libFuzzer would then log to fuzz-N.log in the cwd).
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${OC_FUZZ_SECS:-10}"
TOOLS="${OC_CACHE_DIR:-$HOME/.cache/offline-cash}/tools"
export PATH="$TOOLS/bin:$PWD/.tools/bin:$PATH"
# cargo-fuzz passes unstable flags to rustc: nightly if this machine has it, else the stable
# toolchain with RUSTC_BOOTSTRAP=1 (the same compiler accepting -Z flags; no download needed).
if [ "${OC_FUZZ_TOOLCHAIN:-}" != stable ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    echo "== no nightly toolchain: fuzzing with stable rustc and RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz under $TOOLS"
    cargo install cargo-fuzz --locked --root "$TOOLS"
fi

echo "== building fuzz targets"
"${FUZZ[@]}" build --fuzz-dir fuzz -s none
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $("${FUZZ[@]}" list --fuzz-dir fuzz); do
    echo "== fuzz $target (${SECS} s)"
    mkdir -p "$scratch/$target" "fuzz/corpus/$target"
    log="$scratch/$target.log"
    if ! "${FUZZ[@]}" run --fuzz-dir fuzz -s none "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz-short: $target failed; the input is under fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$log" || true
done
echo "== fuzz-short: every target ran ${SECS} s without a crash"
