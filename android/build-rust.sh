#!/usr/bin/env bash
# Builds the Rust core's FFI library for Android and the Kotlin bindings the library module
# compiles, so that `./gradlew assemble` finds both. Run from anywhere; cannot run on the CI
# host (no Android NDK there).
#
#   cargo ndk (NDK clang, 16 KB pages) ──► target/<triple>/release/liboffline_cash_ffi.so
#        └─► android/offlinecash/src/main/jniLibs/<abi>/liboffline_cash_ffi.so  (git-ignored)
#   scripts/gen-bindings.sh (UNSTRIPPED host library) ──► bindings/generated/kotlin/ (git-ignored)
#
# Needs: rustup, cargo-ndk (`cargo install cargo-ndk`), ANDROID_NDK_HOME (NDK r27 or later).
# Usage: android/build-rust.sh [--debug]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."

ABIS=(arm64-v8a armeabi-v7a x86_64)
TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
# The minSdk of the library (android/offlinecash/build.gradle.kts): NDK clang targets it.
MIN_SDK=26
JNI_LIBS=android/offlinecash/src/main/jniLibs

PROFILE=release
PROFILE_FLAG=(--release)
if [ "${1:-}" = "--debug" ]; then
    PROFILE=debug
    PROFILE_FLAG=()
fi

if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -d "${ANDROID_NDK_HOME}" ]; then
    echo "build-rust: ANDROID_NDK_HOME is not set or not a directory." >&2
    echo "  Install the NDK (Android Studio > SDK Manager > NDK, or sdkmanager 'ndk;27.2.12479018')" >&2
    echo "  and export ANDROID_NDK_HOME=\$ANDROID_HOME/ndk/<version>." >&2
    exit 1
fi
command -v cargo-ndk >/dev/null || {
    echo "build-rust: cargo-ndk not found: cargo install cargo-ndk" >&2
    exit 1
}
rustup target add "${TARGETS[@]}"

# 16 KB page size: Android 15+ devices may use 16 KB pages, and Google Play requires
# 16 KB-aligned native libraries for apps targeting Android 15+. NDK r27 still defaults to
# 4 KB alignment for some targets, so ask the linker explicitly.
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384"

echo "== cross-compiling offline-cash-bindings ($PROFILE) for ${ABIS[*]}"
ndk_args=()
for abi in "${ABIS[@]}"; do ndk_args+=(-t "$abi"); done
# cargo-ndk copies each library to $JNI_LIBS/<abi>/ and strips it there (the copy that ships
# in the APK); the library under target/ keeps its symbols.
cargo ndk "${ndk_args[@]}" --platform "$MIN_SDK" -o "$JNI_LIBS" \
    build -p offline-cash-bindings "${PROFILE_FLAG[@]}"

echo "== generating the Kotlin bindings from the UNSTRIPPED host library"
# uniffi-bindgen reads the interface from UNIFFI_META_* symbols, which stripping removes; the
# host build is never stripped. Same uniffi.toml as the host tests (no `android = true`: that
# option makes the generated code import androidx.annotation, and this library takes no
# androidx dependency; the default cleaner falls back to JNA's below API 33).
./scripts/gen-bindings.sh

for abi in "${ABIS[@]}"; do
    lib="$JNI_LIBS/$abi/liboffline_cash_ffi.so"
    [ -s "$lib" ] || { echo "build-rust: $lib missing" >&2; exit 1; }
    printf '  %-60s %8s bytes\n' "$lib" "$(wc -c <"$lib")"
done
echo "build-rust: done; now (cd android && ./gradlew assemble)"
