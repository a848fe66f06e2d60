#!/usr/bin/env bash
# Builds ios/OfflineCashFFI.xcframework (the Rust core as static libraries) and copies the
# generated Swift bindings into ios/Sources/OfflineCash/Generated/. macOS + Xcode only.
#
#   cargo build --release --target …          (offline-cash-bindings, staticlib)
#     aarch64-apple-ios ─────────────────────────────────────────► ios-arm64
#     aarch64-apple-ios-sim ┐ lipo                                 
#     x86_64-apple-ios      ┴──────────────────────────────────────► ios-arm64_x86_64-simulator
#     aarch64-apple-darwin  ┐ lipo  (for `swift test` on a Mac)    
#     x86_64-apple-darwin   ┴──────────────────────────────────────► macos-arm64_x86_64
#   host dylib (UNSTRIPPED) ─► uniffi-bindgen --language swift ─► OfflineCashFFI.swift
#                                                               ├─► OfflineCashFFI.h        ─┐ Headers/
#                                                               └─► OfflineCashFFI.modulemap ┘ (as module.modulemap)
#   xcodebuild -create-xcframework ─► OfflineCashFFI.xcframework (+ the Info.plist Xcode needs)
#
# Usage: ios/build-xcframework.sh [--no-macos]
#   --no-macos  skip the macOS slice (then `swift test` cannot run; iOS builds still work).
#
# The names produced here (OfflineCashFFI.xcframework, the OfflineCashFFI C module, the
# Generated/ directory) are the ones ios/Package.swift uses; ios/scripts/check.py compares them.
set -euo pipefail

if [ "$(uname -s)" != "Darwin" ]; then
    echo "build-xcframework: this script needs macOS with Xcode (xcodebuild, lipo, the iOS SDKs);" >&2
    echo "  this machine is $(uname -s). On Linux only ios/scripts/check.py can run." >&2
    exit 1
fi
for tool in xcodebuild lipo cargo rustup; do
    command -v "$tool" >/dev/null || { echo "build-xcframework: '$tool' not found" >&2; exit 1; }
done

IOS_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$IOS_DIR/.." && pwd)"
cd "$ROOT"

WITH_MACOS=1
if [ "${1:-}" = "--no-macos" ]; then WITH_MACOS=0; fi

LIB=liboffline_cash_ffi.a
FFI_MODULE=OfflineCashFFI            # ffi_module_name in uniffi.toml; binaryTarget name in Package.swift
XCFRAMEWORK="$IOS_DIR/$FFI_MODULE.xcframework"
GENERATED_SWIFT_DIR="$IOS_DIR/Sources/OfflineCash/Generated"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BUILD="$TARGET_DIR/ios-xcframework"  # scratch: generated bindings, lipo output, headers

# Deployment targets must match Package.swift's platforms, or the linker warns (and may fail).
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

IOS_TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
MAC_TARGETS=(aarch64-apple-darwin x86_64-apple-darwin)
TARGETS=("${IOS_TARGETS[@]}")
if [ "$WITH_MACOS" = 1 ]; then TARGETS+=("${MAC_TARGETS[@]}"); fi

echo "== rustup targets"
rustup target add "${TARGETS[@]}"

for target in "${TARGETS[@]}"; do
    echo "== cargo build --release --target $target"
    cargo build -p offline-cash-bindings --lib --release --target "$target"
    [ -f "$TARGET_DIR/$target/release/$LIB" ] || { echo "build-xcframework: no $LIB for $target" >&2; exit 1; }
done

echo "== Swift bindings from the unstripped host library"
# Library mode reads the interface from UNIFFI_META_* symbols: the library must not be
# stripped (the release profile does not strip; never point this at a stripped copy).
cargo build -p offline-cash-bindings --features cli --release
HOST_DYLIB="$TARGET_DIR/release/liboffline_cash_ffi.dylib"
BINDGEN="$TARGET_DIR/release/uniffi-bindgen"
[ -f "$HOST_DYLIB" ] || { echo "build-xcframework: $HOST_DYLIB was not built" >&2; exit 1; }
rm -rf "$BUILD"
mkdir -p "$BUILD/generated" "$BUILD/headers"
"$BINDGEN" generate --library "$HOST_DYLIB" --config uniffi.toml --language swift \
    --no-format --out-dir "$BUILD/generated"
for file in "$FFI_MODULE.swift" "$FFI_MODULE.h" "$FFI_MODULE.modulemap"; do
    [ -f "$BUILD/generated/$file" ] || { echo "build-xcframework: uniffi-bindgen did not write $file" >&2; exit 1; }
done
grep -q "uniffi_offline_cash_ffi_fn_" "$BUILD/generated/$FFI_MODULE.h" \
    || { echo "build-xcframework: the generated header declares no functions (stripped library?)" >&2; exit 1; }

# Headers dir of every slice: the C header and the module map, renamed module.modulemap so
# that clang finds module OfflineCashFFI in the XCFramework's Headers directory.
cp "$BUILD/generated/$FFI_MODULE.h" "$BUILD/headers/"
cp "$BUILD/generated/$FFI_MODULE.modulemap" "$BUILD/headers/module.modulemap"

echo "== lipo: simulator (arm64 + x86_64)"
mkdir -p "$BUILD/ios-simulator" "$BUILD/macos"
lipo -create \
    "$TARGET_DIR/aarch64-apple-ios-sim/release/$LIB" \
    "$TARGET_DIR/x86_64-apple-ios/release/$LIB" \
    -output "$BUILD/ios-simulator/$LIB"
XCF_ARGS=(
    -library "$TARGET_DIR/aarch64-apple-ios/release/$LIB" -headers "$BUILD/headers"
    -library "$BUILD/ios-simulator/$LIB" -headers "$BUILD/headers"
)
if [ "$WITH_MACOS" = 1 ]; then
    echo "== lipo: macOS (arm64 + x86_64)"
    lipo -create \
        "$TARGET_DIR/aarch64-apple-darwin/release/$LIB" \
        "$TARGET_DIR/x86_64-apple-darwin/release/$LIB" \
        -output "$BUILD/macos/$LIB"
    XCF_ARGS+=(-library "$BUILD/macos/$LIB" -headers "$BUILD/headers")
fi

echo "== xcodebuild -create-xcframework"
rm -rf "$XCFRAMEWORK"
xcodebuild -create-xcframework "${XCF_ARGS[@]}" -output "$XCFRAMEWORK"
[ -f "$XCFRAMEWORK/Info.plist" ] || { echo "build-xcframework: no Info.plist in $XCFRAMEWORK" >&2; exit 1; }

echo "== Swift sources"
rm -rf "$GENERATED_SWIFT_DIR"
mkdir -p "$GENERATED_SWIFT_DIR"
cp "$BUILD/generated/$FFI_MODULE.swift" "$GENERATED_SWIFT_DIR/"

echo "== system libraries the static library needs (Package.swift linkerSettings must cover them)"
# Informational: rustc lists the native libraries a staticlib expects the final link to add.
cargo rustc -p offline-cash-bindings --lib --release --target aarch64-apple-ios --crate-type staticlib \
    -- --print native-static-libs 2>&1 | grep -o 'native-static-libs: .*' | sort -u || true

echo "== done"
echo "  $XCFRAMEWORK"
find "$XCFRAMEWORK" -maxdepth 1 -mindepth 1 | sed 's/^/    /'
echo "  $GENERATED_SWIFT_DIR/$FFI_MODULE.swift"
echo "Next: cd ios && swift build   (and swift test on a Mac; see ios/README.md)"
