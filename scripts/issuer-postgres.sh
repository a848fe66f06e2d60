#!/usr/bin/env bash
# The issuer on PostgreSQL: the storage conformance suite and every HTTP test of the issuer
# (issuer/tests/*.rs), each test issuer on a fresh database of one throwaway PostgreSQL 15
# cluster (scripts/with-postgres.sh; issuer/tests/common/backend.rs reads OC_TEST_BACKEND).
# Tests that read the SQLite file itself stay on SQLite.
#
#   scripts/issuer-postgres.sh [extra cargo test arguments, e.g. --test settlement]
set -euo pipefail
cd "$(dirname "$0")/.."
export OC_TEST_BACKEND=postgres
exec ./scripts/with-postgres.sh cargo test -p offline-cash-issuer --all-features "$@"
