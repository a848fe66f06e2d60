#!/usr/bin/env bash
# Installs what the Kotlin binding tests need to run on the host JVM, under .tools/ (ignored by
# git), and prints the environment to use them. Idempotent: a second run only checks.
#
#   .tools/kotlin/  kotlinc, from the npm package `kotlin-compiler` (no SDKMAN, no Android SDK)
#   .tools/jars/    JNA (UniFFI's Kotlin bindings call the native library through it) and
#                   kotlinx-coroutines-core-jvm (UniFFI's generated code for async functions),
#                   from Maven Central through `mvn dependency:copy`
#   .tools/classpath  those jars as a classpath
#   .tools/kotlinc    a link to the compiler's launcher
#
# Needs: a JDK (17+), Maven, Node/npm. JUnit and the tests' own jars come from the POMs of
# bindings/tests and android/host-tests (scripts/test-bindings.sh, android/scripts/robolectric-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Exact versions. JNA: UniFFI's manual requires 5.12.0 or later; 5.13.0 is what UniFFI's own
# CI image tests with (Android apps need 5.17+ for 16 KB pages; that is the Android build's
# choice, not this host setup's). Coroutines: UniFFI's manual requires 1.6 or later; used only
# if the compiler distribution does not ship it.
KOTLIN_COMPILER_VERSION="2.4.20"
JNA_VERSION="5.13.0"
COROUTINES_VERSION="1.10.2"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

TOOLS="$PWD/.tools"
JARS="$TOOLS/jars"
mkdir -p "$JARS"

for tool in java mvn npm; do
    command -v "$tool" >/dev/null || { echo "setup-jvm-tools: '$tool' not found on PATH" >&2; exit 1; }
done

# --- kotlinc -------------------------------------------------------------------------------
KOTLIN_PREFIX="$TOOLS/kotlin"
installed_kotlin=""
if [ -f "$KOTLIN_PREFIX/node_modules/kotlin-compiler/package.json" ]; then
    installed_kotlin="$(node -p "require('$KOTLIN_PREFIX/node_modules/kotlin-compiler/package.json').version")"
fi
if [ "$installed_kotlin" != "$KOTLIN_COMPILER_VERSION" ]; then
    echo "setup-jvm-tools: installing kotlin-compiler@$KOTLIN_COMPILER_VERSION from npm"
    npm install --silent --no-audit --no-fund --prefix "$KOTLIN_PREFIX" "kotlin-compiler@$KOTLIN_COMPILER_VERSION"
fi
# The package ships the compiler distribution; find its JVM launcher (bin/kotlinc).
KOTLINC="$(find "$KOTLIN_PREFIX/node_modules/kotlin-compiler" -path '*/bin/kotlinc' -type f | head -n 1)"
[ -n "$KOTLINC" ] || { echo "setup-jvm-tools: no bin/kotlinc inside the kotlin-compiler package" >&2; exit 1; }
chmod +x "$KOTLINC" "$(dirname "$KOTLINC")"/* 2>/dev/null || true
ln -sf "$KOTLINC" "$TOOLS/kotlinc"

# --- jars from Maven Central ----------------------------------------------------------------
fetch_jar() { # groupId artifactId version
    local jar="$JARS/$2-$3.jar"
    if [ ! -s "$jar" ]; then
        echo "setup-jvm-tools: fetching $1:$2:$3 from Maven Central"
        # Maven's local repository is kept under .tools/ too, so deleting .tools/ is a clean slate.
        if ! mvn -B -Dstyle.color=never -Dmaven.repo.local="$TOOLS/m2" "$DEPENDENCY_PLUGIN:copy" \
            -Dartifact="$1:$2:$3" -DoutputDirectory="$JARS" -Dmdep.overWriteReleases=true >"$TOOLS/mvn.log" 2>&1; then
            cat "$TOOLS/mvn.log" >&2
            exit 1
        fi
    fi
    [ -s "$jar" ] || { echo "setup-jvm-tools: $jar missing after download" >&2; exit 1; }
}
fetch_jar net.java.dev.jna jna "$JNA_VERSION"
# The compiler distribution ships kotlinx-coroutines-core-jvm (it uses it itself); take that one
# when present, else the pinned release from Maven Central.
SHIPPED_COROUTINES="$(dirname "$(dirname "$KOTLINC")")/lib/kotlinx-coroutines-core-jvm.jar"
if [ -s "$SHIPPED_COROUTINES" ]; then
    ln -sf "$SHIPPED_COROUTINES" "$JARS/kotlinx-coroutines-core-jvm.jar"
else
    fetch_jar org.jetbrains.kotlinx kotlinx-coroutines-core-jvm "$COROUTINES_VERSION"
fi

# The runtime classpath of the generated Kotlin, for scripts/test-bindings.sh.
echo "$JARS/jna-$JNA_VERSION.jar:$JARS/kotlinx-coroutines-core-jvm$( [ -L "$JARS/kotlinx-coroutines-core-jvm.jar" ] || echo "-$COROUTINES_VERSION").jar" \
    >"$TOOLS/classpath"

echo "setup-jvm-tools: kotlinc $("$KOTLINC" -version 2>&1 | sed -n 's/.*kotlinc-jvm \([^ ]*\).*/\1/p')," \
    "jars: $(cd "$JARS" && ls -- *.jar | tr '\n' ' ')"
