#!/usr/bin/env bash
# hookctl listen against a real "hookd serve" (HOOKD_ALLOW_PRIVATE_TARGETS=1,
# HOOKD_RETRY_SCHEDULE=100ms): receivers on random loopback ports (--port 0) get
# the deliveries of targets pointed at them.
#   A  --json, the workspace's secret from HOOKD_WEBHOOK_SECRET: a customer is
#      created, updated, added to a group, marked as spam and deleted, each
#      event awaited before the next change; A prints one verified line per
#      event, in that order, with the ids hookd reports and the right types,
#      attempt 1, the target, the customer and what changed.
#   B  human output, the secret from --secret: the same events, readable.
#   C  --json with a wrong secret: answers 400, prints bad_signature, and hookd
#      retries (attempts 1, 2; recorded with status 400).
# Also: HTTP details (keep-alive, 405, a body without a signature, a stale
# body, --tolerance none), usage errors, a port in use (1), the secret never
# printed, and SIGTERM / SIGINT ending listen with status 0.
# ctest sets HOOKD_BUILD (the build directory) and HOOKD_SRC (the sources).
set -euo pipefail

build=${HOOKD_BUILD:?set HOOKD_BUILD to the build directory}
src=${HOOKD_SRC:?set HOOKD_SRC to the source directory}
bin=$build/hookd
ctl=$build/hookctl
for exe in "$bin" "$ctl"; do
    [ -x "$exe" ] || { echo "no executable at $exe" >&2; exit 1; }
done
for tool in node curl openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-listen-test.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

trap cleanup EXIT


# Every command is bounded; a hang is exit status 124, a failure.
bounded() { timeout 20 "$@"; }

