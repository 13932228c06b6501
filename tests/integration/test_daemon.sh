#!/usr/bin/env bash
# The hookd executable end to end: bootstrap, serve, the command line, a
# graceful stop on SIGTERM, and the `make run` flow of scripts/run.sh.
# ctest sets HOOKD_BUILD (the build directory) and HOOKD_SRC (the sources).
set -euo pipefail

build=${HOOKD_BUILD:?set HOOKD_BUILD to the build directory}
src=${HOOKD_SRC:?set HOOKD_SRC to the source directory}
bin=$build/hookd
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-daemon-test.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

trap cleanup EXIT


# check NAME CMD...: passes when CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}

# check_output NAME ERE FILE: passes when FILE has a line matching ERE.
check_output() {
    if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1" "output: $(head -c 400 "$3")"; fi
}

matches() { [[ $1 =~ $2 ]]; }

# Foreground commands are bounded too: a hang becomes exit status 124, a failure.
TIMEOUT="timeout 15"

# expect_status NAME WANT CMD...: runs CMD (output to $tmp/out, $tmp/err), checks its status.
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

http_status() { # METHOD URL
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${curl_tls[@]}" -X "$1" "$2" || true
}
curl_tls=()    # extra curl arguments while an HTTPS server is under test (--cacert)
ready_scheme=http

