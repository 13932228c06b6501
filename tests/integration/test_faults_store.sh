#!/usr/bin/env bash
# Disk-full and read-only store faults (issue 6): faults/store.mjs runs `hookd serve` with
# LD_PRELOAD=fault_fs.so (tests/tools/preload/fault_fs.c, built beside hookd), which makes
# writes under the data dir fail with ENOSPC, EROFS or EIO, or only syncs fail with EIO,
# while a trigger file exists. Mutations must fail cleanly (MutationError type INTERNAL, code
# "internal"), hookd must stay up, nothing of a failed mutation may be written, and every
# committed event must be delivered; after a failed sync the store must refuse writes and
# /healthz answer 503 until a restart. Prints one RELIABILITY line per case (see
# faults/store.mjs for the cases).
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
build=$(cd "$HOOKD_BUILD" && pwd)
bin=$build/hookd
preload=$build/fault_fs.so
here=$(cd "$HOOKD_SRC" && pwd)/tests/integration
compat=$HOOKD_SRC/tests/compat
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
[ -f "$preload" ] || { echo "FAIL: no $preload (cmake --build builds fault_fs)" >&2; exit 1; }
if [ ! -d "$compat/node_modules/ajv" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-faults-store.XXXXXX")
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
line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name faults-store --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")

# An ASan build links its runtime first; a preloaded library would come before it.
asan_options=${ASAN_OPTIONS:-}
if ldd "$bin" | grep -q libasan; then
    asan_options="${asan_options:+$asan_options:}verify_asan_link_order=0"
fi

# set -m: the driver gets a process group of its own, which the trap can end whole.
set -m
(
    cd "$here/faults"
    export HOOKD_BIN="$bin" HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
        HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids" \
        HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms,800ms HOOKD_DELIVERY_TIMEOUT=2s \
        HOOKD_PRELOAD="$preload" HOOKD_FAULT_FS_DIR="$data" \
        HOOKD_FAULT_FS_TRIGGER="$tmp/fault" HOOKD_FAULT_FS_LOG="$tmp/fault.log" \
        ASAN_OPTIONS="$asan_options"
    # Only hookd is faulted: store.mjs starts it with LD_PRELOAD=$HOOKD_PRELOAD.
    exec node store.mjs
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
    echo "FAIL: store.mjs did not finish within 170 s" >>"$tmp/out"
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
fi
wait "$driver_pid" || rc=$?
driver_pid=
cat "$tmp/out"

grep -q '^RELIABILITY|' "$tmp/out" || rc=1
if grep -q '^RELIABILITY|.*|FAIL$' "$tmp/out"; then rc=1; fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the store fault test failed (exit $rc); the server's log ends with:" >&2
    tail -n 30 "$tmp/serve.log" >&2 || true
fi
exit "$rc"
