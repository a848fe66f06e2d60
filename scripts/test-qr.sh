#!/usr/bin/env bash
# The QR channel's figures as CI sees them: `offline-cash qr bench` (release build, shared with
# the demo step) must print its two tables, and no row of the animated-QR table may need more
# than 1.5x the minimum number of parts on average (docs/PERFORMANCE.md, "QR channel"). The
# p99 and worst columns are printed, not gated: each run's payment is signed afresh, so its
# mixes differ, and the worst of 100 trials is a tail draw (about 2^-k for k extra parts).
# The end-to-end payments over QR PNGs are cli/tests/qr_channel.rs, run by `cargo test
# --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(cargo run --release -q -p offline-cash-cli -- qr bench --trials 100)"
echo "$out"
echo "$out" | grep -q "base32 (ours)" || { echo "test-qr: no request URI table" >&2; exit 1; }
rows="$(echo "$out" | grep -E '^\| (in sequence|parts shuffled)')"
[ "$(echo "$rows" | wc -l)" -eq 5 ] || { echo "test-qr: expected 5 animated-QR rows" >&2; exit 1; }
echo "$rows" | awk -F'|' '{ if ($3 + 0 > 1.5) { print "test-qr: over 1.5x on average: " $0; bad = 1 } } END { exit bad }' >&2
echo "== test-qr: every animated-QR row within 1.5x the minimum parts on average"
