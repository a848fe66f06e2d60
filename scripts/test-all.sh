#!/usr/bin/env bash
# Runs every test of the project. Besides Rust, the bindings step needs a JDK 17+, Maven,
# Node/npm and Python 3 (it installs kotlinc and JNA under .tools/ itself); later layers
# (issuer) add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh clone builds everything once: no incremental state, and no debug info in the dev and
# test profile (faster to compile and link; a panic still names its file and line). Set either
# variable to override.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
# Each step's heading carries the time since the start, so a slow step shows in CI's log.
step() { printf '== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "docs: every path, test and name the code map cites exists"
python3 scripts/check-doc-refs.py
step "rustfmt"
cargo fmt --all -- --check
step "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
step "cargo test"
cargo test --workspace --all-features
step "ML-DSA-44 with core's default features (pqcrypto's verifier; the step above runs libcrux's, fast-ml-dsa)"
cargo test -p offline-cash-core --test crypto_ml_dsa
step "ML-DSA-44 and P-256 as the production issuer builds them on x86-64 servers (-C target-cpu=x86-64-v3; scripts/test-x86-64-v3.sh)"
./scripts/test-x86-64-v3.sh
step "the issuer on a throwaway PostgreSQL 15: conformance suite and HTTP tests (scripts/issuer-postgres.sh)"
./scripts/issuer-postgres.sh
step "cargo test binaries again, with the clock moved ahead (+400 days, +5 years; faketime)"
./scripts/test-shifted-clock.sh
step "bindings (Kotlin on the host JVM, Python)"
./scripts/test-bindings.sh
step "CLI: demo and a small simulation (exit non-zero on a broken invariant)"
cargo run --release -q -p offline-cash-cli -- demo
# The post-quantum suite too: its warm tap is the one-time request key's path (decision 0022).
cargo run --release -q -p offline-cash-cli -- demo --suite ml-dsa-44
cargo run --release -q -p offline-cash-cli -- simulate --wallets 300 --payees 10 --payments 2000 --quiet
step "QR channel: request URI sizes, animated-QR parts needed vs the minimum (scripts/test-qr.sh)"
./scripts/test-qr.sh
step "red team: the release binaries over HTTP through a simulated year (redteam/README.md)"
cargo build --release -q -p offline-cash-cli -p offline-cash-issuer
python3 redteam/run.py --short --bin-dir "${CARGO_TARGET_DIR:-target}/release"
step "iOS package: plists, layout and the Apple-only Swift's bindings names; then swift build + swift test on Linux (trixie chroot, cached)"
python3 ios/scripts/check.py
./ios/scripts/swift-linux.sh
step "android (Robolectric: the library and the sample under JUnit/Surefire; the androidTest sources compiled)"
./android/scripts/robolectric-check.sh
step "fuzz targets, briefly, against the committed corpus (nightly; see docs/RELIABILITY.md)"
./scripts/fuzz-short.sh
step "all tests passed"
