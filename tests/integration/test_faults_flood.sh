#!/usr/bin/env bash
# A flood of idle clients (issue 6): faults/flood.mjs runs `hookd serve` with 640 file
# descriptors, keeps one keep-alive connection, then opens 700 idle TCP clients. hookd must
# turn the clients past its connection limit away at accept, so that the upsert sent on the
# kept connection meanwhile is answered and its event delivered at once (the dispatcher
# needs a descriptor to connect), and serve new clients once the flood is gone. Prints one
# RELIABILITY line. Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
build=$(cd "$HOOKD_BUILD" && pwd)
bin=$build/hookd
here=$(cd "$HOOKD_SRC" && pwd)/tests/integration
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
if [ ! -d "$compat/node_modules/ajv" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-faults-flood.XXXXXX")
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
line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name faults-flood --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")

# hookd alone gets the small descriptor limit (the driver opens the flood's sockets).
fds=640
clients=700
cat >"$tmp/hookd" <<WRAP
#!/bin/sh
ulimit -n $fds || exit 1
exec "$bin" "\$@"
WRAP
chmod +x "$tmp/hookd"

# set -m: the driver gets a process group of its own, which the trap can end whole.
set -m
(
    cd "$here/faults"
    export HOOKD_BIN="$tmp/hookd" HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
        HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids" \
        HOOKD_FLOOD_CLIENTS="$clients" HOOKD_FLOOD_FDS="$fds"
    exec node flood.mjs
) >"$tmp/out" 2>&1 &
driver_pid=$!
set +m
rc=0
# At most 170 s (it needs a few).
for ((i = 0; i < 850; i++)); do
    kill -0 "$driver_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$driver_pid" 2>/dev/null; then
    echo "FAIL: flood.mjs did not finish within 170 s" >>"$tmp/out"
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
fi
wait "$driver_pid" || rc=$?
driver_pid=
cat "$tmp/out"

grep -q '^RELIABILITY|' "$tmp/out" || rc=1
if grep -q '^RELIABILITY|.*|FAIL$' "$tmp/out"; then rc=1; fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the flood test failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
fi
exit "$rc"
