#!/usr/bin/env bash
# The HTTP front door under attack (issue 15): front_door/front_door.mjs runs each attack of
# front_door/attack.mjs against a fresh `hookd serve` and checks its figures (hookd's memory,
# /healthz latency from a fresh client meanwhile, statuses, closed connections): bodies of
# unauthenticated clients are never buffered, the bodies held at once stay within their
# budget, slow clients are cut at their deadlines and shed at the connection limit while new
# ones are served, ambiguous framings are refused with 400 and a closed connection, a 413 is
# read rather than reset, NUL and duplicate headers are refused, aborted connections do not
# flood the log, oversized variables are refused before they are parsed, and memory is given
# back after a burst. (The disk-full case is test_faults_store's.) Prints one RELIABILITY
# line per case. Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set;
# HOOKD_FRONT_DOOR_CASES=REGEX runs only the matching cases.
set -euo pipefail

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init

faults_bootstrap front-door

# The slow-header case gives hookd 640 descriptors: 128 connections (the rest is kept for
# the store and the dispatcher), so that a few hundred sockets fill them.
cat >"$tmp/hookd-640" <<WRAP
#!/bin/sh
ulimit -n 640 || exit 1
exec "$bin" "\$@"
WRAP
chmod +x "$tmp/hookd-640"

asan=0
if ldd "$bin" | grep -q libasan; then asan=1; fi

# A self-signed certificate for the HTTPS case (skipped without openssl).
if command -v openssl >/dev/null &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$tmp/tls.key" -out "$tmp/tls.pem" 2>"$tmp/openssl.log"; then
    export HOOKD_TEST_CERT="$tmp/tls.pem" HOOKD_TEST_CERT_KEY="$tmp/tls.key"
else
    echo "skip - the HTTPS case: no certificate ($(tail -n 1 "$tmp/openssl.log" 2>/dev/null))"
fi

export HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" HOOKD_SMALL_FDS_BIN="$tmp/hookd-640" \
    HOOKD_ASAN="$asan"
faults_drive ../front_door/front_door.mjs
