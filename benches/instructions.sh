#!/usr/bin/env bash
# The server's own CPU instructions per request (valgrind's callgrind), for A/B comparisons on a
# host too noisy for throughput to tell two builds apart: instruction counts do not depend on
# what else the machine is doing. It serves WARM requests, then N and 3N more of one query as one
# caller, and prints (instructions at 3N - instructions at N) / 2N, so start-up cancels out.
# The database must be seeded (e.g. by `cargo bench --bench hub -- --backend postgres://...`).
#   benches/instructions.sh BINARY DATABASE_URL IIN QUERY_JSON_FILE [N]
# e.g.
#   benches/instructions.sh target/release/audit-hub \
#     postgres://postgres@127.0.0.1:5432/audit_hub_bench_s10 870227401851 objects.json 10
# where objects.json is a GraphQL request body: {"query": "...", "variables": {}}.
set -euo pipefail
bin=$1 url=$2 iin=$3 body=$4 n=${5:-10}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
export DATABASE_URL=$url AUDIT_HUB_LOG=error
export AUDIT_HUB_TOKEN_KEY=${AUDIT_HUB_TOKEN_KEY:-instructions-benchmark-signing-key-0123456789}
token=$("$bin" token --iin "$iin" 2>/dev/null | tail -1)
out=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && cp -r "$out" "$KEEP"; rm -rf "$out"' EXIT

count() {
  local requests=$1 port=$((20000 + RANDOM % 20000))
  # Operator tokens (those `token` issues) are accepted only when allowed; the response cache is
  # off so that every request does its work.
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$requests" "$bin" serve \
    --listen "127.0.0.1:$port" --rate-limit 0 --response-cache-mib 0 --allow-operator-tokens \
    >"$out/log.$requests" 2>&1 &
  local server=$!
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.5
  done
  send() {
    curl -sf -o "$out/response" -H "Authorization: Bearer $token" \
      -H 'content-type: application/json' --data @"$body" "http://127.0.0.1:$port/graphql"
  }
  for _ in 1 2 3; do send; done
  for _ in $(seq 1 "$requests"); do send; done
  grep -q '"errors"' "$out/response" && { echo "the query failed: $(head -c 300 "$out/response")" >&2; exit 1; }
  kill -INT "$server"
  wait "$server" || true
  awk '/^(summary|totals):/ { print $2; exit }' "$out/cg.$requests"
}

low=$(count "$n")
high=$(count $((3 * n)))
echo "instructions per request: $(( (high - low) / (2 * n) ))  ($n requests: $low, $((3 * n)): $high)"
