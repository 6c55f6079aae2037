#!/usr/bin/env bash
# Build pgorm and run the bookstore demo. Without DATABASE_URL a throwaway
# local PostgreSQL is started for it and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -G Ninja -S . -B build -DPGORM_TESTS=OFF >/dev/null
ninja -C build bookstore pgorm_cli >/dev/null

state=$(mktemp /tmp/pgorm-demo.XXXXXX)
cleanup() { scripts/pg-cluster.sh stop "$state" >/dev/null 2>&1 || true; rm -f "$state"; }
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/pg-cluster.sh start "$state" >/dev/null
  DATABASE_URL="$(cat "$(cat "$state")/conninfo")"
  export DATABASE_URL
  echo "demo: started a throwaway PostgreSQL ($DATABASE_URL)"
fi
PGORM=build/pgorm build/examples/bookstore/bookstore "$@"
