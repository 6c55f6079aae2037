#!/usr/bin/env bash
# Build pgorm and run the whole test suite against a real PostgreSQL.
#
#   scripts/test.sh               normal build in build/
#   scripts/test.sh --sanitize    ASan + UBSan build in build-asan/
#   scripts/test.sh --valgrind    every test under valgrind, in build-valgrind/
#   scripts/test.sh --pgbouncer   the suite again, pgorm's connections through
#                                 PgBouncer in transaction pool mode (in build/)
#
# A throwaway PostgreSQL cluster is started for the tests (and stopped after)
# unless DATABASE_URL is set. Extra arguments after -- go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
valgrind=OFF
pgbouncer=
builddir=build
while [ "$#" -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON; builddir=build-asan; shift ;;
    --valgrind) valgrind=ON; builddir=build-valgrind; shift ;;
    --pgbouncer) pgbouncer=1; shift ;;
    --) shift; break ;;
    *) echo "usage: scripts/test.sh [--sanitize|--valgrind|--pgbouncer] [-- ctest args]" >&2
       exit 1 ;;
  esac
done

extra=()
[ "$valgrind" = ON ] && extra+=(valgrind)
if [ -n "$pgbouncer" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "scripts/test.sh --pgbouncer runs its own cluster behind PgBouncer: unset DATABASE_URL" >&2
    exit 1
  fi
  extra+=(pgbouncer)
  export PGORM_PGBOUNCER=1
fi
scripts/deps.sh "${extra[@]}"
cmake -G Ninja -S . -B "$builddir" -DPGORM_SANITIZE="$sanitize" -DPGORM_VALGRIND="$valgrind" \
  >/dev/null
ninja -C "$builddir"
if [ "$sanitize" = ON ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
ctest --test-dir "$builddir" --output-on-failure "$@"
