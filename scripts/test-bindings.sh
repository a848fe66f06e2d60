#!/usr/bin/env bash
# Generates the bindings and runs the Kotlin (host JVM) and Python tests against the host
# cdylib, then checks docs/API.md against the generated Kotlin. Needs Rust, a JDK 17+, Maven,
# Node/npm and Python 3; no Android SDK, no Swift toolchain (the Swift bindings are generated
# but compiled only by the iOS package).
#
#   gen-bindings.sh ──► setup-jvm-tools.sh ──► kotlinc + java (JNA) ──► python3 ──► API.md check
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
    Darwin) LIB_EXT=dylib ;;
    *) LIB_EXT=so ;;
esac
LIB_DIR="${CARGO_TARGET_DIR:-target}/debug"
GEN=bindings/generated

echo "== bindings: generate"
./scripts/gen-bindings.sh

echo "== bindings: host JVM tools"
time_start=$SECONDS
./scripts/setup-jvm-tools.sh
echo "   (tools ready in $((SECONDS - time_start)) s)"

echo "== bindings: Kotlin tests (host JVM, JNA)"
CLASSPATH_DEPS="$(cat .tools/classpath)"
OUT_JAR="${CARGO_TARGET_DIR:-target}/kotlin-tests/offline-cash-bindings-tests.jar"
mkdir -p "$(dirname "$OUT_JAR")"
.tools/kotlinc -nowarn -include-runtime -classpath "$CLASSPATH_DEPS" -d "$OUT_JAR" \
    "$GEN"/kotlin/org/offlinecash/*.kt bindings/tests/kotlin/*.kt
java -Djna.library.path="$LIB_DIR" -classpath "$OUT_JAR:$CLASSPATH_DEPS" org.offlinecash.tests.BindingsTestKt

echo "== bindings: Python smoke test"
# The generated module loads liboffline_cash_ffi from its own directory.
ln -sf "$(cd "$LIB_DIR" && pwd)/liboffline_cash_ffi.$LIB_EXT" "$GEN/python/liboffline_cash_ffi.$LIB_EXT"
python3 bindings/tests/python/smoke.py

echo "== bindings: docs/API.md covers the generated API"
python3 bindings/tests/api_doc_check.py "$GEN"/kotlin/org/offlinecash/offline_cash_ffi.kt docs/API.md
