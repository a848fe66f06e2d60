#!/usr/bin/env bash
# The Android library and the sample on the host JVM under Robolectric, as JUnit tests run by
# Maven Surefire, plus a compile of the instrumented (androidTest) sources. No Android SDK, no
# Gradle, no emulator. Run by scripts/test-all.sh.
#
#   setup-jvm-tools.sh (kotlinc) ─┐
#   gen-bindings.sh (host cdylib + Kotlin bindings) ─┤
#   mvn: the test classpath of android/host-tests/pom.xml (Robolectric 4.14.1, JUnit 4,
#        android-all 35), the SDK 35 android-all-instrumented jar (Robolectric offline), the
#        androidx.test AARs (androidTest compile only) ─┤
#     ─► kotlinc library + bindings ─► kotlinc sample ─► kotlinc tests ─► mvn surefire:test
#     ─► kotlinc androidTest (compile only)
#
# Downloads are cached under $HOME/.cache/offline-cash/ (Maven repository, Robolectric's SDK jar,
# AARs). Test reports: $CARGO_TARGET_DIR/android-robolectric/surefire-reports.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROBOLECTRIC_SDK="org.robolectric:android-all-instrumented:15-robolectric-12650502-i7"
ANDROIDX_TEST=(androidx.test:runner:1.6.2 androidx.test.ext:junit:1.2.1 androidx.test:core:1.6.1 androidx.test:monitor:1.7.2)
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

CACHE="${OC_CACHE_DIR:-$HOME/.cache/offline-cash}"
M2="$CACHE/m2"
SDK_DIR="$CACHE/robolectric-deps"
AAR_DIR="$CACHE/androidx-test"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT="$(mkdir -p "$TARGET/android-robolectric" && cd "$TARGET/android-robolectric" && pwd)"
LIB_DIR="$(cd "$TARGET/debug" 2>/dev/null && pwd || echo "$PWD/$TARGET/debug")"
POM=android/host-tests/pom.xml
MVN=(mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2")
SRC=android/offlinecash/src
SAMPLE=android/sample/src
GENERATED=bindings/generated/kotlin/org/offlinecash

echo "== android: host JVM tools and bindings"
./scripts/setup-jvm-tools.sh
if [ "${OFFLINE_CASH_SKIP_GEN:-0}" != "1" ]; then
    ./scripts/gen-bindings.sh >/dev/null
fi
# The issuer the wallet tests start on 127.0.0.1 (built by `cargo test` in test-all.sh already).
./scripts/host-build.sh

echo "== android: Maven Central downloads (cached in $CACHE)"
mkdir -p "$SDK_DIR" "$AAR_DIR" "$OUT"
maven() { # log-name args...
    local log="$OUT/mvn-$1.log"
    shift
    if ! "${MVN[@]}" "$@" >"$log" 2>&1; then
        cat "$log" >&2
        exit 1
    fi
}
maven classpath -f "$POM" dependency:build-classpath -Dmdep.outputFile="$OUT/maven.classpath"
sdk_version="${ROBOLECTRIC_SDK#*:*:}"
if [ ! -s "$SDK_DIR/android-all-instrumented-$sdk_version.jar" ]; then
    echo "android: fetching $ROBOLECTRIC_SDK (~200 MB, once)"
    maven sdk "$DEPENDENCY_PLUGIN:copy" -Dartifact="$ROBOLECTRIC_SDK" -DoutputDirectory="$SDK_DIR"
fi
ANDROIDX_JARS=""
for coordinate in "${ANDROIDX_TEST[@]}"; do
    IFS=: read -r group artifact version <<<"$coordinate"
    jar="$AAR_DIR/$group-$artifact-$version.jar"
    if [ ! -s "$jar" ]; then
        # Their POMs omit <type>aar</type>: fetch each AAR alone and take its classes.jar.
        maven aar "$DEPENDENCY_PLUGIN:copy" -Dartifact="$coordinate:aar" -Dtransitive=false -DoutputDirectory="$AAR_DIR"
        python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("classes.jar"))' \
            "$AAR_DIR/$artifact-$version.aar" >"$jar.tmp"
        mv "$jar.tmp" "$jar"
    fi
    ANDROIDX_JARS="$ANDROIDX_JARS:$jar"
done
ANDROIDX_JARS="${ANDROIDX_JARS#:}"
# Kotlin reads jars only: the AARs Robolectric's POM lists are replaced by their classes.jar.
DEPS="$(tr ':' '\n' <"$OUT/maven.classpath" | grep -v '\.aar$' | paste -sd: -)"

kotlinc() { # out-dir args...
    local out="$1"
    shift
    rm -rf "$out"
    mkdir -p "$out"
    .tools/kotlinc -nowarn -jvm-target 17 -d "$out" "$@"
}

echo "== android: compile the library (and the bindings it carries) against android-all"
kotlinc "$OUT/classes" -classpath "$DEPS" $(find "$SRC/main/kotlin" -name '*.kt') "$GENERATED"/*.kt

echo "== android: compile the sample app against the library"
kotlinc "$OUT/sample-classes" -classpath "$OUT/classes:$DEPS" $(find "$SAMPLE/main/kotlin" -name '*.kt')

echo "== android: compile the Robolectric tests"
kotlinc "$OUT/test-classes" -Xfriend-paths="$OUT/classes" -classpath "$OUT/classes:$OUT/sample-classes:$DEPS" \
    $(find "$SRC/sharedTest/kotlin" "$SRC/test/kotlin" "$SAMPLE/test/kotlin" -name '*.kt')
# Test resources (robolectric.properties: SDK 35), as Gradle would put them.
cp -R "$SRC/test/resources/." "$SAMPLE/test/resources/." "$OUT/test-classes/"

echo "== android: run them (Maven Surefire, Robolectric offline, SDK 35)"
# Surefire's own summary ("Tests run: …") is the closing line; it fails the run on a failure.
# The sample's classes and androidx.test's monitor (Robolectric's instrumentation registry)
# join the test classpath.
mvn -B -Dstyle.color=never -Dmaven.repo.local="$M2" -f "$POM" org.apache.maven.plugins:maven-surefire-plugin:3.5.2:test \
    -Doc.build.dir="$OUT/maven" -Doc.reports="$OUT/surefire-reports" \
    -Doc.classes="$OUT/classes" -Doc.test.classes="$OUT/test-classes" \
    -Dmaven.test.additionalClasspath="$OUT/sample-classes,$(echo "$ANDROIDX_JARS" | tr ':' ',')" \
    -Doc.robolectric.deps="$SDK_DIR" -Doc.jna.library.path="$LIB_DIR" \
    -Doc.issuer="$LIB_DIR/offline-cash-issuer" -Doc.android.dir="$PWD/android" \
    | grep -v -E '^\[INFO\] *$|^\[INFO\] -+$'

echo "== android: compile the instrumented tests (androidTest) against androidx.test"
kotlinc "$OUT/android-test-classes" -Xfriend-paths="$OUT/classes" -classpath "$OUT/classes:$ANDROIDX_JARS:$DEPS" \
    $(find "$SRC/sharedTest/kotlin" "$SRC/androidTest/kotlin" -name '*.kt')
echo "android: androidTest compiled ($(find "$OUT/android-test-classes" -name '*Test.class' | wc -l) test classes)"
