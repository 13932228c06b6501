#!/usr/bin/env bash
# libhookd-verify as a user gets it: `cmake --install` into a scratch prefix, build
# examples/receiver.c against it with `pkg-config --cflags --libs hookd-verify` only,
# run it, and POST it bodies: a fresh signed customer event (printed, 200), a tampered
# one (401), a stale one (401), a thread event (200, ignored) and garbage (400).
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
secret="whsec_receiver_test"
tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$tmp/out" ] && cat "$tmp/out" >&2
    exit 1
}

# 1. install, then build the example with nothing but pkg-config
cmake --install "$HOOKD_BUILD" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name hookd-verify.pc)
[ -n "$pc" ] || fail "no hookd-verify.pc installed"
[ -f "$tmp/prefix/include/hookd/verify.h" ] || fail "no header installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE "$HOOKD_SRC/examples/receiver.c" \
    $(pkg-config --cflags --libs hookd-verify) -o "$tmp/receiver" || fail "receiver does not build"
# the shared library exports the API and nothing else
if nm -D --defined-only "$(dirname "$pc")/../libhookd-verify.so" | grep -v ' hk_' | grep -q ' T '; then
    fail "libhookd-verify.so exports more than the hk_ API"
fi

# 2. run it on a free port
LD_LIBRARY_PATH="$(dirname "$pc")/.." HOOKD_WEBHOOK_SECRET="$secret" \
    stdbuf -oL "$tmp/receiver" 0 >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 50); do
    grep -q '^listening on' "$tmp/out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$url" ] || fail "receiver did not start"

# A body of Plain's example, with a supported version and an attempt time of `when`.
body_at() {
    sed -e 's/"2026-02-11"/"2026-04-21"/' \
        -e "s/\"webhookDeliveryAttemptTimestamp\": \"[^\"]*\"/\"webhookDeliveryAttemptTimestamp\": \"$1\"/" \
        "$HOOKD_SRC/tests/data/plain/webhook-examples/customer-created.json"
}
sign() {
    openssl dgst -sha256 -hmac "$secret" -r "$1" | cut -d' ' -f1
}
post() { # file signature -> HTTP status
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Plain-Request-Signature: $2" --data-binary "@$1" "$url"
}

now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
body_at "$now" >"$tmp/fresh.json"
code=$(post "$tmp/fresh.json" "$(sign "$tmp/fresh.json")")
[ "$code" = 200 ] || fail "fresh body: HTTP $code"
grep -q '^customer.customer_created pEv_01HD44FHDPMZ3YJB5GEB1EZKQV peter@example.com$' "$tmp/out" ||
    fail "fresh body not printed"

sed 's/Peter Santos/Peter Sant0s/' "$tmp/fresh.json" >"$tmp/tampered.json"
code=$(post "$tmp/tampered.json" "$(sign "$tmp/fresh.json")")
[ "$code" = 401 ] || fail "tampered body: HTTP $code"
grep -q '^error: the Plain-Request-Signature is missing or does not match' "$tmp/out" ||
    fail "tampered body not reported"

body_at "2023-10-19T14:12:25.861Z" >"$tmp/stale.json"
code=$(post "$tmp/stale.json" "$(sign "$tmp/stale.json")")
[ "$code" = 401 ] || fail "stale body: HTTP $code"
grep -q '^error: the webhookDeliveryAttemptTimestamp is outside' "$tmp/out" ||
    fail "stale body not reported"

sed -e 's/"customer.customer_created"/"thread.thread_created"/g' "$tmp/fresh.json" >"$tmp/thread.json"
code=$(post "$tmp/thread.json" "$(sign "$tmp/thread.json")")
[ "$code" = 200 ] || fail "thread event: HTTP $code"
grep -q '^ignored: type: "thread.thread_created" is not parsed by this library' "$tmp/out" ||
    fail "thread event not reported as ignored"

printf 'not json' >"$tmp/garbage"
code=$(post "$tmp/garbage" "$(sign "$tmp/garbage")")
[ "$code" = 400 ] || fail "garbage: HTTP $code"

echo "receiver: installed library, pkg-config build and 5 requests OK"
