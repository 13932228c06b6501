#!/usr/bin/env bash
# Security over real HTTP (issue 6, item 4), against `hookd serve --log-level debug`:
#   - API keys: shown once by bootstrap, never in any API answer, never in the daemon's log
#     (nor their SHA-256, nor keys that were tried and refused);
#   - the workspace HMAC secret: returned by regenerate/workspaceHmac only, never logged, never
#     in other answers;
#   - URL credentials (https://user:pass@host): sent as Basic auth, but masked in every target
#     answer, in the deliveries listing (attempt errors included) and in the log;
#   - limits: body size (413), document size, tokens, depth, aliases, list sizes (a list
#     argument of 10k items, pagination past 100), JSON nesting, and the server still answers.
# In-process security tests are tests/unit/test_security_*.c (isolation, permissions, SSRF,
# constant-time compare). Each case prints a RELIABILITY|security|... line.
# ctest sets HOOKD_BUILD (the build directory) and HOOKD_SRC (the sources).
set -euo pipefail

build=${HOOKD_BUILD:?set HOOKD_BUILD to the build directory}
bin=$build/hookd
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 1; }
for tool in curl jq node sha256sum; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-security-test.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

TIMEOUT="timeout 20"
answers=$tmp/answers.all # every API answer of this test, for the leak scans
: >"$answers"

# case_start / case_report DESCRIPTION: one RELIABILITY line per case, counting the checks made
# since case_start; FAIL when any of them failed.
case_start() {
    case_failed=$failed
    case_checks=$((passed + failed))
}
case_report() {
    local checks=$((passed + failed - case_checks)) verdict=ok
    [ "$failed" -eq "$case_failed" ] || verdict=FAIL
    echo "RELIABILITY|security|$1|checks=$checks|$verdict"
}

# gql BODY [KEY]: POSTs BODY to /graphql/v1; the answer goes to $tmp/body (and $answers);
# prints the HTTP status.
gql() {
    local body=$1 k=${2:-$key} status
    status=$(curl -s -o "$tmp/body" -w '%{http_code}' --max-time 15 \
        -H "Authorization: Bearer $k" -H 'Content-Type: application/json' \
        --data-binary "$body" "$base/graphql/v1" || true)
    cat "$tmp/body" >>"$answers"
    echo >>"$answers"
    echo "$status"
}

# check NAME CONDITION-COMMAND...: pass when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then
        pass "$name"
    else
        fail "$name" "body: $(head -c 400 "$tmp/body" 2>/dev/null)"
    fi
}

# absent NAME NEEDLE FILE...: passes when NEEDLE (fixed string) is in none of FILEs.
absent() {
    local name=$1 needle=$2
    shift 2
    if [ -z "$needle" ]; then
        fail "$name" "empty needle"
    elif grep -qF -- "$needle" "$@"; then
        fail "$name" "found in: $(grep -lF -- "$needle" "$@" | tr '\n' ' ')" \
            "line: $(grep -hF -- "$needle" "$@" | head -1 | head -c 300)"
    else
        pass "$name"
    fi
}

jq_eq() { # FILTER WANT: the filter's raw output on $tmp/body equals WANT
    [ "$(jq -r "$1" "$tmp/body" 2>/dev/null)" = "$2" ]
}

wait_ready() { # PID PORT
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$1" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$2/healthz")" \
            = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# ---- a receiver: records the Authorization header of each delivery, answers 500 on /fail ----
cat >"$tmp/rx.mjs" <<'EOF'
import http from "node:http";
import fs from "node:fs";
const log = process.argv[2];
const srv = http.createServer((req, res) => {
  let n = 0;
  req.on("data", (c) => (n += c.length));
  req.on("end", () => {
    fs.appendFileSync(log, JSON.stringify({ path: req.url, auth: req.headers.authorization ?? null, sig: req.headers["plain-request-signature"] ?? null }) + "\n");
    res.writeHead(req.url.startsWith("/fail") ? 500 : 200, { "content-type": "text/plain" });
    res.end(req.url.startsWith("/fail") ? "no thanks" : "ok");
  });
});
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
EOF
: >"$tmp/rx.log"
node "$tmp/rx.mjs" "$tmp/rx.log" >"$tmp/rx.port" 2>"$tmp/rx.err" &
started_pids+=("$!")
for _ in $(seq 1 100); do [ -s "$tmp/rx.port" ] && break; sleep 0.05; done
rx_port=$(head -1 "$tmp/rx.port")
[ -n "$rx_port" ] || { echo "FAIL - the receiver does not start: $(cat "$tmp/rx.err")"; exit 1; }

