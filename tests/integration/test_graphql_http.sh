#!/usr/bin/env bash
# POST /graphql/v1 over real HTTP: the body cap (413), chunked bodies (411),
# methods (405), what the API answers for bad keys and bad requests,
# keep-alive, requests in parallel, and a graceful stop that still answers a
# request in flight. tests/integration/test_security_front_door.sh has the
# attacks on the front door.
# ctest sets HOOKD_BUILD (the build directory) and HOOKD_SRC (the sources).
set -euo pipefail

build=${HOOKD_BUILD:?set HOOKD_BUILD to the build directory}
bin=$build/hookd
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-graphql-http-test.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

trap cleanup EXIT


# Foreground commands are bounded too: a hang becomes exit status 124, a failure.
TIMEOUT="timeout 15"

# expect_status NAME WANT CMD...: runs CMD (output to $tmp/out, $tmp/err), checks its exit status.
expect_status() {
    local name=$1 want=$2
    shift 2
    local rc=0
    $TIMEOUT "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" -eq "$want" ]; then
        pass "$name"
    else
        fail "$name" "exit status $rc, wanted $want" "stderr: $(head -c 400 "$tmp/err")"
    fi
}

# request METHOD URL [CURL ARGS...]: the body goes to $tmp/body, the headers to $tmp/headers;
# prints the status (000 when there was no answer).
request() {
    local method=$1 url=$2
    shift 2
    curl -s -X "$method" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --max-time 10 \
        "$@" "$url" || true
}

