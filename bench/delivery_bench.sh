#!/usr/bin/env bash
# delivery_bench.sh - webhook deliveries per second end to end (issue 4): events committed
# by upsertCustomer -> 2xx received by a local receiver (bench/webhook_sink.c).
#
# Starts webhook_sink and a fresh durable `hookd serve` (temp dir, kernel-picked loopback
# ports, HOOKD_ALLOW_PRIVATE_TARGETS=1 for the http:// loopback target), bootstraps a key,
# sets a workspace HMAC secret (deliveries are signed), creates one webhook target subscribed
# to customer.customer_created, then in one run:
#   (a) upsertCustomer as fast as possible for S seconds (http_load, every email new), and
#       deliveries/s at the sink = distinct events / (last arrival - first arrival), once
#       every committed event has arrived (bounded wait),
#   (b) wrk POSTing a body and headers captured from a real delivery to the same sink, with
#       as many connections as hookd opens to one target (8 by default), one thread,
#   (d) the delivery engine alone: bench_dispatch commits --backlog N signed deliveries to
#       the same sink in a store of its own, then times its dispatcher draining them (no HTTP
#       API competing for the CPUs; 0 skips it),
#   (e) libcurl alone (bench_curl): its multi interface on one thread POSTing wrk's sample
#       on as many connections, nothing else: the ceiling of any libcurl-based sender here,
#   (f) the API alone: the same upserts for S seconds with the target disabled, so each
#       commits its customer and event and no delivery: the rate events can be committed
#       at here, so (f)/(b) bounds what (a)/(b) can reach with a free delivery engine,
# in alternating rounds, then
#   (c) upsertCustomer at a fixed rate (1000/s, 15 s) and commit -> receive latency from
#       the sink (arrival - the event's timestamp, which is set in the committing transaction).
# Targets (issue 4): (a) >= 0.25 x (b), and p99 < 50 ms in (c); (d)/(b), (e)/(b) and
# (f)/(b) are reported beside.
#
#   bench/delivery_bench.sh [--rounds N] [--duration S] [--connections N] [--rate R]
#                           [--fixed-duration S] [--wrk-connections N] [--perf FILE]
#                           [--backlog N]
#
# --connections: http_load connections for the upserts (default 64). --wrk-connections:
# wrk's (default 8, hookd's --per-target-in-flight default). --perf FILE: `perf record -g`
# on hookd during the first (a) round, into FILE. hookd's delivery options can be set with
# their environment variables (HOOKD_PER_TARGET_IN_FLIGHT=16 bench/delivery_bench.sh).
# Exit status: 0 when no event was lost and nothing failed (the targets are reported, not
# enforced), 1 otherwise, 2 on bad arguments. HOOKD_BUILD names the build directory
# (default: build/ in the repository, configured and built first if a tool is missing).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${HOOKD_BUILD:-$src/build}
rounds=3
duration=10
connections=64
rate=1000
fixed_duration=15
wrk_connections=8
backlog=50000
perf_out=""
target_ratio=0.25
target_p99_us=50000
drain_stall_s=15 # no new arrival for this long while events are missing: they are lost
drain_max_s=600  # and never wait longer than this for one round's deliveries

usage() {
    sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --connections) connections=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --fixed-duration) fixed_duration=${2:?}; shift 2 ;;
    --wrk-connections) wrk_connections=${2:?}; shift 2 ;;
    --perf) perf_out=${2:?}; shift 2 ;;
    --backlog) backlog=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
for v in "$rounds" "$duration" "$connections" "$rate" "$fixed_duration" "$wrk_connections" \
    "$backlog"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "delivery_bench: '$v' is not a whole number" >&2; exit 2; }
done
if [ "$rounds" -lt 1 ] || [ "$rounds" -gt 20 ] || [ "$duration" -lt 1 ] ||
    [ "$duration" -gt 300 ] || [ "$fixed_duration" -lt 1 ] || [ "$fixed_duration" -gt 300 ] ||
    [ "$rate" -lt 1 ] || [ "$wrk_connections" -lt 1 ] || [ "$connections" -lt 1 ]; then
    echo "delivery_bench: rounds must be 1..20, durations 1..300 s, the rest >= 1" >&2
    exit 2
