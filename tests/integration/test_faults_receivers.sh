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

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init
command -v openssl >/dev/null || { echo "FAIL: openssl is not installed" >&2; exit 1; }

retry_schedule=100ms,200ms,300ms
delivery_timeout=1s

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

export HOOKD_DATA_DIR="$data" HOOKD_WORKSPACES="[$workspaces]" HOOKD_TEST_CERTS="$certs" \
    HOOKD_RETRY_SCHEDULE="$retry_schedule" HOOKD_DELIVERY_TIMEOUT="$delivery_timeout" \
    HOOKD_TLS_CA_FILE="$certs/ca.pem"
unset HOOKD_TLS_CLIENT_CERT HOOKD_TLS_CLIENT_KEY
faults_drive receivers.mjs
