#!/usr/bin/env bash
# Generates the Kotlin, Swift and Python bindings of the `offline-cash-bindings` crate into
# bindings/generated/{kotlin,swift,python} (ignored by git), from the host cdylib, in UniFFI's
# library mode. Prints what it generated.
#
#   scripts/host-build.sh (debug) or cargo build (--release) ──► target/<profile>/liboffline_cash_ffi.so
#        └─► uniffi-bindgen generate --library <cdylib> --config uniffi.toml ──► bindings/generated/
#
# Usage: scripts/gen-bindings.sh [--release]
#
# The cdylib MUST NOT be stripped: in library mode uniffi-bindgen reads the interface
# description from UNIFFI_META_* symbols in the library's symbol table. A stripped library
# (strip = true in a profile, or `strip` run on it) yields empty bindings. Strip copies that
# ship inside apps, never the one given to the generator.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE_FLAG=()
PROFILE_DIR=debug
if [ "${1:-}" = "--release" ]; then
    PROFILE_FLAG=(--release)
    PROFILE_DIR=release
fi

case "$(uname -s)" in
    Darwin) LIB_EXT=dylib ;;
    *) LIB_EXT=so ;;
esac

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
CDYLIB="$TARGET_DIR/$PROFILE_DIR/liboffline_cash_ffi.$LIB_EXT"
BINDGEN="$TARGET_DIR/$PROFILE_DIR/uniffi-bindgen"
OUT=bindings/generated

echo "== building the host cdylib and uniffi-bindgen ($PROFILE_DIR, unstripped)"
if [ "$PROFILE_DIR" = debug ]; then
    # The debug build is the one `cargo test --workspace --all-features` makes (scripts/host-build.sh):
    # after the test step of scripts/test-all.sh it builds nothing.
    ./scripts/host-build.sh
else
    cargo build -p offline-cash-bindings --features cli "${PROFILE_FLAG[@]}"
fi
[ -f "$CDYLIB" ] || { echo "gen-bindings: $CDYLIB was not built" >&2; exit 1; }

rm -rf "$OUT"
for language in kotlin swift python; do
    # --no-format: the formatters (ktlint, swiftformat) are not installed on a fresh machine.
    "$BINDGEN" generate --library "$CDYLIB" --config uniffi.toml --language "$language" \
        --no-format --out-dir "$OUT/$language"
done

echo "== generated from $CDYLIB:"
find "$OUT" -type f | sort | while read -r file; do
    printf '  %-70s %6s lines\n' "$file" "$(wc -l <"$file")"
done