fi
command -v curl >/dev/null || { echo "delivery_bench: curl is not installed" >&2; exit 1; }

if [ ! -x "$build/hookd" ] || [ ! -x "$build/http_load" ] || [ ! -x "$build/webhook_sink" ] ||
    [ ! -x "$build/bench_dispatch" ] || [ ! -x "$build/bench_curl" ]; then
    echo "delivery_bench: building in $build" >&2
    cmake -S "$src" -B "$build" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target hookd http_load webhook_sink bench_dispatch \
        bench_curl >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-delivery-bench.XXXXXX")
server_pid=""
sink_pid=""
perf_pid=""
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh" # stop_pid, hookd_start, wait_for_line
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$perf_pid" ] || stop_pid "$perf_pid" 100
    [ -z "$server_pid" ] || stop_pid "$server_pid" 150 # hookd drains for up to 10 s
    [ -z "$sink_pid" ] || stop_pid "$sink_pid" 20
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the sink and the server ----

# The sink outlives every bounded step below, and no more.
lifetime=$((rounds * (4 * duration + drain_max_s + 60) + fixed_duration + drain_max_s + 120))
: >"$tmp/sink.log"
"$build/webhook_sink" --lifetime "$lifetime" >"$tmp/sink.log" 2>&1 &
sink_pid=$!
sink_port=$(wait_for_line "$tmp/sink.log" "$sink_pid" 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
[ -n "$sink_port" ] || { echo "delivery_bench: webhook_sink did not start:" >&2; cat "$tmp/sink.log" >&2; exit 1; }
sink=http://127.0.0.1:$sink_port

# http:// to the loopback sink needs development mode.
HOOKD_ALLOW_PRIVATE_TARGETS=1 hookd_start "$build" "$tmp" delivery_bench || exit 1
base=http://127.0.0.1:$port
threads=$(sed -n 's/.*, \([0-9]*\) threads,.*/\1/p' "$tmp/hookd.log")

# gql FILE: POSTs a GraphQL request (bounded), prints the answer.
gql() {
    curl -sS --max-time 10 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        --data-binary "@$1" "$base/graphql/v1"
}

cat >"$tmp/target.json" <<EOF
{"query":"mutation t(\$input: CreateWebhookTargetInput!){ createWebhookTarget(input:\$input){ webhookTarget{ id } error{ message } } }","variables":{"input":{"url":"$sink/hook","eventSubscriptions":[{"eventType":"customer.customer_created"}],"isEnabled":true,"description":"delivery bench"}}}
EOF
target_json=$(gql "$tmp/target.json")
target_id=$(sed -n 's/.*"webhookTarget":{"id":"\([^"]*\)".*/\1/p' <<<"$target_json")
[ -n "$target_id" ] || { echo "delivery_bench: createWebhookTarget said $target_json" >&2; exit 1; }
# A workspace HMAC secret, so that every delivery is signed as in production.
echo '{"query":"mutation { regenerateWorkspaceHmac { workspaceHmac { createdAt { iso8601 } } error { message } } }"}' \
    >"$tmp/hmac.json"
hmac_json=$(gql "$tmp/hmac.json")
[[ $hmac_json == *'"workspaceHmac":{'* ]] || { echo "delivery_bench: regenerateWorkspaceHmac said $hmac_json" >&2; exit 1; }

cat >"$tmp/upsert.json" <<'EOF'
{"query":"mutation u($input: UpsertCustomerInput!){ upsertCustomer(input:$input){ result customer{ id } error{ code message } } }","variables":{"input":{"identifier":{"emailAddress":"load{{n}}@example.com"},"onCreate":{"fullName":"Load {{n}}","email":{"email":"load{{n}}@example.com","isVerified":false}},"onUpdate":{}}}}
EOF

# ---- helpers ----

failures=0
have_wrk=false
command -v wrk >/dev/null && have_wrk=true

# field JSON NAME: a number or string field of a flat JSON line (http_load's, the sink's).
field() {
    sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"
}

# num JSON NAME: a numeric field, 0 when missing (a sink that did not answer).
num() {
    local v
    v=$(field "$1" "$2")
    printf '%s' "${v:-0}"
}

median() {
    printf '%s\n' "$@" | sort -g |
        awk -v OFMT=%.1f '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fail() {
    echo "delivery_bench: $*" >&2
    failures=$((failures + 1))
}

sink_stats() {
    curl -sS --max-time 5 "$sink/stats" || echo '{}'
}

sink_reset() {
    curl -sS --max-time 5 -X POST -o /dev/null "$sink/reset" || fail "the sink did not reset"
}

# drain WANT: waits until the sink has WANT distinct events, giving up after drain_stall_s
# without a new arrival or drain_max_s in all; then until nothing more comes for 0.3 s
# (events committed by requests still in flight when the load stopped). Sets $stats.
drain() {
    local want=$1 have=0 last=-1 still=0 start=$SECONDS
    while [ $((SECONDS - start)) -lt "$drain_max_s" ]; do
        stats=$(sink_stats)
        have=$(num "$stats" distinct)
        if [ "$have" -ge "$want" ] && [ "$have" -eq "$last" ]; then
            break
        fi
        if [ "$have" -eq "$last" ]; then
            still=$((still + 1))
            [ "$still" -lt $((drain_stall_s * 10 / 3)) ] || break
        else
            still=0
        fi
        last=$have
        sleep 0.3
    done
    stats=$(sink_stats)
    have=$(num "$stats" distinct)
    [ "$have" -ge "$want" ] || fail "lost events: $want committed, $have delivered"
    check_sink "$stats"
}

# check_sink STATS: bodies the sink could not read, or requests it refused, are failures.
check_sink() {
    local bad
    bad=$(($(num "$1" unparsed) + $(num "$1" bad_requests) + $(num "$1" untracked)))
    [ "$bad" -eq 0 ] || fail "the sink saw $bad unreadable, refused or untracked requests: $1"
}

# upsert NAME ARGS...: http_load upserts (bounded, no warmup: every event counts), then
# waits for their deliveries. Sets $json (http_load's) and $stats (the sink's).
upsert() {
    local name=$1 rc=0 requests in_flight
    shift
    sink_reset
    timeout $((duration + fixed_duration + 30)) "$build/http_load" --connections "$connections" \
        --warmup 0 --url "$base/graphql/v1" --header "Authorization: Bearer $key" \
        --body-template "$tmp/upsert.json" --expect '"result":"CREATED"' "$@" \
        >"$tmp/load.out" 2>&1 || rc=$?
    grep -v '^{' "$tmp/load.out" | sed "s/^/  [$name] /" || true
    json=$(grep '^{"bench":"http_load"' "$tmp/load.out" || true)
    if [ -z "$json" ]; then
        fail "$name: http_load broke (exit status $rc)"
        json='{"requests":0,"rate":0,"p50_us":0,"p99_us":0}'
    else
        failures=$((failures + $(num "$json" failures) + $(num "$json" warmup_failures)))
        [ "$(field "$json" aborted)" = false ] || fail "$name: http_load stopped early"
    fi
    requests=$(num "$json" requests)
    in_flight=$(num "$json" in_flight_at_end)
    local at_stop
    at_stop=$(sink_stats)
    drain "$requests"
    # The backlog left when the upserts stopped, delivered with nothing else running.
    backlog_rate=$(awk -v n0="$(num "$at_stop" distinct)" -v t0="$(num "$at_stop" last_arrival_us)" \
        -v n1="$(num "$stats" distinct)" -v t1="$(num "$stats" last_arrival_us)" \
        'BEGIN { printf "%.0f\n", ((n1 - n0 >= 100 && t1 > t0) ? (n1 - n0) * 1e6 / (t1 - t0) : 0) }')
    printf '  [%s] sink: %s distinct of %s committed (+ up to %s in flight), %s duplicates, ' \
        "$name" "$(num "$stats" distinct)" "$requests" "$in_flight" "$(num "$stats" duplicates)"
    printf '%.0f deliveries/s, commit->receive p50 %s us, p99 %s us, max %s us\n' \
        "$(num "$stats" rate_per_s)" "$(num "$stats" p50_us)" "$(num "$stats" p99_us)" \
        "$(num "$stats" max_us)"
    [ "$backlog_rate" = 0 ] ||
        echo "  [$name] backlog of $(($(num "$stats" distinct) - $(num "$at_stop" distinct))) after the upserts stopped: delivered at $backlog_rate/s"
    jsons+=("$json" "{\"sink\":$stats}")
}

# wrk's latency ("612.00us", "2.34ms", "1.02s") in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        f = u == "us" ? 1 : u == "ms" ? 1000 : u == "s" ? 1000000 : u == "m" ? 60000000 : -1
        printf "%.0f\n", f < 0 ? -1 : n * f }'
}

