#!/usr/bin/env bash
# Receivers that fail in every way (issue 6): faults/receivers.mjs runs one `hookd serve`
# with one webhook target per scenario — every class of status, 1xx interim answers,
# refused (for ever / until up), slow (for ever / then healthy), a stalled body, flapping
# (alternate / random), connections closed mid-response, bad TLS (self-signed, wrong host,
# expired) — and checks hookd's recorded state of every delivery against what the receiver
# answered. One RELIABILITY line per scenario (committed, delivered, failed, lost,
# duplicates, attempts per event vs the schedule's). Certificates are made here with
# openssl: a CA (given to hookd as HOOKD_TLS_CA_FILE), a server certificate for 127.0.0.1
# signed by it, one for another host name, an expired one, and a self-signed one.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$(cd "$HOOKD_BUILD" && pwd)/hookd
here=$(cd "$HOOKD_SRC" && pwd)/tests/integration
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/ajv" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
for tool in node openssl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

retry_schedule=100ms,200ms,300ms
delivery_timeout=1s

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-faults-receivers.XXXXXX")
pids=$tmp/pids
: >"$pids"
driver_pid=

# shellcheck disable=SC2317 # called by the EXIT trap
kill_hookd() {
    if [ "$(ps -o comm= -p "$1" 2>/dev/null)" = hookd ]; then
        kill -KILL "$1" 2>/dev/null || true
    fi
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    if [ -n "$driver_pid" ]; then
        kill -KILL -- "-$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    while read -r pid; do
        [ -n "$pid" ] && kill_hookd "$pid"
    done <"$pids"
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- certificates ----

certs=$tmp/certs
mkdir -p "$certs/db"
ossl() { openssl "$@" 2>>"$tmp/openssl.log"; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

# leaf NAME CN EXTENSIONS: a key and a CSR
leaf_csr() {
    ossl req -new "${ec[@]}" -keyout "$certs/$1.key" -out "$certs/$1.csr" -subj "/CN=$2"
    printf '%s\n' "$3" >"$certs/$1.ext"
}
sign() { # NAME
    ossl x509 -req -in "$certs/$1.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$certs/$1.ext" -out "$certs/$1.pem"
}
server_ext=$'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'
: >"$certs/db/index.txt"
echo 01 >"$certs/db/serial"
cat >"$certs/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $certs/db/index.txt
new_certs_dir = $certs/db
serial = $certs/db/serial
default_md = sha256
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
CNF
if ! {
    ossl req -x509 "${ec[@]}" -days 2 -keyout "$certs/ca.key" -out "$certs/ca.pem" \
        -subj "/CN=hookd-faults-ca" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        leaf_csr server 127.0.0.1 "$server_ext" && sign server &&
        leaf_csr wronghost wrong.example.com \
            $'subjectAltName=DNS:wrong.example.com\nextendedKeyUsage=serverAuth' &&
        sign wronghost &&
        leaf_csr expired 127.0.0.1 "$server_ext" &&
        ossl ca -batch -config "$certs/ca.cnf" -cert "$certs/ca.pem" -keyfile "$certs/ca.key" \
            -in "$certs/expired.csr" -out "$certs/expired.pem" -notext \
            -startdate 20200101000000Z -enddate 20200102000000Z -extfile "$certs/expired.ext" &&
        ossl req -x509 "${ec[@]}" -days 2 -keyout "$certs/selfsigned.key" \
            -out "$certs/selfsigned.pem" -subj "/CN=127.0.0.1" \
            -addext "subjectAltName=IP:127.0.0.1" &&
        ossl verify -CAfile "$certs/ca.pem" "$certs/server.pem" "$certs/wronghost.pem" >/dev/null &&
        ! ossl verify -CAfile "$certs/ca.pem" "$certs/expired.pem" >/dev/null &&
        ! ossl verify -CAfile "$certs/ca.pem" "$certs/selfsigned.pem" >/dev/null
}; then
    echo "FAIL: could not make the test certificates:" >&2
    tail -n 20 "$tmp/openssl.log" >&2
    exit 1
fi

# ---- two workspaces (at most 25 targets each) ----

data=$tmp/data
workspaces=
for name in receivers-a receivers-b; do
    line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name "$name" --log-level warn)
    [[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
    workspaces+="${workspaces:+,}$line"
done

set -m
(
    cd "$here/faults"
    export HOOKD_BIN="$bin" HOOKD_DATA_DIR="$data" HOOKD_WORKSPACES="[$workspaces]" \
        HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids" HOOKD_TEST_CERTS="$certs" \
        HOOKD_RETRY_SCHEDULE="$retry_schedule" HOOKD_DELIVERY_TIMEOUT="$delivery_timeout" \
        HOOKD_TLS_CA_FILE="$certs/ca.pem"
    unset HOOKD_TLS_CLIENT_CERT HOOKD_TLS_CLIENT_KEY
    exec node receivers.mjs
) >"$tmp/out" 2>&1 &
driver_pid=$!
set +m
rc=0
# At most 170 s (it needs ~15 s).
for ((i = 0; i < 850; i++)); do
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$driver_pid" 2>/dev/null; then
    echo "FAIL: receivers.mjs did not finish within 170 s" >>"$tmp/out"
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
fi
wait "$driver_pid" || rc=$?
driver_pid=
cat "$tmp/out"

grep -q '^RELIABILITY|' "$tmp/out" || rc=1
if grep -q '^RELIABILITY|.*|FAIL$' "$tmp/out"; then rc=1; fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the receiver fault test failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
fi
exit "$rc"
