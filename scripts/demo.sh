#!/usr/bin/env bash
# Build pgorm and run the bookstore demo. Without DATABASE_URL a throwaway
# local PostgreSQL is started for it and stopped at the end.
#
# The demo: `pgorm migrate` creates the tables from examples/bookstore/
# bookstore.pgorm, the program works with them through the generated code,
# then the schema evolves (bookstore_v2.pgorm adds a column) through
# `pgorm migrate make` and `up`, and is rolled back with `down`. Last, a
# simulated server serves a stream of requests over a pool, each in its own
# transaction (some rolled back, some stopped by a timeout).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -G Ninja -S . -B build >/dev/null
ninja -C build bookstore pool_server pgorm_cli >/dev/null

work=$(mktemp -d /tmp/pgorm-demo.XXXXXX)
cleanup() { scripts/pg-cluster.sh stop "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/pg-cluster.sh start "$work/cluster" >/dev/null
  DATABASE_URL="$(cat "$(cat "$work/cluster")/conninfo")"
  export DATABASE_URL
  echo "demo: started a throwaway PostgreSQL ($DATABASE_URL)"
fi
pgorm=build/pgorm
mig="$work/migrations"
run() { echo; echo "\$ $*"; "$@"; }

echo; echo "== 1. tables from the schema, through a migration"
run $pgorm check examples/bookstore/bookstore.pgorm
run $pgorm migrate make --schema examples/bookstore/bookstore.pgorm --dir "$mig" --name init
run $pgorm migrate up --dir "$mig"

echo; echo "== 2. the program (examples/bookstore/main.c, libuv loop)"
run build/examples/bookstore/bookstore

echo; echo "== 3. the schema evolves: bookstore_v2.pgorm adds Book.stock"
run $pgorm migrate make --schema examples/bookstore/bookstore_v2.pgorm --dir "$mig" --name add_stock
for f in "$mig"/*_add_stock.up.sql "$mig"/*_add_stock.down.sql; do
  echo "--- $(basename "$f")"; grep -v '^--' "$f" | sed '/^$/d'
done
run $pgorm migrate up --dir "$mig"
run $pgorm migrate status --dir "$mig"
run $pgorm migrate down --dir "$mig"
echo; echo "== 4. leave the database as it was: roll back the first migration too"
run $pgorm migrate down --dir "$mig"
run $pgorm migrate status --dir "$mig"
echo; echo "== 5. a server on a pool (examples/server/main.c): each request its own transaction"
run build/examples/server/pool_server
echo; echo "demo: done"