# ---- set-up: bootstrap, then serve with every log line there is ----
data=$tmp/data
if ! $TIMEOUT "$bin" bootstrap --data-dir "$data" --log-level debug >"$tmp/boot" \
    2>"$tmp/boot.log"; then
    echo "FAIL - bootstrap: $(head -c 400 "$tmp/boot.log")"
    echo "0 passed, 1 failed"
    exit 1
fi
key=$(jq -r .apiKey "$tmp/boot")
key_hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
log=$tmp/serve.log
: >"$log"
started=false
for ((attempt = 0; attempt < 8; attempt++)); do
    port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
    HOOKD_ALLOW_PRIVATE_TARGETS=1 HOOKD_RETRY_SCHEDULE=50ms,50ms HOOKD_DELIVERY_TIMEOUT=2s \
        "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" --log-level debug 2>>"$log" &
    server_pid=$!
    started_pids+=("$server_pid")
    if wait_ready "$server_pid" "$port"; then
        started=true
        break
    fi
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    grep -q "Address already in use" "$log" || break
done
if ! $started; then
    echo "FAIL - serve does not start: $(head -c 400 "$log")"
    echo "0 passed, 1 failed"
    exit 1
fi
base=http://127.0.0.1:$port

# ---- URL credentials ----
case_start
pw='Sup3r-S3cret-Pw'
token='t0ken-0nly-S3cret'
closed_port=$((rx_port + 1)) # nothing listens there in the common case; "refused" or "reset"
# shellcheck disable=SC2016 # $i is a GraphQL variable
mutation_create='mutation c($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i) { webhookTarget { id url } error { code message } } }'
create_target() { # URL: prints the new target's id
    local vars
    vars=$(jq -nc --arg u "$1" '{i: {url: $u, eventSubscriptions: [{eventType: "customer.customer_created"}], isEnabled: true, description: "sec"}}')
    gql "$(jq -nc --arg q "$mutation_create" --argjson v "$vars" '{query: $q, variables: $v}')" \
        >/dev/null
    jq -r '.data.createWebhookTarget.webhookTarget.id // empty' "$tmp/body"
}
t_ok=$(create_target "http://hookuser:$pw@127.0.0.1:$rx_port/ok")
check "createWebhookTarget answers the URL masked" \
    jq_eq .data.createWebhookTarget.webhookTarget.url "http://hookuser:***@127.0.0.1:$rx_port/ok"
t_fail=$(create_target "http://hookuser:$pw@127.0.0.1:$rx_port/fail")
t_refused=$(create_target "http://hookuser:$pw@127.0.0.1:$closed_port/refused")
t_dns=$(create_target "http://hookuser:$pw@no-such-host.invalid/x")
t_token=$(create_target "http://$token@127.0.0.1:$rx_port/fail-token")
check "the token-only URL is masked as ***@" \
    jq_eq .data.createWebhookTarget.webhookTarget.url "http://***@127.0.0.1:$rx_port/fail-token"
t_enc=$(create_target "http://hookuser:p%40ss-Enc0ded-Pw@127.0.0.1:$rx_port/ok-enc")
for t in "$t_ok" "$t_fail" "$t_refused" "$t_dns" "$t_token" "$t_enc"; do
    [ -n "$t" ] || fail "a target was created" "$(cat "$tmp/body")"
