#!/usr/bin/env bash
# Runs every test of the project. Besides Rust, the bindings step needs a JDK 17+, Maven,
# Node/npm and Python 3 (it installs kotlinc and JNA under .tools/ itself); later layers
# (issuer) add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== docs: every path, test and name the code map cites exists"
python3 scripts/check-doc-refs.py
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "== cargo test"
cargo test --workspace --all-features
echo "== the issuer on a throwaway PostgreSQL 15: conformance suite and HTTP tests (scripts/issuer-postgres.sh)"
./scripts/issuer-postgres.sh
echo "== cargo test binaries again, with the clock moved ahead (+400 days, +5 years; faketime)"
./scripts/test-shifted-clock.sh
echo "== bindings (Kotlin on the host JVM, Python)"
./scripts/test-bindings.sh
echo "== CLI: demo and a small simulation (exit non-zero on a broken invariant)"
cargo run --release -q -p offline-cash-cli -- demo
cargo run --release -q -p offline-cash-cli -- simulate --wallets 300 --payees 10 --payments 2000 --quiet
echo "== QR channel: request URI sizes, animated-QR parts needed vs the minimum (scripts/test-qr.sh)"
./scripts/test-qr.sh
echo "== red team: the release binaries over HTTP through a simulated year (redteam/README.md)"
cargo build --release -q -p offline-cash-cli -p offline-cash-issuer
python3 redteam/run.py --short --bin-dir "${CARGO_TARGET_DIR:-target}/release"
echo "== iOS package: plists, layout and the Apple-only Swift's bindings names; then swift build + swift test on Linux (trixie chroot, cached)"
python3 ios/scripts/check.py
./ios/scripts/swift-linux.sh
echo "== android (Robolectric: the library and the sample under JUnit/Surefire; the androidTest sources compiled)"
./android/scripts/robolectric-check.sh
echo "== fuzz targets, briefly, against the committed corpus (nightly; see docs/RELIABILITY.md)"
./scripts/fuzz-short.sh
