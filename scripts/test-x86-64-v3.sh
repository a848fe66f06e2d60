#!/usr/bin/env bash
# Core's signature tests built as the production issuer is on x86-64 servers
# (RUSTFLAGS="-C target-cpu=x86-64-v3", issuer/README.md "Building for production"): libcrux's
# ML-DSA-44 verifier (fast-ml-dsa) against Wycheproof and pqcrypto's signatures, and the P-256
# backends. Its own target directory, so the rest of the run keeps its cache. Skipped, saying
# so, on a machine that is not x86-64 or lacks AVX2, BMI2 or FMA.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "$(uname -m)" != x86_64 ]]; then
    echo "not x86-64: skipped"
    exit 0
fi
for f in avx2 bmi2 fma; do
    if ! grep -qw "$f" /proc/cpuinfo; then
        echo "this CPU lacks $f: skipped"
        exit 0
    fi
done
export RUSTFLAGS="-C target-cpu=x86-64-v3"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/x86-64-v3"
cargo test -p offline-cash-core --features fast-ml-dsa --test crypto_ml_dsa --test crypto_backends