done
# an event for every target, then let the attempts (3 each for failures) run out
gql '{"query":"mutation { upsertCustomer(input: { identifier: { emailAddress: \"sec@example.com\" }, onCreate: { fullName: \"Sec\", email: { email: \"sec@example.com\", isVerified: false } }, onUpdate: {} }) { result } }"}' >/dev/null
# shellcheck disable=SC2016 # $t is a GraphQL variable
deliveries_doc='query d($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { status attemptCount attempts { error statusCode responseExcerpt } } } } }'
settled() { # TARGET WANT_STATUS
    gql "$(jq -nc --arg q "$deliveries_doc" --arg t "$1" '{query: $q, variables: {t: $t}}')" \
        >/dev/null
    jq_eq '.data.hookdWebhookDeliveries.edges[0].node.status' "$2"
}
for _ in $(seq 1 100); do
    if settled "$t_ok" SUCCEEDED && settled "$t_enc" SUCCEEDED && settled "$t_fail" FAILED &&
        settled "$t_refused" FAILED && settled "$t_dns" FAILED && settled "$t_token" FAILED; then
        break
    fi
    sleep 0.1
done
check "a failing target's delivery failed after 3 attempts" settled "$t_fail" FAILED
check "  with attempt errors recorded" jq_eq '.data.hookdWebhookDeliveries.edges[0].node.attempts | length' 3
check "the refused-connection target's delivery failed" settled "$t_refused" FAILED
check "the unresolvable target's delivery failed" settled "$t_dns" FAILED
check "the credentials reached the receiver as Basic auth" \
    grep -qF "\"auth\":\"Basic $(printf 'hookuser:%s' "$pw" | base64 -w0)\"" "$tmp/rx.log"
check "percent-encoded credentials are decoded for Basic auth" \
    grep -qF "\"auth\":\"Basic $(printf 'hookuser:p@ss-Enc0ded-Pw' | base64 -w0)\"" "$tmp/rx.log"
gql '{"query":"{ webhookTargets { edges { node { id url } } } }"}' >/dev/null
check "webhookTargets lists every URL masked" \
    jq_eq '[.data.webhookTargets.edges[].node.url | select(test("\\*\\*\\*@"))] | length' 6
gql "$(jq -nc --arg t "$t_fail" '{query: "query q($t: ID!) { webhookTarget(webhookTargetId: $t) { url } }", variables: {t: $t}}')" >/dev/null
check "webhookTarget answers the URL masked" jq_eq .data.webhookTarget.url \
    "http://hookuser:***@127.0.0.1:$rx_port/fail"
