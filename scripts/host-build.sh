#!/usr/bin/env bash
# Builds the host's debug artifacts the bindings, Android and iOS steps use (the cdylib
# liboffline_cash_ffi, uniffi-bindgen and offline-cash-issuer under target/debug/) exactly as
# `cargo test --workspace --all-features` builds them. One feature set for every step: a
# `cargo build -p <crate>` resolves other features, so after the test step of
# scripts/test-all.sh it recompiled about 100 crates (10 minutes on 2 cores) for the same
# programs. Run after that step, this builds nothing; run alone, it builds the workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q --workspace --all-features --no-run
# A test build leaves the cdylib in deps/ only; the bindings and the JNA/Swift tests load it from
# target/debug/, where `cargo build` would have put it.
dir="${CARGO_TARGET_DIR:-target}/debug"
for lib in "$dir"/deps/liboffline_cash_ffi.so "$dir"/deps/liboffline_cash_ffi.dylib; do
    [ -f "$lib" ] && cp -p "$lib" "$dir/"
done
[ -f "$dir/liboffline_cash_ffi.so" ] || [ -f "$dir/liboffline_cash_ffi.dylib" ] \
    || { echo "host-build: no liboffline_cash_ffi in $dir/deps" >&2; exit 1; }
