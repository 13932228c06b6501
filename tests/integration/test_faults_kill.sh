#!/usr/bin/env bash
# Repeated SIGKILL at random moments under a mixed mutation load (issue 6; SPEC §3, §5):
# faults/kill.mjs runs `hookd serve` with two webhook targets while 6 clients create,
# update, group and delete customers through GraphQL; 8 times, after a random 0.2-2 s, it
# SIGKILLs hookd and restarts it on the same data dir; then it lets the deliveries drain
# and checks that every event of an acknowledged mutation reached each subscribed target,
# that hookd holds no undelivered delivery, and that every duplicate straddles a kill.
# Mutations whose answer was lost in a kill are counted apart (uncertain), never as lost.
# Prints one RELIABILITY line. Run by ctest with HOOKD_BUILD and HOOKD_SRC set.
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
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-faults-kill.XXXXXX")
pids=$tmp/pids # every hookd the driver starts, one pid a line
: >"$pids"
driver_pid=

# kill_hookd PID: SIGKILL, only if PID is still a hookd.
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
line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name faults-kill --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")

# set -m: the driver gets a process group of its own, which the trap can end whole.
# The per-attempt timeout is 5 s (as in test_crash.sh): the receiver answers within 10 ms,
# and a timeout under load would be a retry, not what this test is about.
set -m
(
    cd "$here/faults"
    export HOOKD_BIN="$bin" HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
        HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids" \
        HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms HOOKD_DELIVERY_TIMEOUT=5s
    exec node kill.mjs
) >"$tmp/out" 2>&1 &
driver_pid=$!
set +m
rc=0
# At most 170 s (it needs ~20 s).
for ((i = 0; i < 850; i++)); do
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$driver_pid" 2>/dev/null; then
    echo "FAIL: kill.mjs did not finish within 170 s" >>"$tmp/out"
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
fi
wait "$driver_pid" || rc=$?
driver_pid=
cat "$tmp/out"

grep -q '^RELIABILITY|' "$tmp/out" || rc=1
if grep -q '^RELIABILITY|.*|FAIL$' "$tmp/out"; then rc=1; fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the kill test failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
fi
exit "$rc"
