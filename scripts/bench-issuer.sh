#!/usr/bin/env bash
# The issuer benchmarks of docs/PERFORMANCE.md "Issuer at scale", in one run:
#   1. settlement throughput against the crypto-only limit measured in the same run
#      (`offline-cash-issuer bench`): SQLite and PostgreSQL, one and two nodes, one and two
#      batches in flight per node, batches of 100 and 1,000 links;
#      and the same on one node after OC_BENCH_HISTORY links (default 100,000) were settled
#      (`bench --history`: an issuer whose tables are not empty);
#   2. the HTTP API under many concurrent wallets from a second process
#      (`offline-cash-issuer load` against `serve` processes): one node on SQLite, one and two
#      nodes on PostgreSQL.
# PostgreSQL is a throwaway cluster with its durable defaults (scripts/with-postgres.sh,
# OC_PG_DURABLE=1). Reports go to OUT_DIR (default target/bench-issuer), one file each, and
# to stdout. Not part of CI (figures are not assertions); the load command's correctness is
# tested by issuer/tests/load_command.rs.
#
#   scripts/bench-issuer.sh [OUT_DIR]
#   OC_BENCH_SECONDS=20 OC_BENCH_WALLETS=500 OC_BENCH_BATCHES=5 scripts/bench-issuer.sh
#   OC_BENCH_BIN=target/release/offline-cash-issuer scripts/bench-issuer.sh   (no build)
set -euo pipefail
cd "$(dirname "$0")/.."

BATCHES=${OC_BENCH_BATCHES:-5}
SECONDS_=${OC_BENCH_SECONDS:-20}
WALLETS=${OC_BENCH_WALLETS:-500}
CONCURRENCY=${OC_BENCH_CONCURRENCY:-32}
HISTORY=${OC_BENCH_HISTORY:-100000}

if [ "${1:-}" = "--inside-postgres" ]; then
    OUT=$2
    BIN=$3
else
    OUT=${1:-target/bench-issuer}
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    if [ -n "${OC_BENCH_BIN:-}" ]; then
        BIN=$OC_BENCH_BIN   # a binary built before (with --features postgres)
    else
        cargo build --release -q -p offline-cash-issuer --features postgres
        BIN=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/offline-cash-issuer
    fi
fi

PIDS=()
stop_nodes() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    PIDS=()
}
trap stop_nodes EXIT

# start_node STORE_OPTION STORE_VALUE KEY_FILE: starts `serve` on a port the kernel picks and
# appends its URL to URLS (comma-separated) once it answers. It runs in this shell, not in a
# $(…) subshell, so that PIDS keeps the node and stop_nodes stops it.
URLS=""
start_node() {
    local file
    file=$(mktemp -u "${TMPDIR:-/tmp}/oc-bench-node.XXXXXX")
    RUST_LOG=error "$BIN" serve "$1" "$2" --key-file "$3" --listen 127.0.0.1:0 --url-file "$file" \
        --admin-token bench-admin >/dev/null 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 1 300); do
        if [ -s "$file" ] && curl -fs "$(cat "$file")/health" >/dev/null 2>&1; then
            URLS="${URLS:+$URLS,}$(cat "$file")"
            rm -f "$file"
            return
        fi
        sleep 0.1
    done
    echo "serve did not start" >&2
    exit 1
}

# load_run NAME URLS: the load command against running nodes.
load_run() {
    echo "== load: $1 (uptime: $(uptime))"
    "$BIN" load --url "$2" --admin-token bench-admin --wallets "$WALLETS" --concurrency "$CONCURRENCY" \
        --seconds "$SECONDS_" --out "$OUT/load-$1.md"
}

if [ "${1:-}" != "--inside-postgres" ]; then
    for nodes in 1 2; do
        for flight in 1 2; do
            echo "== settlement: sqlite, $nodes node(s), $flight in flight per node (uptime: $(uptime))"
            RUST_LOG=warn "$BIN" bench --sizes 100,1000 --batches "$BATCHES" --refresh-notes 0 --nodes "$nodes" \
                --in-flight "$flight" --out "$OUT/settle-sqlite-$nodes-$flight.md"
        done
    done
    for flight in 1 2; do
        echo "== settlement: sqlite, 1 node, $flight in flight, after $HISTORY links (uptime: $(uptime))"
        RUST_LOG=warn "$BIN" bench --sizes 1000 --batches "$BATCHES" --refresh-notes 0 --history "$HISTORY" \
            --in-flight "$flight" --out "$OUT/settle-sqlite-history-$flight.md"
    done
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/oc-bench-issuer.XXXXXX")
    "$BIN" new-key-file --key-file "$DIR/issuer.keys" >/dev/null
    URLS=""
    start_node --db "$DIR/issuer.db" "$DIR/issuer.keys"
    load_run sqlite-1 "$URLS"
    stop_nodes
    rm -rf "$DIR"
    OC_PG_DURABLE=1 exec ./scripts/with-postgres.sh "$0" --inside-postgres "$OUT" "$BIN"
fi

# Inside the throwaway PostgreSQL cluster (OC_TEST_PG_URL).
for nodes in 1 2; do
    for flight in 1 2; do
        echo "== settlement: postgres, $nodes node(s), $flight in flight per node (uptime: $(uptime))"
        RUST_LOG=warn "$BIN" bench --sizes 100,1000 --batches "$BATCHES" --refresh-notes 0 --nodes "$nodes" \
            --in-flight "$flight" --database-url "$OC_TEST_PG_URL" --out "$OUT/settle-postgres-$nodes-$flight.md"
    done
done
for flight in 1 2; do
    echo "== settlement: postgres, 1 node, $flight in flight, after $HISTORY links (uptime: $(uptime))"
    RUST_LOG=warn "$BIN" bench --sizes 1000 --batches "$BATCHES" --refresh-notes 0 --history "$HISTORY" \
        --in-flight "$flight" --database-url "$OC_TEST_PG_URL" --out "$OUT/settle-postgres-history-$flight.md"
done
BASE=${OC_TEST_PG_URL%/*}
for nodes in 1 2; do
    DB="oc_load_$nodes"
    psql -q "$OC_TEST_PG_URL" -c "CREATE DATABASE $DB"
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/oc-bench-issuer.XXXXXX")
    "$BIN" new-key-file --key-file "$DIR/issuer.keys" >/dev/null
    URLS=""
    start_node --database-url "$BASE/$DB" "$DIR/issuer.keys"
    if [ "$nodes" = 2 ]; then
        start_node --database-url "$BASE/$DB" "$DIR/issuer.keys"
    fi
    load_run "postgres-$nodes" "$URLS"
    stop_nodes
    rm -rf "$DIR"
done
