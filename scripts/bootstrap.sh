#!/usr/bin/env bash
# One command from a fresh clone on Debian 12: install what is missing, build, then either
#   demo  run the example PSK server and client against each other on loopback, or
#   test  run the whole test suite.
# Usage: bash scripts/bootstrap.sh demo|test
set -euo pipefail

cd "$(dirname "$0")/.."
what="${1:-}"
case "$what" in
    demo|test) ;;
    *) echo "usage: bash scripts/bootstrap.sh demo|test" >&2; exit 2 ;;
esac

bash scripts/install-deps.sh
jobs="$(nproc)"

cmake --preset default >/dev/null
cmake --build --preset default --parallel "$jobs"

if [ "$what" = demo ]; then
    exec bash scripts/demo.sh build/default
fi
exec ctest --preset default --parallel "$jobs"
