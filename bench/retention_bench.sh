#!/usr/bin/env bash
# retention_bench.sh - what retention costs: how fast it deletes a backlog of old events
# (with their deliveries and attempts), and what that does to the API's commits meanwhile.
#
# 1. fill: a fresh durable hookd with a target at bench/webhook_sink.c (every event delivered,
#    signed, one attempt each); upsertCustomer as fast as possible for --fill S seconds, then
#    wait until every event has arrived.
# 2. the control: restart the store without retention and upsert at --rate R/s for
#    --duration S seconds (a restarted process starts with a cold cache).
# 3. restart it with HOOKD_RETENTION=1s, so everything from (1) is old, and at once the same
#    upserts while retention deletes (1)'s rows; /metrics is polled every 0.2 s for when the
#    last of them is deleted.
# 4. the same upserts again once that is done (retention then only trims the upserts of (2)
#    to (4) as they age), same process, same store.
# Reports rows deleted per second, and p50 / p99 / max upsert latency of (3) beside (2), (4).
#
#   bench/retention_bench.sh [--fill S] [--rate R] [--duration S]
#
# Exit status: 0 when every event of (1) was delivered and deleted and no upsert failed, 1
# otherwise, 2 on bad arguments. HOOKD_BUILD names the build directory (default build/).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${HOOKD_BUILD:-$src/build}
fill=15
rate=1000
duration=10

while [ $# -gt 0 ]; do
    case $1 in
    --fill) fill=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
for v in "$fill" "$rate" "$duration"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "retention_bench: '$v' is not a positive number" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "retention_bench: curl is not installed" >&2; exit 1; }
if [ ! -x "$build/hookd" ] || [ ! -x "$build/http_load" ] || [ ! -x "$build/webhook_sink" ]; then
    cmake -S "$src" -B "$build" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target hookd http_load webhook_sink >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-retention-bench.XXXXXX")
server_pid=""
sink_pid=""
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$server_pid" ] || stop_pid "$server_pid" 150
    [ -z "$sink_pid" ] || stop_pid "$sink_pid" 20
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() {
    echo "retention_bench: $*" >&2
    failures=$((failures + 1))
}
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }
metric() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 \([0-9.]*\)$/\1/p"; }

