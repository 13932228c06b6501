#!/usr/bin/env bash
# Webhook deliveries end to end (SPEC §3-§5): delivery.test.mjs (node --test) drives two
# real `hookd serve` processes through GraphQL and receives their deliveries on loopback
# receivers (receiver.mjs): every customer event and header, signatures, Plain's SDK
# verifying, retries on the schedule for every kind of failure, Basic auth, mTLS, and
# cancellation by disabling a target.
#   A: client certificate + key and a CA file (HOOKD_TLS_CLIENT_CERT/KEY, HOOKD_TLS_CA_FILE)
#   B: the same CA file, no client certificate (its mTLS deliveries must fail)
# Both with HOOKD_ALLOW_PRIVATE_TARGETS=1, HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms and
# HOOKD_DELIVERY_TIMEOUT=2s. Certificates are made here with openssl.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
here=$HOOKD_SRC/tests/integration
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/@team-plain/typescript-sdk" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
# shellcheck source=tests/pg/store.sh
. "$HOOKD_SRC/tests/pg/store.sh"
for tool in node openssl curl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

retry_schedule=100ms,200ms,400ms
# 2 s, times HOOKD_TEST_TIME_SCALE (a whole number, default 1; the sanitizer and valgrind runs
# set it): an instrumented hookd on a busy machine may need more to get an attempt out. (At
# 1 s, attempts to answering receivers were cut twice while the machine ran at load ~5.)
scale=${HOOKD_TEST_TIME_SCALE:-1}
delivery_timeout=$((2000 * scale))ms

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-delivery-test.XXXXXX")
started_pids=()
runner_pid= # node --test, in a process group of its own (the runner and its test process)

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    if [ -n "$runner_pid" ]; then
        kill -KILL -- "-$runner_pid" 2>/dev/null || true
        wait "$runner_pid" 2>/dev/null || true
    fi
    # ${arr[@]+...}: an empty array is "unbound" to set -u in older bash.
    for pid in ${started_pids[@]+"${started_pids[@]}"}; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- certificates: a CA, a server certificate for 127.0.0.1 and a client certificate
# signed by it, and a "rogue" CA with a server certificate hookd must not trust ----

certs=$tmp/certs
mkdir -p "$certs"

# make_ca NAME CN
make_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout "$certs/$1.key" -out "$certs/$1.pem" -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>>"$tmp/openssl.log"
}

# make_leaf NAME CA CN EXTENSIONS (one per line)
make_leaf() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$certs/$1.key" -out "$certs/$1.csr" -subj "/CN=$3" 2>>"$tmp/openssl.log"
    printf '%s\n' "$4" >"$certs/$1.ext"
    openssl x509 -req -in "$certs/$1.csr" -CA "$certs/$2.pem" -CAkey "$certs/$2.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$certs/$1.ext" \
        -out "$certs/$1.pem" 2>>"$tmp/openssl.log"
}

if ! {
    make_ca ca hookd-test-ca &&
        make_ca rogue hookd-rogue-ca &&
        make_leaf server ca 127.0.0.1 $'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth' &&
        make_leaf client ca hookd-test-client $'extendedKeyUsage=clientAuth' &&
        make_leaf rogue-server rogue 127.0.0.1 $'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth' &&
        openssl verify -CAfile "$certs/ca.pem" "$certs/server.pem" "$certs/client.pem" >/dev/null
}; then
    echo "FAIL: could not make the test certificates:" >&2
    tail -n 20 "$tmp/openssl.log" >&2
    exit 1
fi

# ---- two servers ----

