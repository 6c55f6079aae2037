#!/usr/bin/env bash
# Build and run the benchmarks (release build). Without DATABASE_URL a
# throwaway PostgreSQL is started with the server's default durability
# settings (fsync on), as in the measurements of the specification.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -G Ninja -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPGORM_TESTS=OFF >/dev/null
ninja -C build-bench pgorm-bench >/dev/null
state=$(mktemp /tmp/pgorm-bench.XXXXXX)
cleanup() { scripts/pg-cluster.sh stop "$state" >/dev/null 2>&1 || true; rm -f "$state"; }
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  PGORM_CLUSTER_DURABLE=1 scripts/pg-cluster.sh start "$state" >/dev/null
  DATABASE_URL="$(cat "$(cat "$state")/conninfo")"
  export DATABASE_URL
fi
build-bench/bench/pgorm-bench "$@"
