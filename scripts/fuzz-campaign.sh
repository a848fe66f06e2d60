#!/usr/bin/env bash
# A long fuzzing campaign: every cargo-fuzz target under fuzz/, one after the other, for
# OC_FUZZ_SECS each (default 620 s, just over the 10 minutes docs/RELIABILITY.md asks for),
# at the lowest CPU priority. Keeps what scripts/fuzz-short.sh throws away: each target's log
# and the new inputs it found, under OUT (default target/fuzz-campaign/), and prints one
# summary line per target (runs, exec/s, coverage, peak RSS) for the table in RELIABILITY.md.
#
#   scripts/fuzz-campaign.sh [OUT]      # then minimise OUT/<target> into fuzz/corpus with -merge=1
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${OC_FUZZ_SECS:-620}"
OUT="${1:-target/fuzz-campaign}"
export PATH="$PWD/.tools/bin:$PATH"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --root .tools
FUZZ=(nice -n 19 cargo +nightly fuzz)
mkdir -p "$OUT"
"${FUZZ[@]}" build --fuzz-dir fuzz -s none
echo "commit $(git rev-parse --short HEAD), ${SECS} s per target, started $(date -u +%FT%TZ)" >"$OUT/SUMMARY"
for target in $("${FUZZ[@]}" list --fuzz-dir fuzz); do
    mkdir -p "$OUT/$target" "fuzz/corpus/$target"
    log="$OUT/$target.log"
    status=ok
    "${FUZZ[@]}" run --fuzz-dir fuzz -s none "$target" "$OUT/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=FAILED
    runs=$(grep -oP '^stat::number_of_executed_units:\s*\K[0-9]+' "$log" || echo '?')
    eps=$(grep -oP '^stat::average_exec_per_sec:\s*\K[0-9]+' "$log" || echo '?')
    rss=$(grep -oP '^stat::peak_rss_mb:\s*\K[0-9]+' "$log" || echo '?')
    cov=$(grep -oP 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || echo '?')
    echo "$target $status runs=$runs exec/s=$eps $cov rss_mb=$rss" | tee -a "$OUT/SUMMARY"
done
echo "finished $(date -u +%FT%TZ)" >>"$OUT/SUMMARY"
