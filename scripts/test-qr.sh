#!/usr/bin/env bash
# The QR channel's figures as CI sees them: `offline-cash qr bench` (release build, shared with
# the demo step) must print its two tables, and no row of the animated-QR table may need more
# than 1.5x the minimum number of parts on average, nor in its worst trial (docs/PERFORMANCE.md,
# "QR channel"). The worst is a random draw (each run's payment is signed afresh, so its
# coefficients differ), but since part version 2 (decision 0020) its repair parts are over
# GF(256): a receiver needs more than n + k parts with probability about 256^-(k+1), and 1.5x
# of the payment's 23 parts is 11 extra, about 2^-96 a trial. Version 1 (GF(2), 2^-k) went
# over 1.5x in a worst column, so `--part-version 1` must not be gated this way.
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
echo "$rows" | awk -F'|' '{ if ($5 + 0 > 1.5) { print "test-qr: over 1.5x in the worst trial: " $0; bad = 1 } } END { exit bad }' >&2
echo "== test-qr: every animated-QR row within 1.5x the minimum parts on average and in its worst trial"
