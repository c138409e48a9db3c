#!/usr/bin/env bash
# Runs the load benchmark (benches/hub.rs) on SQLite and on PostgreSQL with the same settings and
# prints both reports, one after the other.
#   benches/run.sh [SCALE] [CONCURRENCY] [SECONDS]     (defaults: 50 16 20)
# PostgreSQL is taken from AUDIT_HUB_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-50}
concurrency=${2:-16}
seconds=${3:-20}
pg=${AUDIT_HUB_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
for backend in sqlite "$pg"; do
  cargo bench --bench hub -- --backend "$backend" --scale "$scale" \
    --concurrency "$concurrency" --seconds "$seconds"
done
