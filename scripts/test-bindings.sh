#!/usr/bin/env bash
# Generates the bindings and runs the Kotlin (host JVM) and Python tests against the host
# cdylib, then checks docs/API.md against the generated Kotlin. Needs Rust, a JDK 17+, Maven,
# Node/npm and Python 3; no Android SDK, no Swift toolchain (the Swift bindings are generated
# but compiled only by the iOS package).
#
#   gen-bindings.sh ──► setup-jvm-tools.sh ──► issuer (background, 127.0.0.1:<free port>)
#     ──► kotlinc + Maven Surefire (JUnit 4, JNA) ──► python3 ──► API.md check;
#   the issuer is killed at exit. JUnit and the JNA/coroutines jars of the run come from
#   bindings/tests/pom.xml (Maven Central, cached in $HOME/.cache/offline-cash/m2).
#
# The wallet tests pay between real wallets registered and funded at a real issuer
# (`offline-cash-issuer serve`, fresh database in a temporary directory). Its limits are set
# for the limit tests: per payment 50000, holding 100000. The Kotlin run also measures a tap
# driven from Kotlin against the same tap driven from Rust (line `bench:`; written to
# target/kotlin-tests/bench.txt). OC_BINDINGS_PROFILE=release runs everything against the
# release cdylib instead of the debug one (how the figures in docs/PERFORMANCE.md are taken).
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
    Darwin) LIB_EXT=dylib ;;
    *) LIB_EXT=so ;;
esac
PROFILE="${OC_BINDINGS_PROFILE:-debug}"
LIB_DIR="${CARGO_TARGET_DIR:-target}/$PROFILE"
GEN=bindings/generated

echo "== bindings: generate"
./scripts/gen-bindings.sh
if [ "$PROFILE" != debug ]; then
    echo "== bindings: $PROFILE cdylib"
    cargo build -q -p offline-cash-bindings --profile "$PROFILE"
fi

echo "== bindings: host JVM tools"
time_start=$SECONDS
./scripts/setup-jvm-tools.sh
echo "   (tools ready in $((SECONDS - time_start)) s)"

echo "== bindings: issuer for the wallet tests"
./scripts/host-build.sh
WORK="$(mktemp -d)"
ISSUER_PID=""
cleanup() {
    if [ -n "$ISSUER_PID" ]; then kill "$ISSUER_PID" 2>/dev/null || true; wait "$ISSUER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export OC_ADMIN_TOKEN="test-admin-$RANDOM$RANDOM"
# Port 0 and --url-file: the kernel picks a free port the server already holds (a port probed
# first and passed on could be taken by another process before the server binds it).
"${CARGO_TARGET_DIR:-target}/debug/offline-cash-issuer" serve --db "$WORK/issuer.db" --listen 127.0.0.1:0 \
    --url-file "$WORK/issuer.url" --admin-token "$OC_ADMIN_TOKEN" --per-payment-limit 50000 --holding-limit 100000 \
    >"$WORK/issuer.log" 2>&1 &
ISSUER_PID=$!
for _ in $(seq 1 300); do
    [ -s "$WORK/issuer.url" ] && break
    kill -0 "$ISSUER_PID" 2>/dev/null || { cat "$WORK/issuer.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/issuer.url" ] || { echo "issuer wrote no URL" >&2; cat "$WORK/issuer.log" >&2; exit 1; }
OC_ISSUER_URL="$(cat "$WORK/issuer.url")"
export OC_ISSUER_URL
curl -fsS "$OC_ISSUER_URL/health" >/dev/null || { echo "issuer did not answer at $OC_ISSUER_URL" >&2; cat "$WORK/issuer.log" >&2; exit 1; }
echo "   issuer at $OC_ISSUER_URL (pid $ISSUER_PID)"

echo "== bindings: Kotlin tests (host JVM, JNA; JUnit 4 under Maven Surefire)"
OUT="$(mkdir -p "${CARGO_TARGET_DIR:-target}/kotlin-tests" && cd "${CARGO_TARGET_DIR:-target}/kotlin-tests" && pwd)"
M2="${OC_CACHE_DIR:-$HOME/.cache/offline-cash}/m2"
POM=bindings/tests/pom.xml
if ! mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2" -f "$POM" dependency:build-classpath \
    -Dmdep.outputFile="$OUT/maven.classpath" >"$OUT/mvn-classpath.log" 2>&1; then
    cat "$OUT/mvn-classpath.log" >&2
    exit 1
fi
rm -rf "$OUT/test-classes"
.tools/kotlinc -nowarn -jvm-target 17 -classpath "$(cat "$OUT/maven.classpath")" -d "$OUT/test-classes" \
    "$GEN"/kotlin/org/offlinecash/*.kt bindings/tests/kotlin/*.kt
# The forked test JVM inherits OC_ISSUER_URL, OC_ADMIN_TOKEN and OC_BENCH_OUT.
OC_BENCH_OUT="$OUT/bench.txt" mvn -B -Dstyle.color=never -Dmaven.repo.local="$M2" -f "$POM" \
    org.apache.maven.plugins:maven-surefire-plugin:3.5.2:test \
    -Doc.build.dir="$OUT/maven" -Doc.test.classes="$OUT/test-classes" -Doc.reports="$OUT/surefire-reports" \
    -Doc.jna.library.path="$(cd "$LIB_DIR" && pwd)" | grep -v -E '^\[INFO\] *$|^\[INFO\] -+$'

echo "== bindings: Python smoke test"
# The generated module loads liboffline_cash_ffi from its own directory.
ln -sf "$(cd "$LIB_DIR" && pwd)/liboffline_cash_ffi.$LIB_EXT" "$GEN/python/liboffline_cash_ffi.$LIB_EXT"
python3 bindings/tests/python/smoke.py

echo "== bindings: docs/API.md covers the generated API"
python3 bindings/tests/api_doc_check.py "$GEN"/kotlin/org/offlinecash/offline_cash_ffi.kt docs/API.md
