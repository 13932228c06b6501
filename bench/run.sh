#!/usr/bin/env bash
# Runs every benchmark in turn (make bench). Each prints its own summary and
# JSON line; docs/BENCHMARKS.md records the figures and the commands.
#   bench/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export HOOKD_BUILD=$build
echo "== store: durable upserts/s (issue 2)"
"$build/bench_store"
echo "== HTTP: upsertCustomer over GraphQL (issue 3)"
bench/http_bench.sh
echo "== HTTP: fixed-rate latency right after a burst (issue 3)"
bench/burst_then_rate.sh
echo "== deliveries end to end (issue 4)"
bench/delivery_bench.sh
echo "== retention: deleting old events under load"
bench/retention_bench.sh
if [ -x bench/verify_bench.sh ]; then
    echo "== receiver library vs the SDK's verifier (issue 5)"
    bench/verify_bench.sh
fi
