#!/usr/bin/env bash
# Runs every test of the project. Besides Rust, the bindings step needs a JDK 17+, Maven,
# Node/npm and Python 3 (it installs kotlinc and JNA under .tools/ itself); later layers
# (issuer) add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "== cargo test"
cargo test --workspace --all-features
echo "== bindings (Kotlin on the host JVM, Python)"
./scripts/test-bindings.sh
echo "== fuzz targets, briefly, against the committed corpus (nightly; see docs/RELIABILITY.md)"
./scripts/fuzz-short.sh
