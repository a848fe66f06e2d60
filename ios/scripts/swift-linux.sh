#!/usr/bin/env bash
# Compiles and tests the iOS Swift package on Linux: `swift build` and `swift test` in a Debian
# trixie chroot with Debian's Swift 6 toolchain (ios/scripts/swift-chroot.sh, cached under
# $HOME/.cache/offline-cash/), against the host-built liboffline_cash_ffi.so. What compiles
# there: the generated bindings, CoreRoles, WalletFiles, WalletInstallation, CardRespondRetry,
# PresenceWindow and the XCTests (wallet taps through a real issuer, the shell policies); the
# Apple-only shells (CoreNFC, CryptoKit, Keychain, LocalAuthentication) are behind #if
# canImport and compile to nothing (ios/README.md).
#
#   gen-bindings.sh ─► bindings/generated/swift/{OfflineCashFFI.swift,.h,.modulemap}
#     ├─► ios/Sources/OfflineCash/Generated/OfflineCashFFI.swift        (as on a Mac)
#     └─► ios/.linux/OfflineCashFFI/{module.modulemap (+ link), OfflineCashFFI.h}
#   scripts/host-build.sh: offline-cash-issuer (the wallet tests start it, as on a Mac)
#   mount --bind <repo>, <target dir>, /proc, /dev into the chroot at the same paths
#   chroot: swift build, swift test  (scratch: <target dir>/swift-linux)   umount at exit
#
# Needs root (chroot, mount). Cold: the chroot (about 2-6 minutes, 2.6 GB) and a first Swift
# build; warm: a few minutes. OC_SWIFT_SKIP=1 skips with a message (machines without root).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO="$(pwd -P)"

if [ "${OC_SWIFT_SKIP:-0}" = 1 ]; then
    echo "swift-linux: skipped (OC_SWIFT_SKIP=1): no Swift was compiled" >&2
    exit 0
fi
if [ "$(uname -s)" != Linux ]; then
    echo "swift-linux: Linux only; on a Mac run 'cd ios && swift test' after ./build-xcframework.sh" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "swift-linux: needs root (chroot, mount --bind)" >&2
    exit 1
fi

t0=$SECONDS
CHROOT="$(ios/scripts/swift-chroot.sh)"
echo "== swift-linux: toolchain ready in $CHROOT ($((SECONDS - t0)) s)"

./scripts/gen-bindings.sh >/dev/null
./scripts/host-build.sh
mkdir -p "${CARGO_TARGET_DIR:-target}"
TARGET="$(cd "${CARGO_TARGET_DIR:-target}" && pwd -P)"
LIB_DIR="$TARGET/debug"
GEN=bindings/generated/swift
[ -f "$LIB_DIR/liboffline_cash_ffi.so" ] || { echo "swift-linux: no $LIB_DIR/liboffline_cash_ffi.so" >&2; exit 1; }

rm -rf ios/Sources/OfflineCash/Generated ios/.linux
mkdir -p ios/Sources/OfflineCash/Generated ios/.linux/OfflineCashFFI
cp "$GEN/OfflineCashFFI.swift" ios/Sources/OfflineCash/Generated/
cp "$GEN/OfflineCashFFI.h" ios/.linux/OfflineCashFFI/
# The generated module map names the header; add the library so that SwiftPM links it.
cat >ios/.linux/OfflineCashFFI/module.modulemap <<'MAP'
module OfflineCashFFI {
    header "OfflineCashFFI.h"
    link "offline_cash_ffi"
    export *
}
MAP

# Mount points at the same absolute paths inside the chroot, so that #filePath, the target
# symlink and every path the tests compute mean the same thing on both sides.
MOUNTS=()
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT
bind() {
    local src="$1" dst="$CHROOT$1"
    mountpoint -q "$dst" && return 0
    mkdir -p "$dst"
    mount --bind "$src" "$dst"
    MOUNTS+=("$dst")
}
mountpoint -q "$CHROOT/proc" || { mount -t proc proc "$CHROOT/proc"; MOUNTS+=("$CHROOT/proc"); }
bind /dev
bind "$REPO"
case "$TARGET/" in
    "$REPO"/*) ;;
    *) bind "$TARGET" ;;
esac

in_chroot() {
    chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
        LD_LIBRARY_PATH="$LIB_DIR" OFFLINE_CASH_ISSUER_BIN="$TARGET/debug/offline-cash-issuer" \
        sh -c "cd '$REPO/ios' && $*"
}
SWIFT_FLAGS="--scratch-path '$TARGET/swift-linux' -Xlinker -L'$LIB_DIR' -Xlinker -rpath -Xlinker '$LIB_DIR'"
t1=$SECONDS
echo "== swift-linux: swift build"
in_chroot "swift build $SWIFT_FLAGS"
echo "== swift-linux: swift test"
# A hung test must not hang CI: the whole test run is bounded.
in_chroot "timeout -k 10 900 swift test --disable-swift-testing $SWIFT_FLAGS"
echo "== swift-linux: done (Swift build and tests $((SECONDS - t1)) s, total $((SECONDS - t0)) s)"
