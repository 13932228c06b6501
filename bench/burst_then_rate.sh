#!/usr/bin/env bash
# burst_then_rate.sh - upsertCustomer latency at a fixed rate right after a burst (issue 3).
#
# Starts a fresh durable `hookd serve` (temp dir, kernel-picked loopback port), runs
# upsertCustomer as fast as possible for --burst seconds (64 connections, every email new),
# then twice at --rate for --duration seconds, each with its per-second timeline
# (http_load --timeline: responses, the slowest, and how many took over 10 ms). The burst
# leaves what a real one would: a larger database and a WAL the checkpointer is behind on.
#
#   bench/burst_then_rate.sh [--burst S] [--rate R] [--duration S]
#
# Defaults: 20 s, 5000/s, 10 s. HOOKD_BUILD names the build directory (default: build/).
# Exit status: 0 when no request failed, 1 otherwise, 2 on bad arguments.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${HOOKD_BUILD:-$src/build}
burst=20
rate=5000
duration=10

while [ $# -gt 0 ]; do
    case $1 in
    --burst) burst=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$burst" "$rate" "$duration"; do
    [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] && [ "$v" -le 100000 ] ||
        { echo "burst_then_rate: '$v' is not a whole number from 1" >&2; exit 2; }
done
[ "$burst" -le 300 ] && [ "$duration" -le 300 ] ||
    { echo "burst_then_rate: durations are at most 300 s" >&2; exit 2; }
[ -x "$build/hookd" ] && [ -x "$build/http_load" ] ||
    { echo "burst_then_rate: build hookd and http_load in $build first" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-burst.XXXXXX")
server_pid=""
trap hookd_cleanup EXIT
hookd_start "$build" "$tmp" burst_then_rate || exit 1

cat >"$tmp/upsert.json" <<'EOF'
{"query":"mutation u($input: UpsertCustomerInput!){ upsertCustomer(input:$input){ result customer{ id } error{ code message } } }","variables":{"input":{"identifier":{"emailAddress":"load{{n}}@example.com"},"onCreate":{"fullName":"Load {{n}}","email":{"email":"load{{n}}@example.com","isVerified":false}},"onUpdate":{}}}}
EOF

failures=0
run() {
    local name=$1 rc=0
    shift
    echo "$name:"
    timeout $((duration + burst + 30)) "$build/http_load" --url "http://127.0.0.1:$port/graphql/v1" \
        --header "Authorization: Bearer $key" --body-template "$tmp/upsert.json" \
        --expect '"result":"CREATE' --connections 64 --warmup 1 "$@" >"$tmp/out" 2>&1 || rc=$?
    grep -v '^{' "$tmp/out" | sed 's/^/  /'
    grep '^{' "$tmp/out" || true
    [ "$rc" -eq 0 ] || failures=$((failures + 1))
}

echo "burst_then_rate: hookd on 127.0.0.1:$port, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "burst, closed loop for $burst s" --duration "$burst"
run "at $rate/s for $duration s" --duration "$duration" --rate "$rate" --timeline
run "at $rate/s for $duration s, again" --duration "$duration" --rate "$rate" --timeline
ls -l "$tmp/data" | sed -n 's/^.* \([0-9][0-9]*\) [A-Z][a-z][a-z] .* \(hookd\.db.*\)$/  \2: \1 bytes/p'
echo "failures: $failures"
[ "$failures" -eq 0 ]