: >"$tmp/sink.log"
"$build/webhook_sink" --lifetime $((fill + 4 * duration + 900)) >"$tmp/sink.log" 2>&1 &
sink_pid=$!
sink_port=$(wait_for_line "$tmp/sink.log" "$sink_pid" 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
[ -n "$sink_port" ] || { echo "retention_bench: webhook_sink did not start" >&2; exit 1; }

# ---- 1. fill ----
HOOKD_ALLOW_PRIVATE_TARGETS=1 hookd_start "$build" "$tmp" retention_bench || exit 1
gql() {
    curl -sS --max-time 10 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        --data-binary "$1" "http://127.0.0.1:$port/graphql/v1"
}
answer=$(gql '{"query":"mutation { createWebhookTarget(input: { url: \"http://127.0.0.1:'"$sink_port"'/hook\", eventSubscriptions: [{ eventType: \"customer.customer_created\" }], isEnabled: true, description: \"retention bench\" }) { webhookTarget { id } error { message } } }"}')
[[ $answer == *'"webhookTarget":{"id"'* ]] || { echo "retention_bench: $answer" >&2; exit 1; }
answer=$(gql '{"query":"mutation { regenerateWorkspaceHmac { workspaceHmac { createdAt { iso8601 } } } }"}')
cat >"$tmp/upsert.json" <<'EOF'
{"query":"mutation u($input: UpsertCustomerInput!){ upsertCustomer(input:$input){ result customer{ id } error{ code message } } }","variables":{"input":{"identifier":{"emailAddress":"r{{n}}@example.com"},"onCreate":{"fullName":"R {{n}}","email":{"email":"r{{n}}@example.com","isVerified":false}},"onUpdate":{}}}}
EOF
load() { # NAME ARGS...: http_load upserts; sets $json
    local name=$1
    shift
    timeout $((fill + duration + 60)) "$build/http_load" --warmup 0 \
        --url "http://127.0.0.1:$port/graphql/v1" --header "Authorization: Bearer $key" \
        --body-template "$tmp/upsert.json" --expect '"result":"CREATED"' "$@" >"$tmp/$name.out" 2>&1 || true
    json=$(grep '^{"bench":"http_load"' "$tmp/$name.out" || echo '{}')
    [ "$(field "$json" failures)" = 0 ] || fail "$name: upserts failed: $json"
}
load fill --connections 32 --duration "$fill"
events=$(field "$json" requests)
echo "fill: $events events committed ($(field "$json" rate)/s)"
for _ in $(seq 1200); do # up to 2 min for the deliveries
    got=$(field "$(curl -s --max-time 5 "http://127.0.0.1:$sink_port/stats")" distinct)
    [ "${got:-0}" -ge "$events" ] && break
    sleep 0.1
done
[ "${got:-0}" -ge "$events" ] || fail "only ${got:-0} of $events events delivered"
stop_pid "$server_pid" 150
server_pid=""
db_bytes=$(stat -c %s "$tmp/data/hookd.db")
echo "fill: all delivered; hookd.db is $((db_bytes / 1048576)) MiB"

# ---- 2. the control: a restart without retention, the same upserts ----
mv "$tmp/hookd.log" "$tmp/hookd-fill.log"
hookd_start "$build" "$tmp" retention_bench || exit 1
load control --connections 16 --rate "$rate" --duration "$duration"
control=$json
stop_pid "$server_pid" 150
server_pid=""

# ---- 3. upserts while retention deletes ----
mv "$tmp/hookd.log" "$tmp/hookd-control.log"
HOOKD_RETENTION=1s hookd_start "$build" "$tmp" retention_bench || exit 1
start_ns=$(date +%s%N)
(
    # when the last of (1) is deleted: deleted events >= $events (later ones count too)
    while :; do
        n=$(metric hookd_retention_events_deleted_total)
        if [ "${n:-0}" -ge "$events" ]; then
            echo $((($(date +%s%N) - start_ns) / 1000000)) >"$tmp/pruned_ms"
            exit 0
        fi
        sleep 0.2
    done
) &
poller=$!
load during --connections 16 --rate "$rate" --duration "$duration"
during=$json
for _ in $(seq 600); do # up to 2 min more
    [ -s "$tmp/pruned_ms" ] && break
    sleep 0.2
done
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
pruned_ms=$(cat "$tmp/pruned_ms" 2>/dev/null || echo 0)
[ "$pruned_ms" -gt 0 ] || fail "retention did not delete the $events old events"
deliveries=$(metric hookd_retention_deliveries_deleted_total)
attempts=$(metric hookd_retention_attempts_deleted_total)

# ---- 4. the same upserts, retention idle ----
load after --connections 16 --rate "$rate" --duration "$duration"
after=$json
kill -0 "$server_pid" 2>/dev/null || fail "hookd died"
errors=$(metric hookd_retention_errors_total)
[ "${errors:-1}" = 0 ] || fail "retention failed $errors times"

rows=$((events * 3))
echo
printf 'retention deleted %s events, their %s deliveries and %s attempts (%s rows) in %.1f s: %.0f rows/s\n' \
    "$events" "$events" "$events" "$rows" "$(awk -v m="$pruned_ms" 'BEGIN { print m / 1000 }')" \
    "$(awk -v r="$rows" -v m="$pruned_ms" 'BEGIN { print (m > 0 ? r * 1000 / m : 0) }')"
printf 'upserts at %s/s after a restart: p50 %s us, p99 %s us, max %s us\n' "$rate" \
    "$(field "$control" p50_us)" "$(field "$control" p99_us)" "$(field "$control" max_us)"
printf 'upserts at %s/s while deleting: p50 %s us, p99 %s us, max %s us\n' "$rate" \
    "$(field "$during" p50_us)" "$(field "$during" p99_us)" "$(field "$during" max_us)"
printf 'upserts at %s/s after deleting:  p50 %s us, p99 %s us, max %s us\n' "$rate" \
    "$(field "$after" p50_us)" "$(field "$after" p99_us)" "$(field "$after" max_us)"
printf '{"bench":"retention","events":%s,"deliveries_deleted_total":%s,"attempts_deleted_total":%s,' \
    "$events" "${deliveries:-null}" "${attempts:-null}"
printf '"control_p50_us":%s,"control_p99_us":%s,"control_max_us":%s,' \
    "$(field "$control" p50_us)" "$(field "$control" p99_us)" "$(field "$control" max_us)"
printf '"pruned_ms":%s,"rate":%s,"during_p50_us":%s,"during_p99_us":%s,"during_max_us":%s,' \
    "$pruned_ms" "$rate" "$(field "$during" p50_us)" "$(field "$during" p99_us)" \
    "$(field "$during" max_us)"
printf '"after_p50_us":%s,"after_p99_us":%s,"after_max_us":%s,"db_bytes":%s,"failures":%d}\n' \
    "$(field "$after" p50_us)" "$(field "$after" p99_us)" "$(field "$after" max_us)" "$db_bytes" \
    "$failures"
[ "$failures" -eq 0 ]
