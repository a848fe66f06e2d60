#!/usr/bin/env bash
# The issuer on PostgreSQL: the storage conformance suite and every HTTP test of the issuer
# (issuer/tests/*.rs), each test issuer on a fresh database of one throwaway PostgreSQL 15
# cluster (scripts/with-postgres.sh; issuer/tests/common/backend.rs reads OC_TEST_BACKEND).
# Tests that read the SQLite file itself stay on SQLite.
#
#   scripts/issuer-postgres.sh                      every issuer test file
#   scripts/issuer-postgres.sh --test two_nodes     the ones named
#
# It builds with the workspace's feature set (`--workspace --all-features`, as the main
# `cargo test` step of scripts/test-all.sh), so CI reuses those binaries instead of rebuilding.
# A core test file with the same name as an issuer one (key_rotation, wallet_flows) runs too;
# it ignores OC_TEST_BACKEND.
set -euo pipefail
cd "$(dirname "$0")/.."
export OC_TEST_BACKEND=postgres
if [ "$#" -eq 0 ]; then
    for f in issuer/tests/*.rs; do
        set -- "$@" --test "$(basename "$f" .rs)"
    done
fi
exec ./scripts/with-postgres.sh cargo test --workspace --all-features "$@"
