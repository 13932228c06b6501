#!/usr/bin/env bash
# pg_bench.sh - SQLite against PostgreSQL, and one PostgreSQL node against two, side by side in
# one run (issue 17):
#   upserts/s  upsertCustomer over HTTP as fast as possible (http_load, closed loop, every email
#              new, --connections in all): hookd on SQLite; one hookd on PostgreSQL; two hookd
#              nodes on one PostgreSQL database, each taking half the connections (as behind a
#              load balancer), their rates added;
#   deliveries/s  a backlog drained (bench_dispatch: --count signed deliveries committed, then
#              timed until every one is recorded as delivered to webhook_sink): SQLite; one
#              dispatcher on PostgreSQL; two, each on connections of its own (two nodes);
# in alternating rounds, medians printed at the end with the load average.
#
# PostgreSQL is a throwaway server from Debian's packages (tests/pg/pg_ctl.sh) with its
# durability on (fsync, full_page_writes), as SQLite's is (synchronous=FULL): both stores
# sync every commit. Every process shares the machine's CPUs with the server: two nodes here
# measure contention on one machine, not the capacity of two.
#
#   bench/pg_bench.sh [--rounds N] [--duration S] [--connections N] [--count N]
#
# Exit status: 0 when every run completed without a failed request, 1 otherwise, 2 on bad
# arguments. HOOKD_BUILD names the build directory (default build/, built if a tool is missing).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${HOOKD_BUILD:-$src/build}
rounds=3
duration=10
connections=64
count=20000

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --connections) connections=${2:?}; shift 2 ;;
    --count) count=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
for v in "$rounds" "$duration" "$connections" "$count"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "pg_bench: '$v' is not a whole number" >&2; exit 2; }
done
if [ ! -x "$build/hookd" ] || [ ! -x "$build/http_load" ] || [ ! -x "$build/bench_dispatch" ] ||
    [ ! -x "$build/webhook_sink" ]; then
    echo "pg_bench: building in $build" >&2
    cmake -S "$src" -B "$build" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target hookd http_load bench_dispatch webhook_sink >/dev/null
fi

# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-pg-bench.XXXXXX")
pgdir=/tmp/hookd-pg-bench-$$
pids=()
failures=0
cleanup() {
    for pid in ${pids[@]+"${pids[@]}"}; do stop_pid "$pid" 150; done
    bash "$src/tests/pg/pg_ctl.sh" stop "$pgdir" || true
    rm -rf "$tmp"
}
trap cleanup EXIT

HOOKD_PG_FSYNC=on bash "$src/tests/pg/pg_ctl.sh" start "$pgdir" >/dev/null
base_url=$(bash "$src/tests/pg/pg_ctl.sh" url "$pgdir")

