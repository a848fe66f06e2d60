#!/usr/bin/env bash
# Runs every test of the project. Installs nothing that a fresh machine with Rust lacks yet;
# later layers (Kotlin, Python, issuer) add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "== cargo test"
cargo test --workspace --all-features