# wait_ready PID PORT: true once /healthz answers 200; false if PID exits or 10 s pass.
wait_ready() {
    local pid=$1 port=$2 i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(http_status GET "$ready_scheme://127.0.0.1:$port/healthz")" = 200 ] && return 0
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

# start_on_free_port OUT ERR CMD...: runs "CMD 127.0.0.1:PORT" in the background on a random
# loopback port, trying another port when that one is taken. Sets server_pid and server_port.
# OUT and ERR collect the output of every attempt: run.sh shows its key only on the first.
start_on_free_port() {
    local out=$1 err=$2 attempt port
    shift 2
    : >"$out"
    : >"$err"
    for ((attempt = 0; attempt < 8; attempt++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        "$@" "127.0.0.1:$port" >>"$out" 2>>"$err" &
        server_pid=$!
        started_pids+=("$server_pid")
        if wait_ready "$server_pid" "$port"; then
            server_port=$port
            return 0
        fi
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        grep -q "Address already in use" "$err" || return 1
    done
    return 1
}

id_re='^w_[0-9A-HJKMNP-TV-Z]{26}$'
key_re='^hkey_[A-Za-z0-9_-]{43}$'
line_re='^\{"workspaceId":"([^"]*)","apiKey":"([^"]*)"\}$'

# ---- bootstrap ----

bootstrap_once() { # DATA_DIR: sets boot_id and boot_key
    boot_id=
    boot_key=
    local rc=0
    $TIMEOUT "$bin" bootstrap --data-dir "$1" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" -ne 0 ] || [ "$(wc -l <"$tmp/out")" -ne 1 ]; then
        return 1
    fi
    local line
    line=$(cat "$tmp/out")
    [[ $line =~ $line_re ]] || return 1
    boot_id=${BASH_REMATCH[1]}
    boot_key=${BASH_REMATCH[2]}
}

data=$tmp/data
if bootstrap_once "$data"; then
    first_id=$boot_id first_key=$boot_key
    pass "bootstrap prints one JSON line {workspaceId, apiKey}"
else
    first_id='' first_key=''
    fail "bootstrap prints one JSON line {workspaceId, apiKey}" "stdout: $(head -c 400 "$tmp/out")" \
        "stderr: $(head -c 400 "$tmp/err")"
fi
check "workspace id is w_ + ULID" matches "$first_id" "$id_re"
check "API key is hkey_ + 43 base64url" matches "$first_key" "$key_re"
check "bootstrap creates DATA_DIR/hookd.db" test -e "$data/hookd.db"

if bootstrap_once "$data" && [[ $boot_id =~ $id_re ]] && [[ $boot_key =~ $key_re ]] &&
    [ "$boot_id" != "$first_id" ] && [ "$boot_key" != "$first_key" ]; then
    pass "a second bootstrap creates another workspace and key"
else
    fail "a second bootstrap creates another workspace and key" "ids '$first_id' '$boot_id'"
fi

if HOOKD_DATA_DIR=$tmp/env-data $TIMEOUT "$bin" bootstrap >/dev/null 2>"$tmp/err" &&
    [ -e "$tmp/env-data/hookd.db" ]; then
    pass "HOOKD_DATA_DIR is used without --data-dir"
else
    fail "HOOKD_DATA_DIR is used without --data-dir" "stderr: $(head -c 400 "$tmp/err")"
fi

touch "$tmp/not-a-dir"
expect_status "a data dir that cannot be created exits 1" 1 \
    "$bin" bootstrap --data-dir "$tmp/not-a-dir/sub"

# ---- the command line ----

for args in "--help" "help" "help serve" "bootstrap --help" "serve --help" "serve -h"; do
    # shellcheck disable=SC2086 # split on purpose
    expect_status "hookd $args exits 0" 0 "$bin" $args
    check_output "hookd $args prints usage on stdout" "^Usage: hookd" "$tmp/out"
done
expect_status "hookd --version exits 0" 0 "$bin" --version
expect_status "an unknown flag exits 2" 2 "$bin" serve --data-dir "$data" --bogus
check_output "a usage error points to --help" "serve --help" "$tmp/err"
expect_status "an unknown command exits 2" 2 "$bin" frobnicate
expect_status "a flag without its value exits 2" 2 "$bin" bootstrap --data-dir
expect_status "a bad log level exits 2" 2 "$bin" bootstrap --data-dir "$data" --log-level loud
expect_status "serve without a data dir exits 2" 2 env -u HOOKD_DATA_DIR "$bin" serve
expect_status "a listen address without a host exits 2" 2 "$bin" serve --data-dir "$data" \
    --listen :8080

# ---- serve ----

if start_on_free_port "$tmp/serve.out" "$tmp/serve.err" \
    env HOOKD_LISTEN=256.0.0.1:1 "$bin" serve --data-dir "$data" --listen; then
    pid=$server_pid port=$server_port
    pass "serve answers GET /healthz 200 (and --listen wins over HOOKD_LISTEN)"
    base=http://127.0.0.1:$port

    body=$(curl -s --max-time 2 "$base/healthz" || true)
    check "/healthz body is {\"status\":\"ok\"}" test "$body" = '{"status":"ok"}'
    ctype=$(curl -s -o /dev/null -w '%{content_type}' --max-time 2 "$base/healthz" || true)
    check "/healthz is application/json" test "$ctype" = application/json
    check "an unknown path is 404" test "$(http_status GET "$base/nope")" = 404
    check "POST /healthz is 405" test "$(http_status POST "$base/healthz")" = 405

    curl -s --max-time 2 -o "$tmp/metrics.txt" "$base/metrics" || true
    ctype=$(curl -s -o /dev/null -w '%{content_type}' --max-time 2 "$base/metrics" || true)
    check "/metrics is Prometheus' text format" \
        test "$ctype" = "text/plain; version=0.0.4; charset=utf-8"
    check_output "/metrics says the store is healthy" '^hookd_store_healthy 1$' "$tmp/metrics.txt"
    check_output "/metrics counts the answers sent so far" \
        '^hookd_http_responses_total\{code="2xx"\} [1-9]' "$tmp/metrics.txt"
    check_output "/metrics has the delivery backlog" '^hookd_delivery_lag_seconds 0\.000$' \
        "$tmp/metrics.txt"
    check_output "/metrics has the dispatcher's figures" '^hookd_delivery_attempts_total 0$' \
        "$tmp/metrics.txt"
    check "POST /metrics is 405" test "$(http_status POST "$base/metrics")" = 405
    # The line is logged once every server thread has started, which may be after the first
    # answer (seconds later under valgrind): wait for it, at most 10 s.
    for ((i = 0; i < 200; i++)); do
        grep -q "listening on" "$tmp/serve.err" && break
        sleep 0.05
    done
    check_output "serve logs the address it listens on" \
        "listening on http://127\.0\.0\.1:$port" "$tmp/serve.err"

    expect_status "a second serve on the same port exits 1" 1 \
        "$bin" serve --data-dir "$tmp/data2" --listen "127.0.0.1:$port"
    check_output "the bind failure names the address" "127\.0\.0\.1:$port" "$tmp/err"

    kill -TERM "$pid"
    if wait_exit "$pid" 5 && [ "$exit_status" -eq 0 ]; then
        pass "SIGTERM stops serve with status 0 within 5 s"
    else
        fail "SIGTERM stops serve with status 0 within 5 s" "status '${exit_status:-still running}'"
    fi
    check "nothing listens after the stop" test "$(http_status GET "$base/healthz")" = 000
else
    fail "serve answers GET /healthz 200 (and --listen wins over HOOKD_LISTEN)" \
        "log: $(head -c 400 "$tmp/serve.err")"
fi

# ---- scripts/run.sh (make run) ----

shows_new_workspace() { # FILE: the id, the key, the HMAC secret, the warning that it is shown once
    grep -qE "w_[0-9A-HJKMNP-TV-Z]{26}" "$1" && grep -qE "hkey_[A-Za-z0-9_-]{43}" "$1" &&
        grep -qE "HMAC secret: +[0-9a-f]{64}" "$1" && grep -qi "shown once" "$1" &&
        grep -q "development mode" "$1"
}
shows_new_workspace_at_all() { # FILE: any trace of a workspace id or key
    grep -qE "w_[0-9A-HJKMNP-TV-Z]{26}|hkey_" "$1"
}
not() { ! "$@"; }

run_data=$tmp/run-data
run_sh=(bash "$src/scripts/run.sh" "$bin" "$run_data")
for start in first second; do
    if start_on_free_port "$tmp/run.out" "$tmp/run.err" "${run_sh[@]}"; then
        pass "run.sh serves on its $start start"
        kill -TERM "$server_pid"
        wait_exit "$server_pid" 5 || fail "run.sh's server stops on SIGTERM ($start start)"
    else
        fail "run.sh serves on its $start start" "stderr: $(head -c 400 "$tmp/run.err")"
    fi
    if [ "$start" = first ]; then
        check "run.sh shows the workspace id, key and HMAC secret on the first start" \
            shows_new_workspace "$tmp/run.out"
        run_key=$(sed -n 's/^ *API key: *//p' "$tmp/run.out" | head -n 1)
        check_output "run.sh names the dashboard's address" \
            'dashboard at http://127\.0\.0\.1:[0-9]+/ui/' "$tmp/run.err"
    else
        check "run.sh does not bootstrap again on the second start" \
            not shows_new_workspace_at_all "$tmp/run.out"
    fi
done

# make run is for development: a local http:// receiver is a valid target there
if start_on_free_port "$tmp/run.out" "$tmp/run.err" "${run_sh[@]}"; then
    curl -s -o "$tmp/run-target.json" "http://127.0.0.1:$server_port/graphql/v1" \
        -H "Authorization: Bearer $run_key" -H 'Content-Type: application/json' \
        -d '{"query":"mutation { createWebhookTarget(input: {url: \"http://127.0.0.1:9/hook\", eventSubscriptions: [{eventType: \"customer.customer_created\"}], isEnabled: true, description: \"\"}) { webhookTarget { url } error { message } } }"}' || true
    check "make run accepts a local http:// target (development mode)" \
        grep -q '"url":"http://127.0.0.1:9/hook"' "$tmp/run-target.json"
    kill -TERM "$server_pid"
    wait_exit "$server_pid" 5 || fail "run.sh's server stops on SIGTERM (target start)"
else
    fail "run.sh serves for the target check" "stderr: $(head -c 400 "$tmp/run.err")"
fi

# bootstrap --hmac-secret; serve --default-webhook-version
if out=$($TIMEOUT "$bin" bootstrap --data-dir "$tmp/hmac-data" --hmac-secret 2>"$tmp/err") &&
    [[ $out =~ \"hmacSecret\":\"[0-9a-f]{64}\"\} ]]; then
    pass "bootstrap --hmac-secret prints the new secret"
else
    fail "bootstrap --hmac-secret prints the new secret" "stdout: $out" "stderr: $(head -c 300 "$tmp/err")"
fi
expect_status "--hmac-secret takes no value" 2 "$bin" bootstrap --data-dir "$tmp/hmac-data" \
    --hmac-secret=maybe
expect_status "an unsupported --default-webhook-version exits 2" 2 "$bin" serve \
    --data-dir "$tmp/hmac-data" --default-webhook-version 2020-01-01
check_output "the refusal lists the supported versions" "2026-02-27" "$tmp/err"

# ---- config file ----

conf=$tmp/hookd.conf
# A random port may be taken by another test running beside this one: try another then.
for ((attempt = 0; attempt < 8; attempt++)); do
    conf_port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
    printf '%s\n' '# hookd settings' "listen = \"127.0.0.1:$conf_port\"" \
        'retry-schedule = 100ms, 200ms' 'log-level = warn' >"$conf"
    "$bin" serve --data-dir "$tmp/conf-data" --config "$conf" >"$tmp/conf.out" 2>"$tmp/conf.err" &
    conf_pid=$!
    started_pids+=("$conf_pid")
    conf_ready=0
    wait_ready "$conf_pid" "$conf_port" && conf_ready=1 && break
    kill -KILL "$conf_pid" 2>/dev/null || true
    wait "$conf_pid" 2>/dev/null || true
    grep -q "Address already in use" "$tmp/conf.err" || break
done
if [ "$conf_ready" = 1 ]; then
    pass "a config file sets the listen address"
    kill -TERM "$conf_pid"
    wait_exit "$conf_pid" 5 || fail "the config-file server stops on SIGTERM"
else
    fail "a config file sets the listen address" "stderr: $(head -c 400 "$tmp/conf.err")"
fi
if start_on_free_port "$tmp/conf2.out" "$tmp/conf2.err" \
    "$bin" serve --data-dir "$tmp/conf-data" --config "$conf" --listen; then
    pass "a flag wins over the config file"
    kill -TERM "$server_pid"
    wait_exit "$server_pid" 5 || fail "the flag-over-config server stops on SIGTERM"
else
    fail "a flag wins over the config file" "stderr: $(head -c 400 "$tmp/conf2.err")"
fi
echo "bogus = 1" >"$tmp/bad.conf"
expect_status "an unknown config setting is a usage error (2)" 2 \
    "$bin" serve --data-dir "$tmp/conf-data" --config "$tmp/bad.conf"
expect_status "a missing config file is a usage error (2)" 2 \
    "$bin" serve --data-dir "$tmp/conf-data" --config "$tmp/none.conf"

# ---- HTTPS ----

certs=$tmp/certs
mkdir -p "$certs"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$certs/ca.key" -out "$certs/ca.pem" -subj "/CN=hookd-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    2>"$tmp/openssl.log" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$certs/server.key" -out "$certs/server.csr" -subj "/CN=127.0.0.1" \
        2>>"$tmp/openssl.log" &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$certs/server.ext" &&
    openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" \
        -set_serial 0x1234 -days 2 -extfile "$certs/server.ext" -out "$certs/server.pem" \
        2>>"$tmp/openssl.log"; then
    expect_status "--https-cert without --https-key is a usage error (2)" 2 \
        "$bin" serve --data-dir "$tmp/https-data" --https-cert "$certs/server.pem"
    expect_status "a key that does not match the certificate exits 1" 1 \
        "$bin" serve --data-dir "$tmp/https-data" --listen 127.0.0.1:0 \
        --https-cert "$certs/server.pem" --https-key "$certs/ca.key"
    check_output "the error says the HTTPS server could not start" "cannot start the HTTPS" \
        "$tmp/err"
    bootstrap_once "$tmp/https-data" || fail "bootstrap for the HTTPS test"
    curl_tls=(--cacert "$certs/ca.pem")
    ready_scheme=https
    if start_on_free_port "$tmp/https.out" "$tmp/https.err" env HOOKD_HTTPS_CERT="$certs/server.pem" \
        HOOKD_HTTPS_KEY="$certs/server.key" "$bin" serve --data-dir "$tmp/https-data" --listen; then
        pass "serve --https-cert/--https-key answers /healthz over HTTPS"
        https_base=https://127.0.0.1:$server_port
        check "plain HTTP to the HTTPS port gets no answer" \
            test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$server_port/healthz" || true)" = 000
        check_output "the log says https://" "listening on https://127\.0\.0\.1:$server_port" \
            "$tmp/https.err"
        # Plain's SDK, unchanged, over HTTPS (Node trusts the test CA through NODE_EXTRA_CA_CERTS).
        if [ -d "$src/tests/compat/node_modules/@team-plain/typescript-sdk" ]; then
            sdk_out=$(cd "$src/tests/compat" && NODE_EXTRA_CA_CERTS="$certs/ca.pem" timeout 30 node \
                --input-type=module -e '
                import { PlainClient } from "@team-plain/typescript-sdk";
                const c = new PlainClient({ apiKey: process.argv[1], apiUrl: process.argv[2] });
                const r = await c.upsertCustomer({
                    identifier: { emailAddress: "tls@example.com" },
                    onCreate: { fullName: "TLS", email: { email: "tls@example.com", isVerified: false } },
                    onUpdate: {},
                });
                if (r.error) throw new Error(JSON.stringify(r.error));
                console.log(r.data.result);' "$boot_key" "$https_base/graphql/v1" 2>&1 || true)
            check "Plain's SDK upserts a customer over HTTPS ($sdk_out)" test "$sdk_out" = CREATED
        fi
        # hookctl, with the CA that signed the server's certificate, and without it.
        hookctl=$build/hookctl
        if [ -x "$hookctl" ]; then
            expect_status "hookctl --cacert CA talks to the HTTPS server" 0 env HOOKD_API_KEY="$boot_key" \
                "$hookctl" --url "$https_base/graphql/v1" --cacert "$certs/ca.pem" workspace show
            expect_status "hookctl with HOOKD_CA_FILE too" 0 env HOOKD_API_KEY="$boot_key" \
                HOOKD_CA_FILE="$certs/ca.pem" "$hookctl" --url "$https_base/graphql/v1" workspace show
            expect_status "hookctl without the CA refuses the certificate (5)" 5 \
                env HOOKD_API_KEY="$boot_key" "$hookctl" --url "$https_base/graphql/v1" workspace show
            expect_status "hookctl --cacert with a missing file is a usage error (2)" 2 \
                env HOOKD_API_KEY="$boot_key" "$hookctl" --url "$https_base/graphql/v1" \
                --cacert "$certs/none.pem" workspace show
        fi
        kill -TERM "$server_pid"
        wait_exit "$server_pid" 5 || fail "the HTTPS server stops on SIGTERM"
    else
        fail "serve --https-cert/--https-key answers /healthz over HTTPS" \
            "stderr: $(head -c 400 "$tmp/https.err")"
    fi
    curl_tls=()
    ready_scheme=http
else
    fail "openssl makes the test certificates" "$(tail -n 5 "$tmp/openssl.log")"
fi

# ---- JSON logs ----

expect_status "an unknown log format is a usage error (2)" 2 \
    env HOOKD_LOG_FORMAT=xml "$bin" bootstrap --data-dir "$tmp/json-data"
check_output "the error names the variable" "HOOKD_LOG_FORMAT" "$tmp/err"
if start_on_free_port "$tmp/json.out" "$tmp/json.err" \
    "$bin" serve --data-dir "$tmp/json-data" --log-format json --log-level debug --listen; then
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$server_port/nope" || true
    kill -TERM "$server_pid"
    wait_exit "$server_pid" 5 || fail "the JSON-logging server stops on SIGTERM"
    # Every line one object {time, level, msg}: what a log pipeline parses.
    if command -v node >/dev/null; then
        verdict=$(node -e '
            const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
            let n = 0;
            for (const l of lines) {
                if (l === "") continue;
                const o = JSON.parse(l);
                const keys = Object.keys(o).join(",");
                if (keys !== "time,level,msg" || !/Z$/.test(o.time)) throw new Error(l);
                n++;
            }
            console.log(n);' "$tmp/json.err" 2>&1 || true)
        check "--log-format json: every line is {time, level, msg} ($verdict lines)" \
            matches "$verdict" '^[1-9][0-9]*$'
    fi
    check_output "the JSON log says where it listens" \
        '"level":"info","msg":"hookd [^"]* listening on http://127\.0\.0\.1' "$tmp/json.err"
else
    fail "serve --log-format json starts" "stderr: $(head -c 400 "$tmp/json.err")"
fi

# ---- API keys: key-create, key-list, key-revoke ----

keys_data=$tmp/keys-data
if bootstrap_once "$keys_data"; then
    admin_key=$boot_key keys_ws=$boot_id
    expect_status "key-create with two permissions exits 0" 0 "$bin" key-create \
        --data-dir "$keys_data" --workspace "$keys_ws" --permissions customer:read,workspace:read \
        --description 'reporting "job"'
    ro_key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/out")
    ro_id=$(sed -n 's/.*"apiKeyId":"\([^"]*\)".*/\1/p' "$tmp/out")
    check "key-create prints the key, its id and its permissions" matches "$(cat "$tmp/out")" \
        '^\{"apiKeyId":"apiKey_[0-9A-Z]{26}",.*"permissions":\["customer:read","workspace:read"\],"description":"reporting \\"job\\"",.*"apiKey":"hkey_'
    expect_status "key-create again (a key never used)" 0 "$bin" key-create --data-dir "$keys_data" \
        --workspace "$keys_ws"
    unused_key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/out")
    unused_id=$(sed -n 's/.*"apiKeyId":"\([^"]*\)".*/\1/p' "$tmp/out")
    expect_status "key-list exits 0" 0 "$bin" key-list --data-dir "$keys_data" --workspace "$keys_ws"
    check "key-list shows the 3 keys, never a key itself" \
        test "$(grep -c '"id":"apiKey_' "$tmp/out")-$(grep -c 'hkey_' "$tmp/out")" = 3-0
    expect_status "key-create for an unknown workspace exits 1" 1 "$bin" key-create \
        --data-dir "$keys_data" --workspace w_01M8E9W3R0XFNF1HYTTXMJ99BG
    expect_status "an unknown permission is a usage error (2)" 2 "$bin" key-create \
        --data-dir "$keys_data" --workspace "$keys_ws" --permissions customer:fly
    expect_status "key-list of a data dir with no store exits 2 (and makes none)" 2 \
        "$bin" key-list --data-dir "$tmp/no-store"
    check "no store was made" test ! -e "$tmp/no-store"
    if start_on_free_port "$tmp/keys.out" "$tmp/keys.err" \
        "$bin" serve --data-dir "$keys_data" --listen; then
        keys_base=http://127.0.0.1:$server_port
        gql_status() { # KEY BODY: the HTTP status of a GraphQL request
            curl -s -o "$tmp/gql.json" -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $1" \
                -H 'Content-Type: application/json' --data-binary "$2" "$keys_base/graphql/v1" || true
        }
        read_q='{"query":"{ myWorkspace { id } }"}'
        write_q='{"query":"mutation { upsertCustomer(input: { identifier: { emailAddress: \"k@example.com\" }, onCreate: { fullName: \"K\", email: { email: \"k@example.com\", isVerified: false } }, onUpdate: {} }) { result error { code } } }"}'
        check "the new key reads" test "$(gql_status "$ro_key" "$read_q")" = 200
        gql_status "$ro_key" "$write_q" >/dev/null
        check "the new key may not write (forbidden)" grep -q '"code":"forbidden"' "$tmp/gql.json"
        expect_status "key-revoke while serve runs exits 0" 0 "$bin" key-revoke \
            --data-dir "$keys_data" --id "$unused_id"
        check "a revoked key not used before is refused at once (401)" \
            test "$(gql_status "$unused_key" "$read_q")" = 401
        expect_status "key-revoke of a key in use exits 0" 0 "$bin" key-revoke \
            --data-dir "$keys_data" --id "$ro_id"
        refused=false
        for ((i = 0; i < 80; i++)); do # the server may remember it for 5 s
            [ "$(gql_status "$ro_key" "$read_q")" = 401 ] && { refused=true; break; }
            sleep 0.1
        done
        check "a revoked key in use is refused within 5 s" $refused
        check "the admin key still works" test "$(gql_status "$admin_key" "$read_q")" = 200
        expect_status "key-revoke of an unknown key exits 1" 1 "$bin" key-revoke \
            --data-dir "$keys_data" --id "$ro_id"
        kill -TERM "$server_pid"
        wait_exit "$server_pid" 5 || fail "the keys server stops on SIGTERM"
    else
        fail "serve starts for the key tests" "stderr: $(head -c 400 "$tmp/keys.err")"
    fi
else
    fail "bootstrap for the key tests"
fi

# ---- one server per data directory ----

one_data=$tmp/one-data
if start_on_free_port "$tmp/one.out" "$tmp/one.err" "$bin" serve --data-dir "$one_data" --listen; then
    first_pid=$server_pid
    expect_status "a second serve on the same data directory (another port) exits 1" 1 \
        "$bin" serve --data-dir "$one_data" --listen 127.0.0.1:0
    check_output "it names the server that holds the directory" \
        "another hookd serve \(pid $first_pid\) is using" "$tmp/err"
    kill -KILL "$first_pid"
    wait "$first_pid" 2>/dev/null || true
    # A SIGKILL leaves no stale lock: the kernel drops it with the process.
    if start_on_free_port "$tmp/one2.out" "$tmp/one2.err" "$bin" serve --data-dir "$one_data" \
        --listen; then
        pass "after a SIGKILL of the first, a new serve takes the directory"
        kill -TERM "$server_pid"
        wait_exit "$server_pid" 5 || fail "the second server stops on SIGTERM"
    else
        fail "after a SIGKILL of the first, a new serve takes the directory" \
            "stderr: $(head -c 400 "$tmp/one2.err")"
    fi
else
    fail "serve starts for the one-server test"
fi

# ---- backup ----

bk_data=$tmp/bk-data
if bootstrap_once "$bk_data" && start_on_free_port "$tmp/bk.out" "$tmp/bk.err" \
    "$bin" serve --data-dir "$bk_data" --listen; then
    bk_key=$boot_key
    bk_upsert() { # EMAIL: upserts a customer on the running server
        curl -s --max-time 5 -H "Authorization: Bearer $bk_key" -H 'Content-Type: application/json' \
            --data-binary '{"query":"mutation { upsertCustomer(input: { identifier: { emailAddress: \"'"$1"'\" }, onCreate: { fullName: \"B\", email: { email: \"'"$1"'\", isVerified: false } }, onUpdate: {} }) { result } }"}' \
            "http://127.0.0.1:$server_port/graphql/v1" || true
    }
    check "a customer before the backup" matches "$(bk_upsert before@example.com)" CREATED
    expect_status "backup while serve runs exits 0" 0 "$bin" backup --data-dir "$bk_data" \
        --to "$tmp/backup.db"
    check "backup prints the file, its size and schema version" matches "$(cat "$tmp/out")" \
        '^\{"backup":".*/backup\.db","bytes":[1-9][0-9]*,"schemaVersion":[0-9]+\}$'
    check "a customer after the backup" matches "$(bk_upsert after@example.com)" CREATED
    expect_status "backup to an existing file is a usage error (2)" 2 "$bin" backup \
        --data-dir "$bk_data" --to "$tmp/backup.db"
    expect_status "backup without --to is a usage error (2)" 2 "$bin" backup --data-dir "$bk_data"
    expect_status "restore while serve runs on the directory exits 1" 1 "$bin" restore \
        --data-dir "$bk_data" --from "$tmp/backup.db"
    check_output "it says a server holds the directory" "another hookd serve" "$tmp/err"
    kill -TERM "$server_pid"
    wait_exit "$server_pid" 5 || fail "the backup server stops on SIGTERM"
    check "a server that stopped cleanly leaves no serve.lock" not test -e "$bk_data/serve.lock"
    echo "not a database" >"$tmp/junk.db"
    expect_status "restore from a file that is not a backup is a usage error (2)" 2 \
        "$bin" restore --data-dir "$bk_data" --from "$tmp/junk.db"
    # Restored into a new directory and served: what the backup saw, and only that.
    expect_status "restore of a bad file into a new directory exits 2" 2 "$bin" restore \
        --data-dir "$tmp/not-restored" --from "$tmp/junk.db"
    check "... and leaves no directory and no serve.lock behind" not test -e "$tmp/not-restored"
    expect_status "restore into a new directory exits 0" 0 "$bin" restore \
        --data-dir "$tmp/restored" --from "$tmp/backup.db"
    check "restore prints what it restored" matches "$(cat "$tmp/out")" \
        '^\{"restored":".*/backup\.db","bytes":[1-9][0-9]*,"schemaVersion":[0-9]+,"previous":null\}$'
    if start_on_free_port "$tmp/rs.out" "$tmp/rs.err" "$bin" serve --data-dir "$tmp/restored" \
        --listen; then
        by_email() {
            curl -s --max-time 5 -H "Authorization: Bearer $bk_key" -H 'Content-Type: application/json' \
                --data-binary '{"query":"{ customerByEmail(email: \"'"$1"'\") { id } }"}' \
                "http://127.0.0.1:$server_port/graphql/v1" || true
        }
        check "the restored store has the customer from before the backup, with the same key" \
            matches "$(by_email before@example.com)" '"customerByEmail":\{"id":"c_'
        check "and not the one from after" matches "$(by_email after@example.com)" \
            '"customerByEmail":null'
        kill -TERM "$server_pid"
        wait_exit "$server_pid" 5 || fail "the restored server stops on SIGTERM"
        # Over the original store (stopped): it goes back to the backup, the old one kept aside.
        expect_status "restore over a store exits 0 and keeps the old one" 0 "$bin" restore \
            --data-dir "$bk_data" --from "$tmp/backup.db"
        check "the old database is kept as hookd.db.before-restore" \
            test -s "$bk_data/hookd.db.before-restore"
    else
        fail "serve starts on the restored backup" "stderr: $(head -c 400 "$tmp/rs.err")"
    fi
else
    fail "serve starts for the backup test"
fi

# ---- retention ----

expect_status "a retention under 1s is a usage error (2)" 2 \
    "$bin" serve --data-dir "$tmp/ret-data" --retention 500ms
check_output "the retention error says what is accepted" "none or a duration from 1s" "$tmp/err"
expect_status "a retention that is not a duration is a usage error (2)" 2 \
    env HOOKD_RETENTION=forever "$bin" serve --data-dir "$tmp/ret-data"
check_output "the error names the variable" "HOOKD_RETENTION" "$tmp/err"
# Served with --retention 1s: an event committed now is deleted about a second later, and
# /metrics counts it; a customer is not an event and stays.
if bootstrap_once "$tmp/ret-data" && start_on_free_port "$tmp/ret.out" "$tmp/ret.err" \
    "$bin" serve --data-dir "$tmp/ret-data" --retention 1s --listen; then
    ret_base=http://127.0.0.1:$server_port
    upsert='{"query":"mutation { upsertCustomer(input: { identifier: { emailAddress: \"old@example.com\" }, onCreate: { fullName: \"Old\", email: { email: \"old@example.com\", isVerified: false } }, onUpdate: {} }) { result } }"}'
    answer=$(curl -s --max-time 5 -H "Authorization: Bearer $boot_key" \
        -H 'Content-Type: application/json' --data-binary "$upsert" "$ret_base/graphql/v1" || true)
    check "an upsert commits an event" matches "$answer" '"result":"CREATED"'
    deleted=0
    for ((i = 0; i < 100; i++)); do # up to 10 s; about 1.1 s expected
        deleted=$(curl -s --max-time 2 "$ret_base/metrics" |
            sed -n 's/^hookd_retention_events_deleted_total \([0-9]*\)$/\1/p')
        [ "${deleted:-0}" -ge 1 ] && break
        sleep 0.1
    done
    check "retention deletes the event once it is older than 1s (metrics: ${deleted:-none})" \
        test "${deleted:-0}" -eq 1
    get='{"query":"{ customerByEmail(email: \"old@example.com\") { id } }"}'
    answer=$(curl -s --max-time 5 -H "Authorization: Bearer $boot_key" \
        -H 'Content-Type: application/json' --data-binary "$get" "$ret_base/graphql/v1" || true)
    check "the customer stays" matches "$answer" '"customerByEmail":\{"id":"c_'
    check_output "retention logs what it deleted" "retention: deleted 1 events" "$tmp/ret.err"
    kill -TERM "$server_pid"
    wait_exit "$server_pid" 5 || fail "the retention server stops on SIGTERM"
else
    fail "serve --retention 1s starts" "stderr: $(head -c 400 "$tmp/ret.err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
