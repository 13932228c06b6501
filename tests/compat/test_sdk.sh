#!/usr/bin/env bash
# Plain's TypeScript SDK against a real `hookd serve`: sdk.test.mjs (node --test) drives
# every method of SPEC §6 through PlainClient pointed at hookd.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/@team-plain/typescript-sdk" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-sdk-test.XXXXXX")
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

data=$tmp/data
# shellcheck source=tests/pg/store.sh
. "$HOOKD_SRC/tests/pg/store.sh"
hookd_store "$data"

# bootstrap NAME: prints {"name":NAME,"workspaceId":...,"apiKey":...}. Names are plain words:
# no JSON escaping needed.
bootstrap() {
    local line
    line=$(timeout 15 "$bin" bootstrap "${store[@]}" --name "$1" --log-level warn)
    [[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; return 1; }
    printf '{"name":"%s",%s' "$1" "${line#\{}"
}

# Four workspaces, in the order sdk.test.mjs expects: main, other, lists, limits.
workspaces="[$(bootstrap compat-main),$(bootstrap compat-other),$(bootstrap compat-lists)"
workspaces+=",$(bootstrap compat-limits)]"

healthz_status() { # PORT
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz" || true
}

# wait_ready PORT: true once /healthz answers 200; false if the server exits or 10 s pass.
wait_ready() {
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$server_pid" 2>/dev/null || return 1
        [ "$(healthz_status "$1")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# A random loopback port; another one when it is taken.
port=
for ((attempt = 0; attempt < 8; attempt++)); do
    try=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
    "$bin" serve "${store[@]}" --listen "127.0.0.1:$try" 2>>"$tmp/serve.log" &
    server_pid=$!
    if wait_ready "$try"; then
        port=$try
        break
    fi
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
    HOOKD_GRAPHQL_URL="http://127.0.0.1:$port/graphql/v1" HOOKD_WORKSPACES="$workspaces" \
        timeout 300 node --test --test-reporter=spec sdk.test.mjs
) || rc=$?

if [ "$rc" -ne 0 ]; then
    echo "FAIL: the SDK suite failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2
fi
exit "$rc"