# wrk_script: a Lua script for wrk sending the body and headers of a real delivery.
wrk_script() {
    curl -sS --max-time 5 -o "$tmp/sample.json" "$sink/sample" &&
        curl -sS --max-time 5 -o "$tmp/sample-head.txt" "$sink/sample-head" || return 1
    [ -s "$tmp/sample.json" ] || return 1
    {
        echo 'wrk.method = "POST"'
        echo "local f = assert(io.open(\"$tmp/sample.json\", \"rb\"))"
        echo 'wrk.body = f:read("*a")'
        echo 'f:close()'
        tr -d '\r' <"$tmp/sample-head.txt" | while IFS= read -r line; do
            [ -n "$line" ] || continue
            printf 'wrk.headers[ [==[%s]==] ] = [==[%s]==]\n' "${line%%:*}" "${line#*: }"
        done
    } >"$tmp/post.lua"
    echo "delivery_bench: wrk sends a captured delivery: $(wc -c <"$tmp/sample.json") bytes of body," \
        "$(grep -c . "$tmp/sample-head.txt") header lines$(grep -qi '^Plain-Request-Signature:' \
            "$tmp/sample-head.txt" && echo ', signed')"
}

# wrk_post: wrk against the sink. Sets $wrk_rate, $wrk_p50, $wrk_p99 (us); errors count.
wrk_post() {
    local rc=0 errors
    sink_reset
    timeout $((duration + 30)) wrk -t1 -c"$wrk_connections" -d"${duration}s" --latency \
        -s "$tmp/post.lua" "$sink/hook" >"$tmp/wrk.out" 2>&1 || rc=$?
    sed 's/^/  [wrk] /' "$tmp/wrk.out" | grep -E 'Requests/sec|Non-2xx|Socket errors| (50|99)%' || true
    wrk_rate=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
    wrk_p50=$(to_us "$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.out")")
    wrk_p99=$(to_us "$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.out")")
    errors=$(awk '/^ *Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
                  END { print n + 0 }' "$tmp/wrk.out")
    if [ "$rc" -ne 0 ] || [ -z "$wrk_rate" ]; then
        fail "wrk broke (exit status $rc)"
        wrk_rate=0
    fi
    [ "$errors" -eq 0 ] || fail "wrk saw $errors errors"
    stats=$(sink_stats)
    check_sink "$stats"
    echo "  [wrk] sink received $(num "$stats" received)"
}

# dispatch_alone: (d), bench_dispatch draining $backlog deliveries into the sink. Sets
# $alone_rate and $alone_cpu (us of CPU per delivery in its process).
dispatch_alone() {
    local out
    sink_reset
    if ! out=$(timeout 300 "$build/bench_dispatch" --url "$sink/hook" --count "$backlog" \
        --rounds 1 --dir "$tmp/dispatch" 2>"$tmp/dispatch.err"); then
        fail "bench_dispatch failed: $(tail -n 3 "$tmp/dispatch.err")"
        alone_rate=0
        alone_cpu=0
        return
    fi
    alone_rate=$(sed -n 's/.*"median_per_s":\([0-9]*\).*/\1/p' <<<"$out")
    alone_cpu=$(sed -n 's/.* \([0-9.]*\) us CPU each.*/\1/p' <<<"$out")
    stats=$(sink_stats)
    check_sink "$stats"
    [ "$(num "$stats" distinct)" -eq "$backlog" ] ||
        fail "(d): the sink saw $(num "$stats" distinct) distinct events of $backlog"
    dupes=$((dupes + $(num "$stats" duplicates)))
    echo "  [alone] $backlog deliveries drained at $alone_rate/s, $alone_cpu us CPU each"
}

# curl_alone: (e), bench_curl POSTing wrk's sample to the sink. Sets $curl_rate, $curl_cpu.
curl_alone() {
    local out
    sink_reset
    if ! out=$(timeout $((duration + 30)) "$build/bench_curl" --url "$sink/hook" \
        --body "$tmp/sample.json" --headers "$tmp/sample-head.txt" \
        --connections "$wrk_connections" --duration "$duration" 2>&1); then
        fail "bench_curl failed: $(tail -n 2 <<<"$out")"
        curl_rate=0
        curl_cpu=0
        return
    fi
    curl_rate=$(sed -n 's/.*"rate":\([0-9.]*\).*/\1/p' <<<"$out")
    curl_cpu=$(sed -n 's/.*"cpu_us":\([0-9.]*\).*/\1/p' <<<"$out")
    check_sink "$(sink_stats)"
    echo "  [curl] libcurl alone: $curl_rate/s, $curl_cpu us CPU each"
}

# target_enabled BOOL: turns the bench's target on or off (off: upserts fire no delivery).
target_enabled() {
    local answer
    cat >"$tmp/enable.json" <<EOF2
{"query":"mutation e(\$input: UpdateWebhookTargetInput!){ updateWebhookTarget(input:\$input){ webhookTarget{ isEnabled } error{ message } } }","variables":{"input":{"webhookTargetId":"$target_id","isEnabled":{"value":$1}}}}
EOF2
    answer=$(gql "$tmp/enable.json")
    [[ $answer == *"\"isEnabled\":$1"* ]] || { fail "updateWebhookTarget said $answer"; return 1; }
}

# api_alone: (f), the upserts of (a) with the target disabled. Sets $api_rate.
api_alone() {
    local rc=0 out
    api_rate=0
    target_enabled false || return 0
    timeout $((duration + 30)) "$build/http_load" --connections "$connections" --warmup 0 \
        --url "$base/graphql/v1" --header "Authorization: Bearer $key" \
        --body-template "$tmp/upsert.json" --expect '"result":"CREATED"' --duration "$duration" \
        >"$tmp/api.out" 2>&1 || rc=$?
    out=$(grep '^{"bench":"http_load"' "$tmp/api.out" || true)
    if [ -z "$out" ]; then
        fail "(f): http_load broke (exit status $rc)"
    else
        failures=$((failures + $(num "$out" failures)))
        api_rate=$(num "$out" rate)
    fi
    target_enabled true || return 0
    [ "$(num "$(sink_stats)" received)" -eq 0 ] || fail "(f): the disabled target got deliveries"
    echo "  [api] upserts alone, no delivery: $api_rate/s"
}

# perf_start/perf_stop: `perf record -g` on hookd around one (a) round, when asked.
perf_start() {
    [ -n "$perf_out" ] || return 0
    command -v perf >/dev/null || { echo "delivery_bench: perf not found: no profile" >&2; return 0; }
    perf record -g -p "$server_pid" -o "$perf_out" >"$tmp/perf.log" 2>&1 &
    perf_pid=$!
}

perf_stop() {
    [ -n "$perf_pid" ] || return 0
    kill -INT "$perf_pid" 2>/dev/null || true # perf writes its file on SIGINT: give it time
    for _ in $(seq 100); do
        kill -0 "$perf_pid" 2>/dev/null || break
        sleep 0.1
    done
    stop_pid "$perf_pid" 10
    perf_pid=""
    echo "  [perf] profile of hookd in $perf_out ($(tail -n 1 "$tmp/perf.log"))"
    perf_out=""
}

# ---- the runs ----

jsons=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "delivery_bench: hookd on $base ($threads threads), sink on $sink, $(nproc) CPUs, load $load_before"
echo "delivery_bench: $rounds rounds of $duration s; upserts on $connections connections," \
    "wrk on $wrk_connections"
$have_wrk || echo "delivery_bench: wrk not found (scripts/setup.sh installs it): skipping (b) wrk"

# One delivery first: the pipeline works, and its body and headers are wrk's sample.
sed 's/{{n}}/0/g' "$tmp/upsert.json" >"$tmp/first.json"
gql "$tmp/first.json" >/dev/null
drain 1
[ "$failures" -eq 0 ] || { echo "delivery_bench: the first delivery did not arrive" >&2; exit 1; }
if $have_wrk && ! wrk_script; then
    fail "no sample delivery for wrk"
    have_wrk=false
fi

e2e_rates=()
backlog_rates=()
up_rates=()
wrk_rates=()
wrk_p50s=()
wrk_p99s=()
alone_rates=()
alone_cpus=()
curl_rates=()
curl_cpus=()
api_rates=()
dupes=0
for r in $(seq "$rounds"); do
    echo "round $r:"
    perf_start
    upsert "deliveries" --duration "$duration"
    perf_stop
    e2e_rates+=("$(num "$stats" rate_per_s)")
    up_rates+=("$(num "$json" rate)")
    backlog_rates+=("$backlog_rate")
    dupes=$((dupes + $(num "$stats" duplicates)))
    if $have_wrk; then
        wrk_post
        wrk_rates+=("$wrk_rate")
        wrk_p50s+=("$wrk_p50")
        wrk_p99s+=("$wrk_p99")
        curl_alone
        curl_rates+=("$curl_rate")
        curl_cpus+=("$curl_cpu")
    fi
    if [ "$backlog" -gt 0 ]; then
        dispatch_alone
        alone_rates+=("$alone_rate")
        alone_cpus+=("$alone_cpu")
    fi
    sink_reset
    api_alone
    api_rates+=("$api_rate")
done

echo "fixed rate $rate/s for $fixed_duration s:"
upsert "fixed" --rate "$rate" --duration "$fixed_duration" --connections 32
fixed_json=$json
fixed_stats=$stats
dupes=$((dupes + $(num "$stats" duplicates)))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill -0 "$server_pid" 2>/dev/null || fail "hookd died"
kill -0 "$sink_pid" 2>/dev/null || fail "webhook_sink died"

# ---- the summary ----

e2e_rate=$(median "${e2e_rates[@]}")
up_rate=$(median "${up_rates[@]}")
backlog_rate=$(median "${backlog_rates[@]}")
wrk_rate=null
wrk_p50=null
wrk_p99=null
ratio=null
alone_rate=null
alone_ratio=null
curl_rate=null
curl_cpu=null
curl_ratio=null
api_ratio=null
api_rate=$(median "${api_rates[@]}")
if [ "$backlog" -gt 0 ]; then
    alone_rate=$(median "${alone_rates[@]}")
    alone_cpu=$(median "${alone_cpus[@]}")
fi
if $have_wrk; then
    wrk_rate=$(median "${wrk_rates[@]}")
    wrk_p50=$(median "${wrk_p50s[@]}")
    wrk_p99=$(median "${wrk_p99s[@]}")
    ratio=$(awk -v a="$e2e_rate" -v b="$wrk_rate" 'BEGIN { printf "%.3f\n", (b > 0 ? a / b : 0) }')
    [ "$alone_rate" = null ] ||
        alone_ratio=$(awk -v a="$alone_rate" -v b="$wrk_rate" 'BEGIN { printf "%.3f\n", (b > 0 ? a / b : 0) }')
    curl_rate=$(median "${curl_rates[@]}")
    curl_cpu=$(median "${curl_cpus[@]}")
    curl_ratio=$(awk -v a="$curl_rate" -v b="$wrk_rate" 'BEGIN { printf "%.3f\n", (b > 0 ? a / b : 0) }')
    api_ratio=$(awk -v a="$api_rate" -v b="$wrk_rate" 'BEGIN { printf "%.3f\n", (b > 0 ? a / b : 0) }')
fi
f_rate=$(num "$fixed_json" rate)
f_p50=$(num "$fixed_stats" p50_us)
f_p99=$(num "$fixed_stats" p99_us)
f_max=$(num "$fixed_stats" max_us)
f_e2e=$(num "$fixed_stats" rate_per_s)
rate_met=$(awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { print (r == "null" ? "null" : r + 0 >= t ? "true" : "false") }')
p99_met=$(awk -v p="$f_p99" -v t="$target_p99_us" -v n="$(num "$fixed_stats" distinct)" \
    'BEGIN { print (n > 0 && p + 0 < t ? "true" : "false") }')

echo
echo "runs:"
printf '  %s\n' "${jsons[@]}"
echo
printf '(a) deliveries end to end: median %.0f/s (rounds: %s); upserts median %.0f/s (rounds: %s)\n' \
    "$e2e_rate" "${e2e_rates[*]}" "$up_rate" "${up_rates[*]}"
printf '    backlog left at the end of (a), delivered alone: median %.0f/s (rounds: %s)\n' \
    "$backlog_rate" "${backlog_rates[*]}"
if $have_wrk; then
    printf '(b) wrk POST, same body, %d connections: median %.0f/s (rounds: %s), p50 %s us, p99 %s us\n' \
        "$wrk_connections" "$wrk_rate" "${wrk_rates[*]}" "$wrk_p50" "$wrk_p99"
    printf '    ratio (a)/(b): %s (target >= %s: %s)\n' "$ratio" "$target_ratio" \
        "$([ "$rate_met" = true ] && echo met || echo MISSED)"
fi
if [ "$alone_rate" != null ]; then
    printf '(d) the dispatcher alone, %s deliveries: median %.0f/s (rounds: %s), %s us CPU each\n' \
        "$backlog" "$alone_rate" "${alone_rates[*]}" "$alone_cpu"
    [ "$alone_ratio" = null ] || printf '    ratio (d)/(b): %s\n' "$alone_ratio"
fi
if [ "$curl_rate" != null ]; then
    printf '(e) libcurl alone, same request, %d connections: median %.0f/s (rounds: %s), %s us CPU each\n' \
        "$wrk_connections" "$curl_rate" "${curl_rates[*]}" "$curl_cpu"
    printf '    ratio (e)/(b): %s\n' "$curl_ratio"
fi
printf '(f) the API alone, upserts with no delivery: median %.0f/s (rounds: %s)\n' "$api_rate" \
    "${api_rates[*]}"
[ "$api_ratio" = null ] || printf '    ratio (f)/(b): %s, the most (a)/(b) can reach here\n' "$api_ratio"
printf '(c) at %s/s: upserts %s/s, deliveries %.0f/s, commit->receive p50 %s us, p99 %s us, max %s us\n' \
    "$rate" "$f_rate" "$f_e2e" "$f_p50" "$f_p99" "$f_max"
printf '    target p99 < %s us: %s\n' "$target_p99_us" "$([ "$p99_met" = true ] && echo met || echo MISSED)"
echo "duplicates delivered: $dupes"
echo "load average: before $load_before, after $load_after"
echo "failures: $failures"
printf '{"bench":"delivery_e2e","rounds":%d,"duration_s":%d,"connections":%d,"server_threads":%s,' \
    "$rounds" "$duration" "$connections" "${threads:-null}"
printf '"deliveries_per_s":%.0f,"backlog_per_s":%.0f,"upserts_per_s":%.0f,"wrk_per_s":%s,' \
    "$e2e_rate" "$backlog_rate" "$up_rate" "$wrk_rate"
printf '"wrk_connections":%d,"alone_per_s":%s,"alone_ratio":%s,' "$wrk_connections" \
    "$alone_rate" "$alone_ratio"
printf '"curl_per_s":%s,"curl_cpu_us":%s,"curl_ratio":%s,' "$curl_rate" "$curl_cpu" "$curl_ratio"
printf '"api_alone_per_s":%.0f,"api_ratio":%s,' "$api_rate" "$api_ratio"
printf '"wrk_p50_us":%s,"wrk_p99_us":%s,"ratio":%s,"fixed_rate":%d,"fixed_upserts_per_s":%s,' \
    "$wrk_p50" "$wrk_p99" "$ratio" "$rate" "$f_rate"
printf '"fixed_p50_us":%s,"fixed_p99_us":%s,"fixed_max_us":%s,"duplicates":%d,' \
    "$f_p50" "$f_p99" "$f_max" "$dupes"
printf '"ratio_met":%s,"p99_met":%s,"failures":%d,"loadavg_before":"%s","loadavg_after":"%s"}\n' \
    "$rate_met" "$p99_met" "$failures" "$load_before" "$load_after"
[ "$failures" -eq 0 ]
