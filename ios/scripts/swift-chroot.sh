#!/usr/bin/env bash
# Builds (once per machine) and prints the path of a Debian trixie chroot with a Swift toolchain
# from Debian's own packages (swiftlang). Cached under $HOME/.cache/offline-cash/swift-trixie;
# a marker file says the install finished, so an interrupted build is started again.
# Cold: 2 to 6 minutes and about 2.6 GB (debootstrap minbase + swiftlang); warm: instant.
# Needs root (debootstrap, chroot); installs debootstrap from Debian if missing.
set -euo pipefail
CACHE="${OC_CACHE_DIR:-$HOME/.cache/offline-cash}"
ROOT="$CACHE/swift-trixie"
MARK="$ROOT/.offline-cash-ready"
MIRROR="${OC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PKGS=(swiftlang libc6-dev libstdc++-14-dev)

if [ -f "$MARK" ] && [ "$(cat "$MARK")" = "${PKGS[*]}" ]; then
    echo "$ROOT"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "swift-chroot: building the chroot needs root (debootstrap, chroot)" >&2
    exit 2
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "swift-chroot: installing debootstrap" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
fi
mkdir -p "$CACHE"
if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ ! -f "$ROOT/.offline-cash-debootstrapped" ]; then
    echo "swift-chroot: debootstrap trixie into $ROOT (cold build, a few minutes)" >&2
    # Never delete through a bind mount left by an interrupted swift-linux.sh run.
    if grep -q " $ROOT/" /proc/mounts; then
        echo "swift-chroot: something is still mounted under $ROOT; unmount it first" >&2
        exit 1
    fi
    rm -rf --one-file-system "$ROOT"
    debootstrap --variant=minbase trixie "$ROOT" "$MIRROR" >&2
    touch "$ROOT/.offline-cash-debootstrapped"
fi
# /proc is needed by apt and by swift's driver.
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
echo "swift-chroot: apt-get install ${PKGS[*]}" >&2
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends ${PKGS[*]} && apt-get clean" >&2
umount "$ROOT/proc" 2>/dev/null || true
echo "${PKGS[*]}" >"$MARK"
echo "$ROOT"