# graphql BODY [CURL ARGS...]: POSTs BODY (a string) to /graphql/v1 with the bootstrap key.
graphql() {
    local body=$1
    shift
    request POST "$base/graphql/v1" -H "Authorization: Bearer $key" \
        -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

# check_answer NAME WANT_STATUS GOT_STATUS [ERE...]: passes when the status matches and the body
# ($tmp/body) matches every ERE.
check_answer() {
    local name=$1 want=$2 got=$3 re
    shift 3
    if [ "$got" != "$want" ]; then
        fail "$name" "status $got, wanted $want" "body: $(head -c 400 "$tmp/body" 2>/dev/null)"
        return
    fi
    for re in "$@"; do
        if ! grep -qE -- "$re" "$tmp/body"; then
            fail "$name" "body does not match $re" "body: $(head -c 400 "$tmp/body")"
            return
        fi
    done
    pass "$name"
}

# has_header NAME ERE: passes when a response header line in $tmp/headers matches ERE
# (case-insensitive, as header names are).
has_header() {
    if tr -d '\r' <"$tmp/headers" | grep -qiE -- "$2"; then
        pass "$1"
    else
        fail "$1" "headers: $(tr -d '\r' <"$tmp/headers" | tr '\n' '|' | head -c 400)"
    fi
}

healthz_status() { # BASE
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/healthz" || true
}

# wait_ready PID PORT: true once /healthz answers 200; false if PID exits or 10 s pass.
wait_ready() {
    local pid=$1 port=$2 i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(healthz_status "http://127.0.0.1:$port")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# wait_exit PID SECONDS: true when PID has exited within SECONDS; sets exit_status.
wait_exit() {
    local pid=$1 seconds=$2 i
    exit_status=
    for ((i = 0; i < seconds * 20; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            exit_status=0
            wait "$pid" || exit_status=$?
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# start_serve LOG [ENV=VALUE...] -- [SERVE ARGS...]: runs "hookd serve" on the shared data dir on
# a random loopback port, trying another port when that one is taken. Sets server_pid,
# server_port and base.
start_serve() {
    local log=$1 attempt port
    shift
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    [ "$#" -gt 0 ] && shift
    : >"$log"
    for ((attempt = 0; attempt < 8; attempt++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        env ${envs[@]+"${envs[@]}"} "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" \
            "$@" 2>>"$log" &
        server_pid=$!
        started_pids+=("$server_pid")
        if wait_ready "$server_pid" "$port"; then
            server_port=$port
            base=http://127.0.0.1:$port
            return 0
        fi
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        grep -q "Address already in use" "$log" || return 1
    done
    return 1
}

stop_serve() { # PID: SIGTERM, then a bounded wait
    kill -TERM "$1" 2>/dev/null || true
    wait_exit "$1" 10 || kill -KILL "$1" 2>/dev/null || true
}

# spaces N: N bytes of JSON whitespace, to pad a body to an exact size.
spaces() { head -c "$1" /dev/zero | tr '\0' ' '; }

# A body of exactly SIZE bytes: a valid query, padded in front with whitespace.
padded_query() { # SIZE FILE
    local query='{"query":"{ myWorkspace { id } }"}'
    { spaces $(($1 - ${#query})); printf '%s' "$query"; } >"$2"
}

# ---- set-up ----

data=$tmp/data
if ! $TIMEOUT "$bin" bootstrap --data-dir "$data" >"$tmp/boot" 2>"$tmp/err"; then
    echo "FAIL - bootstrap: $(head -c 400 "$tmp/err")"
    echo "0 passed, 1 failed"
    exit 1
fi
workspace_id=$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' "$tmp/boot")
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/boot")

if ! start_serve "$tmp/serve.log" --; then
    echo "FAIL - serve does not start: $(head -c 400 "$tmp/serve.log")"
    echo "0 passed, 1 failed"
    exit 1
fi
pid=$server_pid
url=$base/graphql/v1
work_query='{"query":"{ myWorkspace { id } }"}'

# ---- answers ----

status=$(graphql "$work_query")
check_answer "myWorkspace with the bootstrap key is 200 with this workspace's id" 200 "$status" \
    "\"data\":\\{\"myWorkspace\":\\{\"id\":\"$workspace_id\"\\}\\}"
has_header "GraphQL answers are application/json; charset=utf-8" \
    '^content-type: application/json; charset=utf-8$'

status=$(request POST "$url" -H "authorization: Bearer $key" --data-binary "$work_query")
check_answer "the Authorization header name is case-insensitive" 200 "$status" "$workspace_id"

status=$(request POST "$url" --data-binary "$work_query")
check_answer "no Authorization header is 401 UNAUTHENTICATED" 401 "$status" \
    '"errors":\[' '"code":"UNAUTHENTICATED"'
has_header "the 401 is JSON too" '^content-type: application/json'

status=$(request POST "$url" -H "Authorization: Bearer hkey_${key:5:20}wrongwrongwrongwrongwrong" \
    --data-binary "$work_query")
check_answer "a wrong bearer key is 401 UNAUTHENTICATED" 401 "$status" '"code":"UNAUTHENTICATED"'

status=$(request POST "$url" -H "Authorization: Basic $key" --data-binary "$work_query")
check_answer "a key not given as Bearer is 401" 401 "$status" '"code":"UNAUTHENTICATED"'

status=$(graphql '{"query": "{ myWorkspace { id } }"')
check_answer "malformed JSON is 400 with errors[]" 400 "$status" '"errors":\[' '"message":'

status=$(graphql '')
check_answer "an empty body is 400" 400 "$status" '"errors":\['

status=$(graphql '{"query":"{"}')
check_answer "an unparsable query is 400 GRAPHQL_PARSE_FAILED" 400 "$status" \
    '"code":"GRAPHQL_PARSE_FAILED"'

# ---- bad requests change nothing ----
# Each one below must get its documented error; afterwards the workspace must
# still have exactly the customers it had (none), and the server must answer.

# shellcheck disable=SC2016 # $input is a GraphQL variable
upsert='mutation u($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { result error { code } } }'
good_input='{"identifier":{"emailAddress":"bad@example.com"},"onCreate":{"fullName":"Bad","email":{"email":"bad@example.com","isVerified":false}},"onUpdate":{}}'

status=$(graphql '{"query":"{ myWorkspace { id nonsenseField } }"}')
check_answer "an unknown field is 400 GRAPHQL_VALIDATION_FAILED" 400 "$status" \
    '"code":"GRAPHQL_VALIDATION_FAILED"' 'nonsenseField'

status=$(graphql "{\"query\":\"$upsert\",\"variables\":{\"input\":\"not an object\"}}")
check_answer "a variable of the wrong type is 400 BAD_USER_INPUT" 400 "$status" \
    '"code":"BAD_USER_INPUT"'

status=$(graphql "{\"query\":\"$upsert\"}")
check_answer "a missing required variable is 400 BAD_USER_INPUT" 400 "$status" \
    '"code":"BAD_USER_INPUT"'

# machineUser { createdBy { ... on MachineUserActor { machineUser { ... } } } }: two
# selection levels per turn, 10 turns, deeper than the limit (15).
open='' close=''
for _ in $(seq 1 10); do
    open="$open createdBy { ... on MachineUserActor { machineUser {"
    close="$close } } }"
done
deep="{ myWorkspace { createdBy { ... on MachineUserActor { machineUser {$open id$close } } } } }"
status=$(graphql "{\"query\":\"$deep\"}")
check_answer "a query nested past the depth limit is 400 GRAPHQL_VALIDATION_FAILED" 400 "$status" \
    '"code":"GRAPHQL_VALIDATION_FAILED"' '[Dd]epth'

aliases=$(for i in $(seq 1 40); do printf 'a%d: myWorkspace { id } ' "$i"; done)
status=$(graphql "{\"query\":\"{ $aliases }\"}")
check_answer "too many aliases is 400 GRAPHQL_VALIDATION_FAILED" 400 "$status" \
    '"code":"GRAPHQL_VALIDATION_FAILED"'

status=$(request POST "$url" -H "Authorization: Bearer hkey_not_a_real_key" \
    -H 'Content-Type: application/json' \
    --data-binary "{\"query\":\"$upsert\",\"variables\":{\"input\":$good_input}}")
check_answer "an upsert with a wrong key is 401 and does nothing" 401 "$status" \
    '"code":"UNAUTHENTICATED"'

status=$(graphql '{"query":"{ customers { totalCount } }"}')
check_answer "after all of them the workspace has no customer" 200 "$status" '"totalCount":0'

status=$(graphql "{\"query\":\"$upsert\",\"variables\":{\"input\":$good_input}}")
check_answer "and a good upsert still works" 200 "$status" '"result":"CREATED"'

# ---- methods and paths ----

status=$(request GET "$url" -H "Authorization: Bearer $key")
check_answer "GET /graphql/v1 is 405" 405 "$status"
has_header "the 405 says Allow: POST" '^allow: POST$'
for method in PUT DELETE PATCH; do
    status=$(request "$method" "$url" -H "Authorization: Bearer $key" --data-binary "$work_query")
    check_answer "$method /graphql/v1 is 405" 405 "$status"
done
status=$(request POST "$base/graphql/v1/" -H "Authorization: Bearer $key" \
    --data-binary "$work_query")
check_answer "POST /graphql/v1/ (another path) is 404" 404 "$status"

# ---- the body cap (default 1 MiB) ----

default_cap=$((1024 * 1024))
padded_query "$default_cap" "$tmp/at_cap"
status=$(graphql "@$tmp/at_cap")
check_answer "a body of exactly 1 MiB is read (200)" 200 "$status" "$workspace_id"

padded_query $((default_cap + 1)) "$tmp/over_cap"
status=$(graphql "@$tmp/over_cap")
check_answer "a body of 1 MiB + 1 byte is 413 PAYLOAD_TOO_LARGE" 413 "$status" \
    '^\{"errors":\[\{"message":"request body too large","extensions":\{"code":"PAYLOAD_TOO_LARGE"\}\}\]\}$'
has_header "the 413 is application/json; charset=utf-8" \
    '^content-type: application/json; charset=utf-8$'
has_header "the 413 closes the connection (the body is not read)" '^connection: close$'

# Without "Expect: 100-continue" the client sends everything before it reads the answer.
spaces $((8 * default_cap)) >"$tmp/huge"
status=$(graphql "@$tmp/huge" -H 'Expect:')
check_answer "an 8 MiB body sent without waiting is 413" 413 "$status" '"PAYLOAD_TOO_LARGE"'

# No Content-Length: refused before the body is read (issue 15: the length is checked
# against the cap and the body budget before anything is buffered).
status=$(graphql "@$tmp/at_cap" -H 'Transfer-Encoding: chunked')
check_answer "a chunked body is 411 Length Required" 411 "$status" '"length_required"'
has_header "the 411 closes the connection" '^connection: close$'

if [ "$(healthz_status "$base")" = 200 ]; then
    pass "the server still answers /healthz after the 413s"
else
    fail "the server still answers /healthz after the 413s"
fi
status=$(graphql "$work_query")
check_answer "and still answers GraphQL after them" 200 "$status" "$workspace_id"

# ---- keep-alive and parallel requests ----

# One curl, two URLs: curl reuses the connection when the server kept it open.
status=$(curl -sv --max-time 10 -w '%{http_code} ' -H "Authorization: Bearer $key" \
    --data-binary "$work_query" -o "$tmp/ka1" "$url" -o "$tmp/ka2" "$url" 2>"$tmp/verbose" || true)
if [ "$status" = "200 200 " ] && grep -q "Re-using existing connection" "$tmp/verbose" &&
    grep -q "$workspace_id" "$tmp/ka1" && grep -q "$workspace_id" "$tmp/ka2"; then
    pass "two requests on one kept-alive connection are both answered"
else
    fail "two requests on one kept-alive connection are both answered" "statuses: $status" \
        "curl: $(grep -E '^(\*|<) ' "$tmp/verbose" | tr -d '\r' | tr '\n' '|' | head -c 600)"
fi

# /healthz and /metrics too (libmicrohttpd closes a connection whose answer is queued
# before the request is complete, so they must be answered after it).
status=$(curl -sv --max-time 10 -w '%{http_code} ' -o /dev/null "$base/healthz" \
    -o /dev/null "$base/metrics" -o /dev/null "$base/healthz" 2>"$tmp/verbose" || true)
if [ "$status" = "200 200 200 " ] && [ "$(grep -c "Re-using existing connection" "$tmp/verbose")" -eq 2 ]
then
    pass "/healthz and /metrics keep the connection alive"
else
    fail "/healthz and /metrics keep the connection alive" "statuses: $status" \
        "curl: $(grep -E '^(\*|<) ' "$tmp/verbose" | tr -d '\r' | tr '\n' '|' | head -c 600)"
fi

parallel_ok=0
parallel_pids=()
for ((i = 0; i < 16; i++)); do
    curl -s -o "$tmp/par.$i" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $key" \
        --data-binary "$work_query" "$url" >"$tmp/par.$i.status" &
    parallel_pids+=("$!")
done
for pid_i in "${parallel_pids[@]}"; do wait "$pid_i" || true; done
for ((i = 0; i < 16; i++)); do
    if [ "$(cat "$tmp/par.$i.status")" = 200 ] && grep -q "$workspace_id" "$tmp/par.$i"; then
        parallel_ok=$((parallel_ok + 1))
    fi
done
if [ "$parallel_ok" -eq 16 ]; then
    pass "16 requests in parallel are all answered 200"
else
    fail "16 requests in parallel are all answered 200" "$parallel_ok of 16"
fi

# ---- graceful stop with a request in flight ----

# The request is written by hand: its headers and half its body now, the rest after SIGTERM.
half=${#work_query}
half=$((half / 2))
if exec 3<>"/dev/tcp/127.0.0.1/$server_port"; then
    printf 'POST /graphql/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n' "$key" >&3
    printf 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "${#work_query}" "${work_query:0:half}" >&3
    sleep 0.3 # the server has the headers: the request is in flight
    kill -TERM "$pid"
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then
        pass "serve waits for a request in flight after SIGTERM"
    else
        fail "serve waits for a request in flight after SIGTERM"
    fi
    if [ "$(healthz_status "$base")" = 000 ]; then
        pass "no new connection is accepted while draining"
    else
        fail "no new connection is accepted while draining"
    fi
    printf '%s' "${work_query:half}" >&3
    timeout 5 cat <&3 >"$tmp/inflight" || true
    exec 3>&-
    if head -n 1 "$tmp/inflight" | grep -q '^HTTP/1.1 200' && grep -q "$workspace_id" "$tmp/inflight"
    then
        pass "the request in flight is answered 200 with its result"
    else
        fail "the request in flight is answered 200 with its result" \
            "answer: $(tr -d '\r' <"$tmp/inflight" | tr '\n' '|' | head -c 400)"
    fi
    if tr -d '\r' <"$tmp/inflight" | grep -qi '^connection: close$'; then
        pass "the answer while draining says Connection: close"
    else
        fail "the answer while draining says Connection: close"
    fi
else
    fail "connect to the server for the in-flight request"
    kill -TERM "$pid"
fi
if wait_exit "$pid" 10 && [ "$exit_status" -eq 0 ]; then
    pass "serve then exits with status 0"
else
    fail "serve then exits with status 0" "status '${exit_status:-still running}'"
fi

# ---- the cap from --max-body-bytes and HOOKD_MAX_BODY_BYTES ----

if start_serve "$tmp/serve2.log" HOOKD_MAX_BODY_BYTES=100 -- --max-body-bytes 4096; then
    padded_query 4096 "$tmp/at_4k"
    status=$(graphql "@$tmp/at_4k")
    check_answer "--max-body-bytes 4096 (over the env's 100): 4096 bytes are read" 200 "$status" \
        "$workspace_id"
    padded_query 4097 "$tmp/over_4k"
    status=$(graphql "@$tmp/over_4k")
    check_answer "--max-body-bytes 4096: 4097 bytes are 413" 413 "$status" '"PAYLOAD_TOO_LARGE"'
    stop_serve "$server_pid"
else
    fail "serve starts with --max-body-bytes 4096" "log: $(head -c 400 "$tmp/serve2.log")"
fi

if start_serve "$tmp/serve3.log" HOOKD_MAX_BODY_BYTES=20 --; then
    status=$(graphql "$work_query")
    check_answer "HOOKD_MAX_BODY_BYTES=20 alone sets the cap (a 35-byte query is 413)" 413 \
        "$status" '"PAYLOAD_TOO_LARGE"'
    stop_serve "$server_pid"
else
    fail "serve starts with HOOKD_MAX_BODY_BYTES=20" "log: $(head -c 400 "$tmp/serve3.log")"
fi

for bad in 0 -1 abc 12k 1e6 " 100" 99999999999999999999999 2147483648; do
    expect_status "--max-body-bytes '$bad' is a usage error (exit 2)" 2 \
        "$bin" serve --data-dir "$data" --listen 127.0.0.1:1 --max-body-bytes "$bad"
done
expect_status "HOOKD_MAX_BODY_BYTES=abc is a usage error (exit 2)" 2 \
    env HOOKD_MAX_BODY_BYTES=abc "$bin" serve --data-dir "$data" --listen 127.0.0.1:1
if grep -q "HOOKD_MAX_BODY_BYTES" "$tmp/err"; then
    pass "the usage error names HOOKD_MAX_BODY_BYTES"
else
    fail "the usage error names HOOKD_MAX_BODY_BYTES" "stderr: $(head -c 400 "$tmp/err")"
fi

# ---- --http-threads and HOOKD_HTTP_THREADS ----

if start_serve "$tmp/serve4.log" HOOKD_HTTP_THREADS=7 -- --http-threads 3; then
    status=$(graphql "$work_query")
    check_answer "--http-threads 3 (over the env's 7): serves" 200 "$status" "$workspace_id"
    if grep -q ", 3 threads," "$tmp/serve4.log"; then
        pass "--http-threads 3 starts 3 threads"
    else
        fail "--http-threads 3 starts 3 threads" "log: $(head -c 400 "$tmp/serve4.log")"
    fi
    stop_serve "$server_pid"
else
    fail "serve starts with --http-threads 3" "log: $(head -c 400 "$tmp/serve4.log")"
fi
for bad in 0 -1 abc 1025 " 4"; do
    expect_status "--http-threads '$bad' is a usage error (exit 2)" 2 \
        "$bin" serve --data-dir "$data" --listen 127.0.0.1:1 --http-threads "$bad"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