field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# serve NAME STORE-FLAGS...: a durable hookd on a kernel-picked port; sets port and pid.
serve() {
    local name=$1
    shift
    : >"$tmp/$name.log"
    "$build/hookd" serve "$@" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/$name.log" &
    pid=$!
    pids+=("$pid")
    port=$(wait_for_line "$tmp/$name.log" "$pid" 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
    [ -n "$port" ] || { echo "pg_bench: $name did not start" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}

cat >"$tmp/upsert.json" <<'EOF'
{"query":"mutation u($input: UpsertCustomerInput!){ upsertCustomer(input:$input){ result customer{ id } error{ code message } } }","variables":{"input":{"identifier":{"emailAddress":"load{{n}}@example.com"},"onCreate":{"fullName":"Load {{n}}","email":{"email":"load{{n}}@example.com","isVerified":false}},"onUpdate":{}}}}
EOF

# upserts PORT KEY CONNECTIONS FIRST_N: one http_load run; prints its rate.
upserts() {
    local out
    out=$(timeout $((duration + 40)) "$build/http_load" --url "http://127.0.0.1:$1/graphql/v1" \
        --header "Authorization: Bearer $2" --body-template "$tmp/upsert.json" \
        --expect '"result":"CREATED"' --connections "$3" --duration "$duration" --warmup 1 \
        --first-n "$4" 2>&1 | grep '^{"bench":"http_load"' || true)
    if [ -z "$out" ] || [ "$(field "$out" failures)" != 0 ]; then
        echo "pg_bench: an upsert run failed: ${out:-no result}" >&2
        failures=$((failures + 1))
        echo 0
        return
    fi
    field "$out" rate
}

bootstrap_key() { "$build/hookd" bootstrap "$@" --log-level warn | sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p'; }
new_schema() { bash "$src/tests/pg/pg_ctl.sh" schema "$base_url"; }

# ---- upserts/s ----
declare -a up_sqlite up_pg1 up_pg2
for ((r = 1; r <= rounds; r++)); do
    # SQLite
    key=$(bootstrap_key --data-dir "$tmp/sqlite-$r")
    serve sqlite --data-dir "$tmp/sqlite-$r"
    up_sqlite+=("$(upserts "$port" "$key" "$connections" $((r * 100000000)))")
    stop_pid "$pid" 150
    # PostgreSQL, one node
    url=$(new_schema)
    key=$(bootstrap_key --database-url "$url")
    serve pg1 --database-url "$url"
    up_pg1+=("$(upserts "$port" "$key" "$connections" $((r * 100000000)))")
    stop_pid "$pid" 150
    # PostgreSQL, two nodes, half the connections each
    url=$(new_schema)
    key=$(bootstrap_key --database-url "$url")
    serve pg2a --database-url "$url"
    port_a=$port pid_a=$pid
    serve pg2b --database-url "$url"
    port_b=$port pid_b=$pid
    upserts "$port_a" "$key" $((connections / 2)) $((r * 100000000)) >"$tmp/rate_a" &
    la=$!
    upserts "$port_b" "$key" $((connections / 2)) $((r * 100000000 + 50000000)) >"$tmp/rate_b"
    wait "$la"
    up_pg2+=("$(awk '{ s += $1 } END { printf "%.0f\n", s }' "$tmp/rate_a" "$tmp/rate_b")")
    stop_pid "$pid_a" 150
    stop_pid "$pid_b" 150
    echo "round $r upserts/s: sqlite ${up_sqlite[-1]}, postgresql 1 node ${up_pg1[-1]}," \
        "2 nodes ${up_pg2[-1]}"
done

# ---- deliveries/s (backlog drain) ----
"$build/webhook_sink" --lifetime 3600 >"$tmp/sink.out" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
sink_port=$(wait_for_line "$tmp/sink.out" "$sink_pid" 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
[ -n "$sink_port" ] || { echo "pg_bench: webhook_sink did not start" >&2; cat "$tmp/sink.out" >&2; exit 1; }
sink="http://127.0.0.1:$sink_port/hook"
drain() {
    local out
    out=$(timeout 600 "$build/bench_dispatch" --url "$sink" --count "$count" --rounds 1 \
        --dir "$tmp/dispatch" "$@" 2>"$tmp/dispatch.err" | grep '^{"bench"' || true)
    if [ -z "$out" ]; then
        echo "pg_bench: a drain failed: $(tail -n 3 "$tmp/dispatch.err")" >&2
        failures=$((failures + 1))
        echo 0
        return
    fi
    field "$out" median_per_s
}
declare -a dl_sqlite dl_pg1 dl_pg2
for ((r = 1; r <= rounds; r++)); do
    dl_sqlite+=("$(drain)")
    dl_pg1+=("$(drain --database-url "$base_url")")
    dl_pg2+=("$(drain --database-url "$base_url" --nodes 2)")
    echo "round $r deliveries/s: sqlite ${dl_sqlite[-1]}, postgresql 1 node ${dl_pg1[-1]}," \
        "2 nodes ${dl_pg2[-1]}"
done

echo
echo "medians of $rounds rounds ($duration s of upserts on $connections connections;" \
    "backlogs of $count deliveries); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %10s %16s %16s\n' "" sqlite "postgresql x1" "postgresql x2"
printf '%-14s %10s %16s %16s\n' upserts/s "$(median "${up_sqlite[@]}")" \
    "$(median "${up_pg1[@]}")" "$(median "${up_pg2[@]}")"
printf '%-14s %10s %16s %16s\n' deliveries/s "$(median "${dl_sqlite[@]}")" \
    "$(median "${dl_pg1[@]}")" "$(median "${dl_pg2[@]}")"
[ "$failures" -eq 0 ]
