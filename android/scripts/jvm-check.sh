#!/usr/bin/env bash
# Compiles the Android library's Kotlin sources against the real Android framework classes
# (Robolectric's `android-all` jar from Maven Central: AOSP's framework compiled for the JVM)
# and runs the host scenarios on the JVM against the host build of the Rust core: a real
# OfflineCashHceService answering a real ReaderSession, tears, the AID XML. No Android SDK,
# no Gradle, no emulator. Run by scripts/test-all.sh.
#
#   setup-jvm-tools.sh (kotlinc, JNA, coroutines) ─┐
#   gen-bindings.sh (host cdylib + Kotlin) ────────┼─► kotlinc library ─► kotlinc host tests ─► java
#   mvn dependency:copy android-all ───────────────┘
set -euo pipefail
cd "$(dirname "$0")/../.."

# Android 15 (API 35, the compileSdk) framework, as Robolectric publishes it. Plain, not
# "-instrumented": we run the classes as they are, without Robolectric's shadows.
ANDROID_ALL="org.robolectric:android-all:15-robolectric-12650502"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

TOOLS="$PWD/.tools"
LIB_DIR="${CARGO_TARGET_DIR:-target}/debug"
OUT="${CARGO_TARGET_DIR:-target}/android-jvm"
SRC=android/offlinecash/src

echo "== android: host JVM tools and bindings"
./scripts/setup-jvm-tools.sh
if [ "${OFFLINE_CASH_SKIP_GEN:-0}" != "1" ]; then
    ./scripts/gen-bindings.sh >/dev/null
fi
DEPS="$(cat "$TOOLS/classpath")"

version="${ANDROID_ALL##*:}"
ANDROID_JAR="$TOOLS/android/android-all-$version.jar"
if [ ! -s "$ANDROID_JAR" ]; then
    echo "android: fetching $ANDROID_ALL from Maven Central (~180 MB, once)"
    mkdir -p "$TOOLS/android"
    if ! mvn -B -Dstyle.color=never -Dmaven.repo.local="$TOOLS/m2" "$DEPENDENCY_PLUGIN:copy" \
        -Dartifact="$ANDROID_ALL" -DoutputDirectory="$TOOLS/android" >"$TOOLS/mvn-android.log" 2>&1; then
        cat "$TOOLS/mvn-android.log" >&2
        exit 1
    fi
fi
[ -s "$ANDROID_JAR" ] || { echo "android: $ANDROID_JAR missing after download" >&2; exit 1; }

GENERATED=bindings/generated/kotlin/org/offlinecash
# The issuer binary the wallet scenarios start on 127.0.0.1 (built by `cargo test` in
# test-all.sh already; a no-op then).
cargo build -q -p offline-cash-issuer
mkdir -p "$OUT"
echo "== android: compile the library against android-all ($version)"
# The library jar holds the generated bindings too, as the AAR does.
.tools/kotlinc -nowarn -classpath "$DEPS:$ANDROID_JAR" -d "$OUT/offlinecash.jar" \
    $(find "$SRC/main/kotlin" -name '*.kt') "$GENERATED"/*.kt

echo "== android: compile the host scenarios (shared with the instrumented tests)"
# The runner is the bindings tests' own (bindings/tests/kotlin/TestRunner.kt), not a copy.
.tools/kotlinc -nowarn -include-runtime -Xfriend-paths="$OUT/offlinecash.jar" \
    -classpath "$OUT/offlinecash.jar:$DEPS:$ANDROID_JAR" -d "$OUT/host-tests.jar" \
    $(find "$SRC/sharedTest/kotlin" "$SRC/hostTest/kotlin" -name '*.kt') bindings/tests/kotlin/TestRunner.kt

echo "== android: run the host scenarios"
java -Djna.library.path="$LIB_DIR" \
    -Dofflinecash.apduservice="$SRC/main/res/xml/apduservice.xml" \
    -Dofflinecash.manifest="$SRC/main/AndroidManifest.xml" \
    -Dofflinecash.issuer="${CARGO_TARGET_DIR:-target}/debug/offline-cash-issuer" \
    -classpath "$OUT/host-tests.jar:$OUT/offlinecash.jar:$DEPS:$ANDROID_JAR" \
    org.offlinecash.android.host.HostChecksKt
