#!/usr/bin/env bash
# hookd key-list's last use of each API key, end to end (issue 19): "never" (null) before
# any request; the time of a key's first request within seconds while serve runs; later
# requests within the minute not written one by one (the stored time stays that of the
# first); the latest use written when serve stops on SIGTERM; a key never used still
# "never". ctest runs it on SQLite and, as integration.test_key_last_used.pg, on
# PostgreSQL (HOOKD_TEST_DATABASE_URL). HOOKD_BUILD and HOOKD_SRC are set by ctest.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-last-used.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$HOOKD_SRC/tests/integration/lib.sh"
# shellcheck source=tests/pg/store.sh
. "$HOOKD_SRC/tests/pg/store.sh"
trap cleanup EXIT
hookd_store "$tmp/store"
echo "store: $(hookd_store_kind)"

now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# field KEY_ID NAME: a string field (or null) of that key's line of key-list's JSON ($tmp/list).
field() {
    grep "\"id\":\"$1\"" "$tmp/list" | sed -n "s/.*\"$2\":\(null\|\"[^\"]*\"\).*/\1/p" | tr -d '"'
}

list_json() {
    timeout 30 "$bin" key-list "${store[@]}" --log-level warn >"$tmp/list" 2>"$tmp/list.err"
}

# row KEY_ID: that key's row of the text table.
row() {
    timeout 30 "$bin" key-list "${store[@]}" --format text --log-level warn | grep "^$1 "
}

timeout 30 "$bin" bootstrap "${store[@]}" --log-level warn >"$tmp/boot.json"
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/boot.json")
timeout 30 "$bin" key-create "${store[@]}" --workspace \
    "$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' "$tmp/boot.json")" \
    --description unused --log-level warn >"$tmp/unused.json"
unused_id=$(sed -n 's/.*"apiKeyId":"\([^"]*\)".*/\1/p' "$tmp/unused.json")
list_json
used_id=$(grep -v "\"$unused_id\"" "$tmp/list" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
if [ -n "$key" ] && [ -n "$used_id" ] && [ -n "$unused_id" ]; then
    pass "two keys"
else
    fail "two keys" "$(cat "$tmp/boot.json" "$tmp/list")"
    exit 1
fi

# ---- before any request ----

if [ "$(field "$used_id" lastUsedAt)" = null ] && [ "$(field "$unused_id" lastUsedAt)" = null ]; then
    pass "before any request, key-list says lastUsedAt null for both"
else
    fail "before any request, key-list says lastUsedAt null for both" "$(cat "$tmp/list")"
fi
if row "$used_id" | grep -q '  never  '; then
    pass "and its table says never"
else
    fail "and its table says never" "$(row "$used_id")"
fi

rc=0
timeout 30 "$bin" key-list "${store[@]}" --format yaml >/dev/null 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 2 ] && grep -q "use json or text" "$tmp/err"; then
    pass "key-list --format yaml is a usage error (2)"
else
    fail "key-list --format yaml is a usage error (2)" "exit $rc: $(cat "$tmp/err")"
fi

# ---- while serve runs ----

: >"$tmp/hookd.log"
"$bin" serve "${store[@]}" --listen 127.0.0.1:0 >"$tmp/hookd.log" 2>&1 &
server_pid=$!
started_pids+=("$server_pid")
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/hookd.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { fail "serve starts" "$(cat "$tmp/hookd.log")"; exit 1; }

request() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $key" \
        -H 'Content-Type: application/json' --data-binary '{"query":"{ myWorkspace { id } }"}' \
        "http://127.0.0.1:$port/graphql/v1" || true
}

before=$(now_iso)
status=$(request)
after=$(now_iso)
[ "$status" = 200 ] && pass "a request with the key is answered 200" ||
    fail "a request with the key is answered 200" "status $status"

# The first use is written at the next tick (every second); allow a loaded machine 10 s.
first=null
for _ in $(seq 100); do
    list_json
    first=$(field "$used_id" lastUsedAt)
    [ "$first" != null ] && break
    sleep 0.1
done
if [ "$first" != null ] && [[ ! $first < $before ]] && [[ ! $first > $after ]]; then
    pass "while serve runs, key-list shows the request's time ($first)"
else
    fail "while serve runs, key-list shows the request's time" \
        "lastUsedAt $first, request between $before and $after"
fi
if row "$used_id" | grep -q "  ${first:0:16}Z  "; then
    pass "and its table shows that time, to the minute"
else
    fail "and its table shows that time, to the minute" "$(row "$used_id")"
fi
[ "$(field "$unused_id" lastUsedAt)" = null ] && pass "the other key is still never used" ||
    fail "the other key is still never used" "$(cat "$tmp/list")"

# More requests within the minute: remembered, not written one by one.
sleep 1.2
second_before=$(now_iso)
for _ in 1 2 3; do request >/dev/null; done
sleep 2.5 # two ticks: a write per request (or per tick) would show by now
list_json
if [ "$(field "$used_id" lastUsedAt)" = "$first" ]; then
    pass "requests within the minute are not written one by one (still $first)"
else
    fail "requests within the minute are not written one by one" \
        "lastUsedAt $(field "$used_id" lastUsedAt), first $first"
fi

# ---- SIGTERM: what is pending is written ----

kill -TERM "$server_pid"
exited=false
for _ in $(seq 300); do
    kill -0 "$server_pid" 2>/dev/null || { exited=true; break; }
    sleep 0.1
done
$exited && pass "serve stops on SIGTERM" || fail "serve stops on SIGTERM"
wait "$server_pid" 2>/dev/null || true
list_json
last=$(field "$used_id" lastUsedAt)
if [[ ! $last < $second_before ]] && [ "$last" != "$first" ]; then
    pass "after SIGTERM, key-list shows the last request's time ($last)"
else
    fail "after SIGTERM, key-list shows the last request's time" \
        "lastUsedAt $last, last requests after $second_before"
fi
if [ "$(field "$unused_id" lastUsedAt)" = null ] && row "$unused_id" | grep -q '  never  '; then
    pass "the key never used says null, and never in the table"
else
    fail "the key never used says null, and never in the table" "$(row "$unused_id")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
