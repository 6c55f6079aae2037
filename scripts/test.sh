#!/usr/bin/env bash
# Build pgorm and run the whole test suite against a real PostgreSQL.
#
#   scripts/test.sh               normal build in build/
#   scripts/test.sh --sanitize    ASan + UBSan build in build-asan/
#   scripts/test.sh --valgrind    every test under valgrind, in build-valgrind/
#
# A throwaway PostgreSQL cluster is started for the tests (and stopped after)
# unless DATABASE_URL is set. Extra arguments after -- go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
valgrind=OFF
builddir=build
while [ "$#" -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON; builddir=build-asan; shift ;;
    --valgrind) valgrind=ON; builddir=build-valgrind; shift ;;
    --) shift; break ;;
    *) echo "usage: scripts/test.sh [--sanitize|--valgrind] [-- ctest args]" >&2; exit 1 ;;
  esac
done

if [ "$valgrind" = ON ]; then scripts/deps.sh valgrind; else scripts/deps.sh; fi
cmake -G Ninja -S . -B "$builddir" -DPGORM_SANITIZE="$sanitize" -DPGORM_VALGRIND="$valgrind" \
  >/dev/null
ninja -C "$builddir"
if [ "$sanitize" = ON ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
ctest --test-dir "$builddir" --output-on-failure "$@"