# hc ARGS...: hookctl; stdout in $tmp/out, stderr in $tmp/err, status in $rc.
hc() {
    rc=0
    bounded "$ctl" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# jsonv EXPR: EXPR over the --json document in $tmp/out (as `d`).
jsonv() {
    node -e '
        const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const v = new Function("d", "return (" + process.argv[2] + ");")(d);
        console.log(typeof v === "string" ? v : JSON.stringify(v));
    ' "$tmp/out" "$1"
}

# check_lines NAME FILE EXPR: passes when EXPR is true over the JSON lines of FILE (as `L`, an
# array; a line that is not JSON fails).
check_lines() {
    local got
    got=$(node -e '
        const text = require("fs").readFileSync(process.argv[1], "utf8");
        const L = text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
        console.log(String(new Function("L", "return (" + process.argv[2] + ");")(L)));
    ' "$2" "$3" 2>&1) || true
    if [ "$got" = true ]; then
        pass "$1"
    else
        fail "$1" "$3 is $got" "$(head -c 1500 "$2")"
    fi
}

# wait_lines FILE N [ERE]: waits (at most 10 s) until FILE has at least N lines (that match ERE).
wait_lines() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ "$(grep -cE -- "${3:-.}" "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

healthz_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/healthz" || true; }

# start_serve: "hookd serve" on a random loopback port (another one when taken); sets base.
start_serve() {
    local attempt port i pid
    for ((attempt = 0; attempt < 8; attempt++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        HOOKD_ALLOW_PRIVATE_TARGETS=1 HOOKD_RETRY_SCHEDULE=100ms "$bin" serve \
            --data-dir "$tmp/data" --listen "127.0.0.1:$port" --log-level warn \
            2>>"$tmp/serve.log" &
        pid=$!
        started_pids+=("$pid")
        for ((i = 0; i < 200; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if [ "$(healthz_status "http://127.0.0.1:$port")" = 200 ]; then
                base=http://127.0.0.1:$port
                return 0
            fi
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
        grep -q "Address already in use" "$tmp/serve.log" || return 1
    done
    return 1
}

# start_listen NAME ARGS...: hookctl listen --port 0 ARGS in the background; stdout in
# $tmp/NAME.out, stderr in $tmp/NAME.err. Sets listen_pid and listen_url (from the line it
# prints once listening).
start_listen() {
    local name=$1 i
    shift
    : >"$tmp/$name.out"
    : >"$tmp/$name.err" # before the background start: the loop below reads it at once
    "$ctl" listen --port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    listen_pid=$!
    started_pids+=("$listen_pid")
    for ((i = 0; i < 200; i++)); do
        listen_url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/$name.err")
        [ -n "$listen_url" ] && return 0
        kill -0 "$listen_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "listen $name did not start: $(head -c 400 "$tmp/$name.err")" >&2
    return 1
}

# stop NAME PID SIGNAL: sends the signal, waits (at most 5 s) and checks status 0.
stop() {
    local name=$1 pid=$2 sig=$3 i status=0
    kill "-$sig" "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    wait "$pid" || status=$?
    if [ "$status" -eq 0 ] && grep -q 'stopped' "$tmp/$name.err"; then
        pass "$sig stops listen $name with status 0"
    else
        fail "$sig stops listen $name with status 0" "status $status" \
            "$(tail -c 300 "$tmp/$name.err")"
    fi
}

# post URL SECRET FILE: POSTs FILE signed with SECRET; prints the status code (000: none).
post() {
    local sig
    sig=$(openssl dgst -sha256 -hmac "$2" <"$3" | sed 's/^.* //')
    curl -s -o "$tmp/reply" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
        -H "Plain-Request-Signature: $sig" --data-binary "@$3" "$1" || true
}

# ---- set-up ----

bounded "$bin" bootstrap --data-dir "$tmp/data" >"$tmp/boot" 2>"$tmp/err" ||
    { echo "FAIL - bootstrap: $(head -c 400 "$tmp/err")"; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/boot")
start_serve || { echo "FAIL - serve does not start: $(head -c 400 "$tmp/serve.log")"; exit 1; }
export HOOKD_URL=$base/graphql/v1 HOOKD_API_KEY=$key
unset HOOKD_WEBHOOK_SECRET NO_COLOR

hc --json hmac regenerate
secret=$(jsonv 'd.regenerateWorkspaceHmac.workspaceHmac.hmacSecret')
[ -n "$secret" ] || { echo "FAIL - hmac regenerate: $(cat "$tmp/out" "$tmp/err")"; exit 1; }

# ---- help and usage ----

hc --help
if [ "$rc" -eq 0 ] && grep -q 'hookctl listen --port P' "$tmp/out" &&
    grep -q 'HOOKD_WEBHOOK_SECRET' "$tmp/out"; then
    pass "hookctl --help lists listen and its environment variable"
else
    fail "hookctl --help lists listen and its environment variable" "$(head -c 300 "$tmp/out")"
fi
hc listen --help
if [ "$rc" -eq 0 ] && grep -q '^Usage: hookctl listen --port P' "$tmp/out" &&
    grep -q 'Exit status' "$tmp/out" && grep -q -- '--tolerance T' "$tmp/out"; then
    pass "listen --help"
else
    fail "listen --help" "status $rc" "$(head -c 300 "$tmp/out")"
fi
rc=0
env -u HOOKD_API_KEY -u HOOKD_WEBHOOK_SECRET timeout 20 "$ctl" listen --port 0 \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 2 ] && grep -q 'no secret' "$tmp/err"; then
    pass "listen without a secret is a usage error (2), and asks for no API key"
else
    fail "listen without a secret is a usage error (2)" "status $rc: $(cat "$tmp/err")"
fi
for bad in "--port 70000" "--port 0 --secret s --tolerance soon" \
    "--port 0 --secret s --version 1999-01-01" "--secret s"; do
    # shellcheck disable=SC2086 # the words are separate arguments on purpose
    hc listen $bad
    if [ "$rc" -eq 2 ]; then pass "listen $bad: usage error"; else fail "listen $bad" "status $rc"; fi
done

# ---- A (--json) and B (text): every event, verified, in order ----

HOOKD_WEBHOOK_SECRET=$secret start_listen A --json
pid_a=$listen_pid url_a=$listen_url
start_listen B --secret "$secret" --no-color
pid_b=$listen_pid url_b=$listen_url
case $url_a in http://127.0.0.1:*) pass "listen binds loopback by default ($url_a)" ;;
*) fail "listen binds loopback by default" "$url_a" ;; esac

events=(--event customer.customer_created --event customer.customer_updated
    --event customer.customer_deleted --event customer.customer_group_memberships_changed)
hc --json targets create --url "$url_a" "${events[@]}"
target_a=$(jsonv 'd.createWebhookTarget.webhookTarget.id')
hc --json targets create --url "$url_b" "${events[@]}"
target_b=$(jsonv 'd.createWebhookTarget.webhookTarget.id')

# step N HOOKCTL-ARGS...: one change, then its event awaited at A and B.
step() {
    local n=$1
    shift
    hc "$@"
    [ "$rc" -eq 0 ] || fail "hookctl $*" "status $rc: $(head -c 300 "$tmp/err")"
    wait_lines "$tmp/A.out" "$n" || fail "event $n reaches A" "$(tail -c 600 "$tmp/A.out")"
    wait_lines "$tmp/B.out" "$n" '^[0-9]{2}:' || fail "event $n reaches B" "$(cat "$tmp/B.out")"
}
step 1 --json customers upsert --email ann@example.com --full-name "Ann Example"
ann=$(jsonv 'd.upsertCustomer.customer.id')
step 2 customers upsert --email ann@example.com --full-name "Ann Changed" --verified
hc groups create --name VIP --key vip --color '#D66258'
step 3 groups add-customer "$ann" --group-key vip
step 4 customers mark-spam "$ann"
step 5 customers delete "$ann"

hc --json deliveries list "$target_a"
jsonv 'd.hookdWebhookDeliveries.edges.map(e => e.node.eventId).join(",")' >"$tmp/ids"
ids=$(cat "$tmp/ids")
types="customer.customer_created,customer.customer_updated,"
types+="customer.customer_group_memberships_changed,customer.customer_updated,"
types+="customer.customer_deleted"
check_lines "A: five lines, all verified and answered 200" "$tmp/A.out" \
    "L.length === 5 && L.every(l => l.verified === true && l.status === 200)"
check_lines "A: the event types in the order of the changes" "$tmp/A.out" \
    "L.map(l => l.eventType).join() === '$types'"
check_lines "A: the event ids hookd reports, in order" "$tmp/A.out" \
    "L.map(l => l.eventId).join() === '$ids'"
check_lines "A: attempt 1, target A, customer ann everywhere" "$tmp/A.out" \
    "L.every(l => l.attempt === 1 && l.targetId === '$target_a' && l.customerId === '$ann' && l.customerEmail === 'ann@example.com')"
check_lines "A: what changed in each update" "$tmp/A.out" \
    "L[1].changed.join() === 'email.isVerified,fullName' && L[3].changed.join() === 'markedAsSpamAt'"
check_lines "A: the group added" "$tmp/A.out" "L[2].changeType === 'ADDED' && L[2].groupKey === 'vip'"
check_lines "A: receivedAt is an ISO-8601 time" "$tmp/A.out" \
    "L.every(l => /^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\$/.test(l.receivedAt))"

# B's text: the first line of each event, then the customer and the changes.
b_expect=("^[0-9]{2}:[0-9]{2}:[0-9]{2}  200  customer.customer_created  pEv_[0-9A-Z]+  attempt 1  $target_b\$"
    '^ +ann@example.com  Ann Example  c_'
    '^ +full name: "Ann Example" -> "Ann Changed"$'
    '^ +email verified: no -> yes$'
    '^ +added to group vip \(VIP\)$'
    '^ +spam: no -> yes$'
    "^ +ann@example.com  Ann Changed  $ann  \\(deleted\\)$")
b_ok=true
for re in "${b_expect[@]}"; do
    grep -qE -- "$re" "$tmp/B.out" || { b_ok=false; fail "B's text matches $re" "$(cat "$tmp/B.out")"; }
done
[ "$b_ok" = true ] && pass "B prints each event for people (time, status, type, id, attempt, customer, changes)"
if grep -q $'\e' "$tmp/A.out" "$tmp/B.out"; then
    fail "no colour escapes when stdout is not a terminal"
else
    pass "no colour escapes when stdout is not a terminal"
fi

# ---- HTTP details, against A ----

n_a=$(wc -l <"$tmp/A.out")
codes=$(curl -s -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' --max-time 5 \
    -X POST --data '{}' "$url_a" "$url_a" | tr '\n' ' ' || true)
if [ "$codes" = "400 1 400 0 " ]; then
    pass "unsigned bodies get 400, on one kept-alive connection"
else
    fail "unsigned bodies get 400, on one kept-alive connection" "$codes"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url_a" || true)
if [ "$code" = 405 ]; then pass "GET gets 405"; else fail "GET gets 405" "$code"; fi
# Plain's example body of 2023 (its version is not one hookd serves), and the same with the
# latest version: correctly signed, but stale.
example=$src/tests/data/plain/webhook-examples/customer-created.json
hc --json versions
latest=$(jsonv 'd.webhookVersions.edges.find(e => e.node.isLatest).node.version')
sed "s/\"webhookTargetVersion\": \"[^\"]*\"/\"webhookTargetVersion\": \"$latest\"/" "$example" \
    >"$tmp/old.json"
code=$(post "$url_a" "$secret" "$tmp/old.json")
if [ "$code" = 400 ] && grep -q 'tolerance' "$tmp/reply"; then
    pass "a correctly signed body of 2023 is refused as stale, with the reason"
else
    fail "a correctly signed body of 2023 is refused as stale" "$code $(cat "$tmp/reply")"
fi
wait_lines "$tmp/A.out" $((n_a + 4)) || true
check_lines "A prints the refusals with the library's codes" "$tmp/A.out" \
    "L.slice($n_a).map(l => l.status + ':' + l.error).join() === '400:bad_signature,400:bad_signature,405:http,400:stale_timestamp'"
n_a=$(wc -l <"$tmp/A.out")

start_listen E --json --secret "$secret" --tolerance none --version "$latest"
pid_e=$listen_pid url_e=$listen_url
code_old=$(post "$url_e" "$secret" "$tmp/old.json")
code_other=$(post "$url_e" "$secret" "$example")
wait_lines "$tmp/E.out" 2 || true
if [ "$code_old" = 200 ] && [ "$code_other" = 400 ]; then
    pass "--tolerance none accepts the old body; --version refuses another version"
else
    fail "--tolerance none accepts the old body; --version refuses another version" \
        "$code_old $code_other"
fi
check_lines "E prints the example's event, then version_mismatch" "$tmp/E.out" \
    "L.length === 2 && L[0].verified && L[0].eventId === 'pEv_01HD44FHDPMZ3YJB5GEB1EZKQV' && L[0].customerEmail === 'peter@example.com' && L[1].error === 'version_mismatch'"

# ---- colours on a terminal ----

if command -v script >/dev/null; then
    # script(1) runs listen on a pseudo-terminal and copies what it writes to tty.log; the
    # secret goes through the environment, so that the log's header cannot hold it.
    HOOKD_WEBHOOK_SECRET=$secret script -qefc "'$ctl' listen --port 0 --tolerance none" \
        "$tmp/tty.log" >/dev/null 2>&1 &
    pid_tty=$!
    started_pids+=("$pid_tty")
    url_tty=
    for ((i = 0; i < 200; i++)); do
        url_tty=$({ sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/tty.log" 2>/dev/null ||
            true; } | tr -d '\r')
        [ -n "$url_tty" ] && break
        sleep 0.05
    done
    code=$(post "$url_tty" "$secret" "$tmp/old.json")
    wait_lines "$tmp/tty.log" 1 'customer.customer_created' || true
    if [ "$code" = 200 ] && grep -q $'\e\\[32m200' "$tmp/tty.log"; then
        pass "colours on a terminal"
    else
        fail "colours on a terminal" "$code" "$(cat -v "$tmp/tty.log" | head -5)"
    fi
    kill -TERM "$pid_tty"
    status=0
    wait "$pid_tty" || status=$?
    if [ "$status" -eq 0 ]; then
        pass "SIGTERM on a terminal: status 0"
    else
        fail "SIGTERM on a terminal: status 0" "status $status"
    fi
else
    echo "skip - colours on a terminal (no script(1))"
fi

# ---- C: the wrong secret; hookd retries ----

start_listen C --json --secret "not-the-$secret"
pid_c=$listen_pid url_c=$listen_url
hc --json targets create --url "$url_c" --event customer.customer_created
target_c=$(jsonv 'd.createWebhookTarget.webhookTarget.id')
hc --json customers upsert --email bob@example.com --full-name Bob
wait_lines "$tmp/C.out" 2 || true
sleep 0.5 # a third attempt would come 100 ms after the second; the schedule allows none
check_lines "C: every attempt is refused as bad_signature with the library's message" "$tmp/C.out" \
    "L.length === 2 && L.every(l => l.verified === false && l.status === 400 && l.error === 'bad_signature' && l.message.length > 0)"
check_lines "C: hookd retried: attempts 1 then 2 of one event" "$tmp/C.out" \
    "L.map(l => l.attempt).join() === '1,2' && L[0].eventId === L[1].eventId && /^pEv_/.test(L[0].eventId)"
event_c=$(node -pe 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).eventId' "$tmp/C.out")
# hookd records an attempt once it has the answer, a little after listen printed it: wait
# (up to 10 s, an instrumented build is slow) until both are recorded.
for _ in $(seq 100); do
    hc --json deliveries attempts "$target_c" "$event_c"
    attempts=$(jsonv 'd.hookdWebhookDeliveries.edges[0].node.attempts.map(a => a.statusCode).join()')
    [ "$attempts" = "400,400" ] && break
    sleep 0.1
done
if [ "$attempts" = "400,400" ]; then
    pass "hookd recorded both attempts with status 400"
else
    fail "hookd recorded both attempts with status 400" "$attempts"
fi
wait_lines "$tmp/A.out" $((n_a + 1)) || true
check_lines "A still verifies the same event (right secret)" "$tmp/A.out" \
    "L[L.length - 1].verified && L[L.length - 1].customerEmail === 'bob@example.com'"

# ---- binding ----

port_a=${url_a##*:}
port_a=${port_a%/}
hc listen --port "$port_a" --secret s
if [ "$rc" -eq 1 ] && grep -q 'cannot listen' "$tmp/err"; then
    pass "a port in use is status 1"
else
    fail "a port in use is status 1" "status $rc: $(cat "$tmp/err")"
fi
start_listen D --secret s --host 0.0.0.0
pid_d=$listen_pid
if grep -q 'not a loopback address' "$tmp/D.err"; then
    pass "--host 0.0.0.0 is allowed, with a warning"
else
    fail "--host 0.0.0.0 is allowed, with a warning" "$(cat "$tmp/D.err")"
fi

# ---- --forward-to: verified deliveries go on to an application ----

# The application: answers 500 to its first request, then 200; records each request.
cat >"$tmp/app.mjs" <<'EOF'
import http from "node:http";
import fs from "node:fs";
let n = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    n++;
    fs.appendFileSync(process.argv[3], JSON.stringify({ path: req.url, headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8") }) + "\n");
    res.writeHead(n === 1 ? 500 : 200, { "content-type": "text/plain" });
    res.end(n === 1 ? "app says no" : "app ok");
  });
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[2], String(server.address().port)));
EOF
: >"$tmp/app.log"
node "$tmp/app.mjs" "$tmp/app.port" "$tmp/app.log" &
started_pids+=("$!")
for ((i = 0; i < 200; i++)); do [ -s "$tmp/app.port" ] && break; sleep 0.05; done
app=http://127.0.0.1:$(cat "$tmp/app.port")/app
start_listen F --json --secret "$secret" --forward-to "$app"
pid_f=$listen_pid url_f=$listen_url
if grep -q "forwarding verified deliveries to $app" "$tmp/F.err"; then
    pass "listen --forward-to says where it forwards"
else
    fail "listen --forward-to says where it forwards" "$(cat "$tmp/F.err")"
fi
hc --json targets create --url "$url_f" --event customer.customer_created
target_f=$(jsonv 'd.createWebhookTarget.webhookTarget.id')
hc customers upsert --email fwd@example.com --full-name "Forward Me"
wait_lines "$tmp/F.out" 2 || fail "two attempts reach F" "$(cat "$tmp/F.out")"
check_lines "F: the application's 500 is hookd's answer, then its 200 (hookd retried)" \
    "$tmp/F.out" "L.length === 2 && L[0].status === 500 && L[0].forward.status === 500 && L[1].status === 200 && L[1].forward.status === 200 && L[1].attempt === 2"
check_lines "the application got both, with the body and Plain's headers as sent" "$tmp/app.log" \
    "L.length === 2 && L.every(r => r.path === '/app' && JSON.parse(r.body).type === 'customer.customer_created' && /^[0-9a-f]{64}\$/.test(r.headers['plain-request-signature']) && r.headers['plain-webhook-target-id'] === '$target_f' && r.headers['content-type'] === 'application/json') && L[1].headers['plain-webhook-delivery-attempt-number'] === '2'"
# Recorded once hookd has the answer, a little after listen printed it (see C).
for _ in $(seq 100); do
    hc --json deliveries list "$target_f"
    [ "$(jsonv 'd.hookdWebhookDeliveries.edges[0].node.status')" = SUCCEEDED ] && break
    sleep 0.1
done
if [ "$(jsonv 'd.hookdWebhookDeliveries.edges[0].node.status')" = SUCCEEDED ]; then
    pass "hookd recorded the delivery succeeded on its second attempt"
else
    fail "hookd recorded the delivery succeeded" "$(head -c 400 "$tmp/out")"
fi
# Unverified: answered 400, never forwarded.
printf '{"not":"plain"}' >"$tmp/bad.json"
code=$(post "$url_f" wrong-secret "$tmp/bad.json")
check_lines "an unverified request is not forwarded" "$tmp/app.log" "L.length === 2"
[ "$code" = 400 ] && pass "... and answered 400" || fail "unverified answered 400" "got $code"
# No application: 502, so that hookd retries.
dead=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
start_listen G --json --secret "$secret" --forward-to "http://127.0.0.1:$dead/app" \
    --forward-timeout 2s
pid_g=$listen_pid url_g=$listen_url
hc targets create --url "$url_g" --event customer.customer_created
hc customers upsert --email fwd2@example.com --full-name "Forward Nowhere"
wait_lines "$tmp/G.out" 1 || fail "an attempt reaches G" "$(cat "$tmp/G.out")"
check_lines "no application: 502 to hookd, with the reason" "$tmp/G.out" \
    "L[0].status === 502 && L[0].forward.status === null && /refused|connect/i.test(L[0].forward.error)"
hc listen --port 0 --secret s --forward-to ftp://x/
[ "$rc" -eq 2 ] && pass "--forward-to needs an http(s) URL (2)" || fail "--forward-to ftp" "status $rc"
hc listen --port 0 --secret s --forward-timeout 1s
[ "$rc" -eq 2 ] && pass "--forward-timeout alone is a usage error (2)" ||
    fail "--forward-timeout alone" "status $rc"

# ---- stopping, and the secret never printed ----

stop A "$pid_a" TERM
stop B "$pid_b" INT
stop C "$pid_c" TERM
stop D "$pid_d" TERM
stop E "$pid_e" TERM
stop F "$pid_f" TERM
stop G "$pid_g" TERM
if grep -qF -- "$secret" "$tmp"/[A-G].out "$tmp"/[A-G].err "$tmp"/tty.log 2>/dev/null; then
    fail "the secret never appears in listen's output"
else
    pass "the secret never appears in listen's output"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
