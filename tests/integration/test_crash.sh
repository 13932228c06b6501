#!/usr/bin/env bash
# At-least-once across crashes (SPEC §3, §5): crash.mjs runs `hookd serve` under a load of
# upserts, SIGKILLs it at random moments (3 times, restarting on the same data dir), lets
# the deliveries drain and shows that every committed event reached the receiver:
#   crash: committed N delivered N lost 0 duplicates D
# Fails when anything is lost or a duplicate is not a repeat of an attempt in flight.
# The per-attempt timeout is 5 s, not the 1 s of test_delivery.sh: the receiver answers
# within 15 ms, and under this load on a small machine an attempt can spend most of a
# second inside hookd before it is sent; a timeout there would be a retry, not a crash
# duplicate, and is not what this test is about.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
here=$HOOKD_SRC/tests/integration
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/ajv" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-crash-test.XXXXXX")
pids=$tmp/pids # every hookd crash.mjs starts, one pid a line
: >"$pids"
driver_pid= # crash.mjs, in a process group of its own

# kill_hookd PID: SIGKILL, only if PID is still a hookd (pids are not reused blindly).
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

data=$tmp/data
line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name crash --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")

# set -m: the driver gets a process group of its own, which the trap can end whole.
set -m
(
    cd "$here"
    export HOOKD_BIN="$bin" HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
        HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids" \
        HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms HOOKD_DELIVERY_TIMEOUT=5s
    exec node crash.mjs
) >"$tmp/out" 2>&1 &
driver_pid=$!
set +m
rc=0
# At most 150 s (it needs ~20 s when deliveries are prompt).
for ((i = 0; i < 750; i++)); do
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$driver_pid" 2>/dev/null; then
    echo "FAIL: crash.mjs did not finish within 150 s" >>"$tmp/out"
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
fi
wait "$driver_pid" || rc=$?
driver_pid=
cat "$tmp/out"

if ! grep -qE '^crash: committed [0-9]+ delivered [0-9]+ lost 0 duplicates [0-9]+$' "$tmp/out"; then
    rc=1
fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the crash test failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
fi
exit "$rc"
