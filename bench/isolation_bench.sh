#!/usr/bin/env bash
# isolation_bench.sh - delivery isolation (issue 14): a healthy webhook target's
# commit->receive latency alone (the control) and, side by side in the same run, beside a
# target of its workspace that answers in 2 s and 50 targets in two other workspaces that
# take the request and never answer (5 s delivery timeout). Each round runs both, in
# alternating order, each on a fresh durable store and hookd; the driver is the test's
# (tests/integration/faults/isolation.mjs): the hanging workspaces commit --hang-events
# changes each (25 deliveries apiece), then the healthy workspace --events changes over 8
# connections, and the healthy target's latency is its arrival minus the event's commit
# time. Prints each round's figures and the medians of p50, p99 and max per mode.
#
#   bench/isolation_bench.sh [--rounds N] [--events N] [--hang-events N]
#
# Exit status: 0, 1 when a run failed, 2 on bad arguments. HOOKD_BUILD names the build
# directory (default build/). Needs node and tests/compat/node_modules (make setup).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${HOOKD_BUILD:-$src/build}
rounds=3
events=1000
hang_events=100

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --events) events=${2:?}; shift 2 ;;
    --hang-events) hang_events=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
for v in "$rounds" "$events" "$hang_events"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "isolation_bench: '$v' is not a positive number" >&2; exit 2; }
done
[ -d "$src/tests/compat/node_modules/ajv" ] ||
    { echo "isolation_bench: run make setup first (tests/compat/node_modules)" >&2; exit 1; }
if [ ! -x "$build/hookd" ]; then
    cmake -S "$src" -B "$build" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target hookd >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-isolation-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/results"

# run MODE (control|bad): one fresh store and hookd; appends the BENCH line.
run() {
    local dir=$tmp/$1.$2 workspaces= line
    mkdir -p "$dir"
    for name in a b c; do
        line=$("$build/hookd" bootstrap --data-dir "$dir/data" --name "$name" --log-level warn)
        workspaces+="${workspaces:+,}$line"
    done
    : >"$dir/pids"
    (cd "$src/tests/integration/faults" &&
        HOOKD_BIN="$build/hookd" HOOKD_DATA_DIR="$dir/data" HOOKD_LOG_FILE="$dir/serve.log" \
            HOOKD_PID_FILE="$dir/pids" HOOKD_WORKSPACES="[$workspaces]" \
            HOOKD_RETRY_SCHEDULE=1m HOOKD_DELIVERY_TIMEOUT=5s HOOKD_LOG_LEVEL=warn \
            ISOLATION_BENCH=1 ISOLATION_BAD=$([ "$1" = bad ] && echo 1 || echo 0) \
            ISOLATION_EVENTS="$events" ISOLATION_HANG_EVENTS="$hang_events" \
            timeout 300 node isolation.mjs) >"$dir/out" 2>&1 || {
        echo "isolation_bench: the $1 run failed:" >&2
        tail -n 20 "$dir/out" >&2
        return 1
    }
    grep '^BENCH|' "$dir/out" | tee -a "$tmp/results"
    rm -rf "$dir/data"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then run control "$r"; run bad "$r"; else run bad "$r"; run control "$r"; fi
done

node - "$tmp/results" <<'JS'
const lines = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n");
const by = { control: [], bad: [] };
for (const l of lines) {
  const [, mode, json] = l.split("|");
  by[mode].push(JSON.parse(json));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const row = (mode, k) => median(by[mode].map((f) => Number(f[k])));
console.log(`healthy target, commit->receive, medians of ${by.control.length} rounds:`);
for (const k of ["p50_ms", "p99_ms", "max_ms"]) {
  const c = row("control", k), b = row("bad", k);
  console.log(`  ${k.padEnd(7)} control ${c.toFixed(1).padStart(8)}   with bad targets ${b.toFixed(1).padStart(8)}   ratio ${(b / c).toFixed(2)}`);
}
console.log(`  all received (s): control ${row("control", "all_received_s")}, with bad targets ${row("bad", "all_received_s")}`);
console.log(`  hanging targets' requests open at once, at most: ${Math.max(...by.bad.map((f) => f.hanging_max_open))}`);
console.log(JSON.stringify({ bench: "isolation", control: by.control, bad: by.bad }));
JS
