#!/bin/sh
# `npm run bench` (through scripts/toolchain.sh, which provides Node.js and the dependencies):
# builds every workspace (cached by turbo) unless BENCH_SKIP_BUILD=1, then runs the benchmarks (test/bench/run.ts).
set -eu
# BENCH_SKIP_BUILD=1: the workspaces were just built (say, under a build lock shared with others).
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || turbo run build --output-logs=errors-only >&2
exec node --disable-warning=TimeoutNegativeWarning --disable-warning=ExperimentalWarning test/bench/run.ts "$@"