gql "$(jq -nc --arg t "$t_fail" '{query: "mutation u($t: ID!) { updateWebhookTarget(input: { webhookTargetId: $t, description: { value: \"changed\" } }) { webhookTarget { url } } }", variables: {t: $t}}')" >/dev/null
check "updateWebhookTarget answers the URL masked" jq_eq .data.updateWebhookTarget.webhookTarget.url \
    "http://hookuser:***@127.0.0.1:$rx_port/fail"
for t in "$t_refused" "$t_dns" "$t_token"; do
    settled "$t" FAILED || true
done
absent "the password is in no API answer (targets, deliveries, attempt errors)" "$pw" "$answers"
absent "the token-only credential is in no API answer" "$token" "$answers"
absent "the encoded password is in no API answer" "Enc0ded-Pw" "$answers"
absent "the password is not logged (debug log, delivery errors included)" "$pw" "$log"
absent "the token-only credential is not logged" "$token" "$log"
absent "the encoded password is not logged" "Enc0ded-Pw" "$log"
absent "the Basic header value is not logged" "$(printf 'hookuser:%s' "$pw" | base64 -w0)" "$log"
check "the log does show the delivery failures (so there was something to mask)" \
    grep -qE "delivery of .* failed for good" "$log"
case_report "URL credentials masked in API answers, delivery errors and debug logs"

# ---- the HMAC secret ----
case_start
gql '{"query":"mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret } error { code } } }"}' >/dev/null
secret=$(jq -r '.data.regenerateWorkspaceHmac.workspaceHmac.hmacSecret // empty' "$tmp/body")
check "regenerateWorkspaceHmac answers a 64-hex secret" grep -qE '^[0-9a-f]{64}$' <<<"$secret"
cp "$answers" "$tmp/answers.before_read"
gql '{"query":"{ workspaceHmac { hmacSecret } }"}' >/dev/null
check "workspaceHmac (workspaceHmac:read) reads it" jq_eq .data.workspaceHmac.hmacSecret "$secret"
# deliveries signed with it, to a receiver, while logging at debug
before=$(grep -c '"path":"/ok"' "$tmp/rx.log" || true)
gql '{"query":"mutation { upsertCustomer(input: { identifier: { emailAddress: \"sec2@example.com\" }, onCreate: { fullName: \"Sec2\", email: { email: \"sec2@example.com\", isVerified: false } }, onUpdate: {} }) { result } }"}' >/dev/null
for _ in $(seq 1 100); do
    [ "$(grep -c '"path":"/ok"' "$tmp/rx.log" || true)" -gt "$before" ] && break
    sleep 0.05
done
check "a signed delivery went out" \
    grep -qE '"path":"/ok","auth":"[^"]*","sig":"[0-9a-f]{64}"' "$tmp/rx.log"
# every other answer: targets, deliveries (with attempts), customers, workspace
gql '{"query":"{ myWorkspace { id name } customers { edges { node { id } } } webhookTargets { edges { node { url } } } }"}' >/dev/null
gql "$(jq -nc --arg q "$deliveries_doc" --arg t "$t_ok" '{query: $q, variables: {t: $t}}')" >/dev/null
grep -vF "\"hmacSecret\":\"$secret\"" "$answers" >"$tmp/answers.other" || true
absent "the secret is in no answer but regenerate/workspaceHmac" "$secret" "$tmp/answers.other"
absent "the HMAC secret is not logged" "$secret" "$log" "$tmp/boot.log"
case_report "HMAC secret: readable through workspaceHmac only, never logged"

# ---- API keys ----
case_start
wrong="hkey_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
status=$(gql '{"query":"{ myWorkspace { id } }"}' "$wrong")
check "a wrong key is 401" [ "$status" = 401 ]
status=$(gql '{"query":"{ myWorkspace { id } }"}' "$key")
check "the bootstrap key works" [ "$status" = 200 ]
check "bootstrap prints the key once, on stdout" [ "$(grep -oF "$key" "$tmp/boot" | wc -l)" = 1 ]
absent "the API key is in no API answer" "$key" "$answers"
absent "the API key's SHA-256 is in no API answer" "$key_hash" "$answers"
absent "the API key is not logged (serve, debug)" "$key" "$log"
absent "the API key is not logged (bootstrap, debug)" "$key" "$tmp/boot.log"
absent "the API key's SHA-256 is not logged" "$key_hash" "$log" "$tmp/boot.log"
absent "a refused key is not logged" "$wrong" "$log"
absent "no Authorization header value is logged" "Bearer hkey_" "$log"
check "the log has debug lines (the most verbose level was on)" grep -q "DEBUG" "$log"
case_report "API keys never returned after creation and never logged (debug level)"

# ---- limits ----
# limit NAME WANT_STATUS CODE_ERE: checks the last answer ($status, $tmp/body)
limit() {
    if [ "$status" = "$2" ] && grep -qE -- "$3" "$tmp/body"; then
        pass "$1"
    else
        fail "$1" "status $status, wanted $2 and $3" "body: $(head -c 300 "$tmp/body")"
    fi
}
alive() {
    local s
    s=$(gql '{"query":"{ myWorkspace { id } }"}')
    [ "$s" = 200 ]
}

case_start
{ head -c $((1024 * 1024)) /dev/zero | tr '\0' ' '; printf '{"query":"{ myWorkspace { id } }"}'; } >"$tmp/big"
status=$(gql "@$tmp/big")
limit "a body over 1 MiB is 413" 413 '"PAYLOAD_TOO_LARGE"'
check "the server answers after it" alive
case_report "limit: request body over 1 MiB is 413 PAYLOAD_TOO_LARGE"

case_start
doc=$(printf '{ myWorkspace { id } }%*s' 70000 '')
status=$(gql "$(jq -nc --arg q "$doc" '{query: $q}')")
limit "a 70 KB GraphQL document (past 64 KiB) is 400 GRAPHQL_PARSE_FAILED" 400 'GRAPHQL_PARSE_FAILED'
ids=$(for _ in $(seq 1 10001); do printf 'id '; done)
status=$(gql "{\"query\":\"{ myWorkspace { $ids } }\"}")
limit "10 001 tokens is 400 GRAPHQL_PARSE_FAILED" 400 'GRAPHQL_PARSE_FAILED'
ids=$(for _ in $(seq 1 100); do printf 'id '; done)
status=$(gql "{\"query\":\"{ myWorkspace { $ids } }\"}")
limit "100 repeated fields are fine (200)" 200 '"myWorkspace"'
check "the server answers after them" alive
case_report "limit: document size and token count (10 000)"

case_start
open='' close=''
for _ in $(seq 1 10); do
    open="$open createdBy { ... on MachineUserActor { machineUser {"
    close="$close } } }"
done
status=$(gql "{\"query\":\"{ myWorkspace { createdBy { ... on MachineUserActor { machineUser {$open id$close } } } } }\"}")
limit "selection sets nested past depth 15 are 400 GRAPHQL_VALIDATION_FAILED" 400 \
    'GRAPHQL_VALIDATION_FAILED'
nest=$(printf '{ a%.0s' $(seq 1 5000))
status=$(gql "{\"query\":\"$nest\"}")
limit "5000 nested braces are refused (400), no stack overflow" 400 'GRAPHQL_(PARSE|VALIDATION)_FAILED'
check "the server answers after them" alive
case_report "limit: query depth (15) and parser nesting"

case_start
aliases=$(for i in $(seq 1 31); do printf 'a%d: myWorkspace { id } ' "$i"; done)
status=$(gql "{\"query\":\"{ $aliases }\"}")
limit "31 aliases are 400 GRAPHQL_VALIDATION_FAILED" 400 'GRAPHQL_VALIDATION_FAILED'
aliases=$(for i in $(seq 1 30); do printf 'a%d: myWorkspace { id } ' "$i"; done)
status=$(gql "{\"query\":\"{ $aliases }\"}")
limit "30 aliases are fine" 200 '"a30"'
frag='fragment F on Customer { id fullName email { email } }'
aliases=$(for i in $(seq 1 30); do printf 'c%d: customers(first: 100) { edges { node { ...F } } } ' "$i"; done)
status=$(gql "{\"query\":\"{ $aliases } $frag\"}")
limit "30 aliased 100-customer pages are answered within the list cap" 200 '"c30"'
case_report "limit: aliases (30)"

case_start
# a group with one member, found among 9 999 keys / ids that match nothing
gql '{"query":"mutation { createCustomerGroup(input: { name: \"VIP\", key: \"sec-vip\", color: \"#123456\" }) { customerGroup { id } } }"}' >/dev/null
vip=$(jq -r '.data.createCustomerGroup.customerGroup.id // empty' "$tmp/body")
gql '{"query":"{ customerByEmail(email: \"sec@example.com\") { id } }"}' >/dev/null
member=$(jq -r '.data.customerByEmail.id // empty' "$tmp/body")
gql "$(jq -nc --arg c "$member" --arg g "$vip" '{query: "mutation a($c: ID!, $g: ID!) { addCustomerToCustomerGroups(input: { customerId: $c, customerGroupIdentifiers: [{ customerGroupId: $g }] }) { error { code } } }", variables: {c: $c, g: $g}}')" >/dev/null
list_ms=0
timed_gql() { # FILE: like gql, and adds the time taken to list_ms
    local t0 t1
    t0=$(date +%s%N)
    status=$(gql "@$1")
    t1=$(date +%s%N)
    last_ms=$(((t1 - t0) / 1000000))
    list_ms=$((list_ms > last_ms ? list_ms : last_ms))
}
# List inputs that reach the store hold at most 100 items (one SQL parameter / lookup each):
# 101 is BAD_USER_INPUT (or input_validation for a mutation) naming the field and the limit.
ids_doc='query q($g: [ID!]) { customers(filters: { customerGroupIds: $g }) { edges { node { id } } } }'
jq -nc --arg q "$ids_doc" --arg g "$vip" '{query: $q, variables: {g: ([range(0; 100) | "cg_01ARZ3NDEKTSV4RRFFQ69G5FAV"] + [$g])}}' >"$tmp/list1"
timed_gql "$tmp/list1"
limit "101 group ids are refused (400 BAD_USER_INPUT)" 400 '"BAD_USER_INPUT"'
check "  the error names filters.customerGroupIds and the limit 100" \
    jq_eq '.errors[0].message | test("filters\\.customerGroupIds.*at most 100 items")' true
check "  and lists nothing" jq_eq '.data.customers' null
jq -nc --arg q "$ids_doc" --arg g "$vip" '{query: $q, variables: {g: ([range(0; 99) | "cg_01ARZ3NDEKTSV4RRFFQ69G5FAV"] + [$g])}}' >"$tmp/list2"
timed_gql "$tmp/list2"
check "100 group ids: the one member is found (200)" \
    jq_eq '[.data.customers.edges[].node.id] | join(",")' "$member"
keys_doc='query q($k: [String!]) { customers(filters: { customerGroupKeys: $k }) { edges { node { id } } } }'
jq -nc --arg q "$keys_doc" '{query: $q, variables: {k: ([range(0; 100) | "k\(.)"] + ["sec-vip"])}}' >"$tmp/list3"
timed_gql "$tmp/list3"
limit "101 group keys are refused (400 BAD_USER_INPUT)" 400 '"BAD_USER_INPUT"'
check "  the error names filters.customerGroupKeys and the limit 100" \
    jq_eq '.errors[0].message | test("filters\\.customerGroupKeys.*at most 100 items")' true
jq -nc --arg q "$keys_doc" '{query: $q, variables: {k: ([range(0; 99) | "k\(.)"] + ["sec-vip"])}}' >"$tmp/list4"
timed_gql "$tmp/list4"
check "100 group keys: the one member is found (200)" \
    jq_eq '[.data.customers.edges[].node.id] | join(",")' "$member"
jq -nc '{query: ("{ customers(filters: { customerGroupKeys: [" + ([range(0; 100) | "\"k\(.)\""] | join(", ")) + ", \"sec-vip\"] }) { edges { node { id } } } }")}' >"$tmp/list5"
timed_gql "$tmp/list5"
limit "an inline 101-item list literal is refused (400 BAD_USER_INPUT)" 400 '"BAD_USER_INPUT"'
jq -nc --arg q "$keys_doc" '{query: $q, variables: {k: [range(0; 35000) | "k\(.)"]}}' >"$tmp/list6"
timed_gql "$tmp/list6"
limit "35 000 group keys are refused (400 BAD_USER_INPUT)" 400 '"BAD_USER_INPUT"'
check "  within 2 s (took ${last_ms} ms)" [ "$last_ms" -lt 2000 ]
jq -nc --arg c "$member" '{query: "mutation a($c: ID!, $g: [CustomerGroupIdentifier!]!) { addCustomerToCustomerGroups(input: { customerId: $c, customerGroupIdentifiers: $g }) { error { code fields { field } } } }", variables: {c: $c, g: [range(0; 101) | {customerGroupKey: "sec-vip"}]}}' >"$tmp/list7"
timed_gql "$tmp/list7"
check "101 customerGroupIdentifiers in addCustomerToCustomerGroups: input_validation (200)" \
    jq_eq '.data.addCustomerToCustomerGroups.error | "\(.code) \(.fields[0].field)"' \
    "input_validation customerGroupIdentifiers"
status=$(gql '{"query":"{ customers(first: 101) { edges { node { id } } } }"}')
limit "first: 101 (past the page maximum 100) is refused with BAD_USER_INPUT" 400 'BAD_USER_INPUT'
status=$(gql '{"query":"{ customers(first: -1) { edges { node { id } } } }"}')
limit "first: -1 is refused with BAD_USER_INPUT" 400 'BAD_USER_INPUT'
check "the server answers after them" alive
case_report "limit: list sizes (list arguments refused past 100 items, page size 100; slowest ${list_ms} ms)"

case_start
nested=$(printf '[%.0s' $(seq 1 100000))
status=$(gql "{\"query\":\"{ myWorkspace { id } }\",\"variables\":{\"x\":$nested}}")
limit "100 000 nested JSON arrays in variables are 400" 400 '"errors"'
status=$(gql "{\"query\":\"{ myWorkspace { id } }\",\"query\":\"{ myWorkspace { name } }\"}")
limit "a duplicate JSON key is 400" 400 '"errors"'
check "the server answers after them" alive
case_report "limit: JSON nesting and duplicate keys in the request"

case_start
check "the daemon is still running after every case" kill -0 "$server_pid"
case_report "daemon survives every abusive request"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
