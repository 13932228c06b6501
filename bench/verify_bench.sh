#!/usr/bin/env bash
# verify_bench.sh - verify+parse throughput: libhookd-verify (bench_verify) against Plain's
# TypeScript SDK (verifyPlainWebhook, bench/verify_sdk.mjs), on the same four signed bodies
# (Plain's examples, version 2026-02-27, attempt time now) and the same number of
# verifications per round, in alternating rounds; then the ratio of the medians.
#
#   bench/verify_bench.sh [--build DIR] [--count N] [--rounds R]
#
# Defaults: build, 200 verifications per round (the SDK takes ~80 ms each), 3 rounds.
# The C library is also timed alone with 100,000 per round, where the clock is steadier.
# Needs `make build` and `make setup` (the SDK in tests/compat/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
count=200
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--count N] [--rounds R]" >&2; exit 2 ;;
    esac
done
secret=whsec_bench_0123456789abcdef # bench_verify's
[ -x "$build/bench_verify" ] || { echo "no $build/bench_verify: make build" >&2; exit 1; }
[ -d tests/compat/node_modules/@team-plain ] || { echo "no SDK: make setup" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { sed -n 's/.*median \([0-9.]*\) verifications.*/\1/p'; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
    # fresh bodies each round: the SDK checks the 300 s tolerance against the real clock
    c=$("$build/bench_verify" --count "$count" --rounds 1 --write "$tmp/bodies.jsonl" | rate)
    s=$(node bench/verify_sdk.mjs "$tmp/bodies.jsonl" "$secret" "$count" 1 | rate)
    echo "round $r ($count each): libhookd-verify $c/s, SDK $s/s"
    echo "$c" >>"$tmp/c"
    echo "$s" >>"$tmp/sdk"
done
c=$(median <"$tmp/c")
s=$(median <"$tmp/sdk")
big=$("$build/bench_verify" --count 100000 --rounds "$rounds" | rate)
echo "median libhookd-verify: $c verifications/s ($count per round); $big/s (100000 per round)"
echo "median SDK verifyPlainWebhook: $s verifications/s"
awk -v c="$c" -v s="$s" -v b="$big" 'BEGIN {
    printf "ratio: %.0fx (same count), %.0fx (C with 100000 per round); target >= 1000x\n", c / s, b / s }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
