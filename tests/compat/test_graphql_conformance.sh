#!/usr/bin/env bash
# hookd's GraphQL engine against graphql-js (the reference implementation pinned in
# package.json): graphql_conformance.mjs sends a generated, seeded corpus of documents to a
# real `hookd serve` and to graphql-js and requires the same outcome (parse error,
# validation error, request error, or executed) and, for introspection, the same data. It
# also rebuilds the schema from hookd's answer to getIntrospectionQuery() and compares the
# printed SDL with graphql-js's own printing of src/api/schema.graphql.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set;
# GRAPHQL_CONFORMANCE_SEED picks another corpus.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/graphql" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-conformance.XXXXXX")
server_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

line=$(timeout 15 "$bin" bootstrap --data-dir "$tmp/data" --name conformance --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed 's/.*"apiKey":"\([^"]*\)".*/\1/' <<<"$line")

healthz_status() { # PORT
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz" || true
}
port=
for ((attempt = 0; attempt < 8; attempt++)); do
    try=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
    "$bin" serve --data-dir "$tmp/data" --listen "127.0.0.1:$try" 2>>"$tmp/serve.log" &
    server_pid=$!
    for ((i = 0; i < 200; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        [ "$(healthz_status "$try")" = 200 ] && { port=$try; break; }
        sleep 0.05
    done
    [ -n "$port" ] && break
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    grep -q "Address already in use" "$tmp/serve.log" || break
done
if [ -z "$port" ]; then
    echo "FAIL: hookd serve did not start:" >&2
    tail -n 20 "$tmp/serve.log" >&2
    exit 1
fi

rc=0
(
    cd "$compat"
    export HOOKD_GRAPHQL_URL="http://127.0.0.1:$port/graphql/v1" HOOKD_API_KEY="$key"
    timeout 120 node introspection_roundtrip.mjs &&
        timeout 120 node graphql_conformance.mjs --seed "${GRAPHQL_CONFORMANCE_SEED:-16}"
) || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "FAIL: hookd and graphql-js disagree (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2
fi
exit "$rc"
