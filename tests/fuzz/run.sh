#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD (default build-fuzz) for SECONDS
# each (default 60), from its seed corpus tests/fuzz/corpus/<name>/ and with
# its dictionary tests/fuzz/<name>.dict when there is one (<name> is the
# target's name without "fuzz_"). New inputs go to BUILD/corpus/<name>, not
# into the source tree; a crash leaves its input in BUILD/artifacts/ and fails.
# Each target prints one line for docs/RELIABILITY.md:
#   RELIABILITY|fuzz|<target>|runs=N seconds=S crashes=0|ok
#   tests/fuzz/run.sh [BUILD] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
seconds=${2:-60}
shopt -s nullglob
fuzzers=("$build"/fuzz_*)
if [ ${#fuzzers[@]} -eq 0 ]; then
    echo "no fuzz_* targets in $build: run make fuzz" >&2
    exit 1
fi
mkdir -p "$build/artifacts"
# Executions, from libFuzzer's final statistics (-print_final_stats=1).
runs_of() {
    sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1 | grep . || echo 0
}
for bin in "${fuzzers[@]}"; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    target=$(basename "$bin")
    name=${target#fuzz_}
    work="$build/corpus/$name"
    mkdir -p "$work"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
          -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-")
    [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
    seeds=()
    [ -d "tests/fuzz/corpus/$name" ] && seeds+=("tests/fuzz/corpus/$name")
    echo "== $target: ${seconds}s"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin" "${args[@]}" "$work" "${seeds[@]}" 2>"$build/$target.log" || {
        tail -n 60 "$build/$target.log" >&2
        echo "FAIL: $target found a crash (input in $build/artifacts/)" >&2
        echo "RELIABILITY|fuzz|$target|runs=$(runs_of "$build/$target.log") seconds=$seconds crashes=1|FAIL"
        exit 1
    }
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+[[:space:]]+DONE)' \
        "$build/$target.log" || true
    echo "RELIABILITY|fuzz|$target|runs=$(runs_of "$build/$target.log") seconds=$seconds crashes=0|ok"
done