# bootstrap DATA NAME: prints {"workspaceId":...,"apiKey":...}
bootstrap() {
    local line store
    hookd_store "$1"
    line=$(timeout 15 "$bin" bootstrap "${store[@]}" --name "$2" --log-level warn)
    [[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; return 1; }
    printf '%s' "$line"
}

healthz_status() { # PORT
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz" || true
}

# wait_ready PID PORT: true once /healthz answers 200; false if PID exits or 10 s pass.
wait_ready() {
    local pid=$1 port=$2 i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(healthz_status "$port")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# start_serve DATA LOG [ENV=VALUE...]: `hookd serve` on a random loopback port (another
# when that one is taken). Sets server_pid and server_port.
start_serve() {
    local data=$1 log=$2 attempt port store
    shift 2
    hookd_store "$data"
    : >"$log"
    for ((attempt = 0; attempt < 8; attempt++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        env -u HOOKD_TLS_CLIENT_CERT -u HOOKD_TLS_CLIENT_KEY -u HOOKD_TLS_CA_FILE \
            HOOKD_ALLOW_PRIVATE_TARGETS=1 HOOKD_RETRY_SCHEDULE="$retry_schedule" \
            HOOKD_DELIVERY_TIMEOUT="$delivery_timeout" "$@" \
            "$bin" serve "${store[@]}" --listen "127.0.0.1:$port" 2>>"$log" &
        server_pid=$!
        started_pids+=("$server_pid")
        if wait_ready "$server_pid" "$port"; then
            server_port=$port
            return 0
        fi
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        grep -q "Address already in use" "$log" || return 1
    done
    return 1
}

a_names=(events sdk retries basic mtls disable burst keepalive)
b_names=(mtlsB)
declare -A keys
for name in "${a_names[@]}"; do keys[$name]=$(bootstrap "$tmp/a" "delivery-$name"); done
for name in "${b_names[@]}"; do keys[$name]=$(bootstrap "$tmp/b" "delivery-$name"); done

if ! start_serve "$tmp/a" "$tmp/a.log" HOOKD_TLS_CLIENT_CERT="$certs/client.pem" \
    HOOKD_TLS_CLIENT_KEY="$certs/client.key" HOOKD_TLS_CA_FILE="$certs/ca.pem"; then
    echo "FAIL: hookd serve (A) did not start:" >&2
    tail -n 20 "$tmp/a.log" >&2
    exit 1
fi
a_pid=$server_pid a_port=$server_port
if ! start_serve "$tmp/b" "$tmp/b.log" HOOKD_TLS_CA_FILE="$certs/ca.pem"; then
    echo "FAIL: hookd serve (B) did not start:" >&2
    tail -n 20 "$tmp/b.log" >&2
    exit 1
fi
b_pid=$server_pid b_port=$server_port

# {"events":{"url":"http://127.0.0.1:A/graphql/v1","workspaceId":...,"apiKey":...},...}
workspaces=
for name in "${a_names[@]}" "${b_names[@]}"; do
    port=$a_port
    [[ " ${b_names[*]} " == *" $name "* ]] && port=$b_port
    workspaces+="${workspaces:+,}\"$name\":{\"url\":\"http://127.0.0.1:$port/graphql/v1\",${keys[$name]#\{}"
done

# set -m: the runner gets a process group of its own, which the trap can end whole.
set -m
(
    cd "$here"
    export HOOKD_WORKSPACES="{$workspaces}" HOOKD_TEST_CERTS="$certs" \
        HOOKD_RETRY_SCHEDULE="$retry_schedule" HOOKD_DELIVERY_TIMEOUT="$delivery_timeout"
    exec node --test --test-reporter=spec --test-timeout=$((60000 * scale)) delivery.test.mjs
) &
runner_pid=$!
set +m
rc=0
# At most 150 s (it needs ~30 s when deliveries are prompt), times the scale.
for ((i = 0; i < 750 * scale; i++)); do
    kill -0 "$runner_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$runner_pid" 2>/dev/null; then
    echo "FAIL: the delivery suite did not finish within $((150 * scale)) s" >&2
    kill -KILL -- "-$runner_pid" 2>/dev/null || true
fi
wait "$runner_pid" || rc=$?
runner_pid=

for server in "A $a_pid" "B $b_pid"; do
    read -r label pid <<<"$server"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: hookd serve ($label) exited during the tests" >&2
        rc=1
    fi
done
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the delivery suite failed (exit $rc); the servers' logs end with:" >&2
    for label in a b; do
        echo "--- hookd $label ---" >&2
        tail -n 30 "$tmp/$label.log" >&2
    done
fi
exit "$rc"
