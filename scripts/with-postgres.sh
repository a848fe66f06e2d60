#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster on 127.0.0.1 and its URL in
# OC_TEST_PG_URL; the cluster (its own temp directory) is stopped and removed on exit.
#
#   scripts/with-postgres.sh cargo test -p offline-cash-issuer --all-features --test store_conformance
#
# Finds initdb/pg_ctl on PATH or in /usr/lib/postgresql/15/bin; installs Debian's
# postgresql-15 with apt-get only where neither exists. PostgreSQL refuses to run as root, so
# as root the cluster runs as the user `nobody` (the command itself runs as the caller).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

find_bin() {
    if command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    elif [ -x "/usr/lib/postgresql/15/bin/$1" ]; then
        echo "/usr/lib/postgresql/15/bin/$1"
    fi
}

INITDB=$(find_bin initdb)
if [ -z "$INITDB" ]; then
    echo "== installing postgresql-15 from Debian" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql-15
    INITDB=$(find_bin initdb)
fi
PG_CTL=$(find_bin pg_ctl)
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
    echo "no initdb/pg_ctl found, even after installing postgresql-15" >&2
    exit 1
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/oc-pg.XXXXXX")
AS=()
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$DIR"
    AS=(runuser -u nobody --)
fi

# A free port: ask the kernel for one. PostgreSQL cannot listen on port 0 and say which it got,
# so another program may take the port before the server binds it: then start again on another.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cleanup() {
    "${AS[@]}" "$PG_CTL" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${AS[@]}" "$INITDB" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
    { cat "$DIR/initdb.log" >&2; exit 1; }
# A test cluster: no fsync (it is thrown away), the socket in its own directory. With
# OC_PG_DURABLE=1 (benchmarks) it keeps PostgreSQL's durable defaults: fsync, synchronous
# commit and full-page writes on, as a production issuer would run.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${OC_PG_DURABLE:-0}" = 1 ] && DURABILITY=""
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    if "${AS[@]}" "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR $DURABILITY -c max_connections=100" \
        start >/dev/null; then
        break
    fi
    if [ "$attempt" = 5 ] || ! grep -q "Address already in use" "$DIR/server.log"; then
        cat "$DIR/server.log" >&2
        exit 1
    fi
    echo "== PostgreSQL: port $PORT was taken, another" >&2
done

export OC_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "== PostgreSQL at $OC_TEST_PG_URL" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
