# shellcheck shell=bash
# lib.sh - what the test_faults_*.sh scripts share; sourced, not run.
#
# faults_init: checks what ctest sets (HOOKD_BUILD, HOOKD_SRC) and the tools, sets build,
#   bin (hookd), here (tests/integration), tmp, pids (a file of every hookd pid the driver
#   starts, one a line), exports HOOKD_BIN, HOOKD_LOG_FILE and HOOKD_PID_FILE for the
#   driver, and installs the EXIT trap that ends the driver's process group and every hookd
#   and removes $tmp.
# faults_bootstrap NAME: a workspace in $tmp/data; sets data, line (bootstrap's JSON), key.
# faults_drive SCRIPT: runs `node SCRIPT` in tests/integration/faults in a process group of
#   its own with the environment the caller exported, for 170 s at most, prints what it
#   printed, and exits: 0 when it succeeded, printed a RELIABILITY line and no line says
#   FAIL; 1 otherwise, with the end of hookd's log.

faults_init() {
    : "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
    : "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
    build=$(cd "$HOOKD_BUILD" && pwd)
    bin=$build/hookd
    here=$(cd "$HOOKD_SRC" && pwd)/tests/integration
    [ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
    if [ ! -d "$HOOKD_SRC/tests/compat/node_modules/ajv" ]; then
        echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
        exit 1
    fi
    command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-faults.XXXXXX")
    pids=$tmp/pids
    : >"$pids"
    driver_pid=
    export HOOKD_BIN="$bin" HOOKD_LOG_FILE="$tmp/serve.log" HOOKD_PID_FILE="$pids"
    trap faults_cleanup EXIT
}

# faults_kill_hookd PID: SIGKILL, only if PID is still a hookd.
faults_kill_hookd() {
    if [ "$(ps -o comm= -p "$1" 2>/dev/null)" = hookd ]; then
        kill -KILL "$1" 2>/dev/null || true
    fi
}

# shellcheck disable=SC2317 # run by the EXIT trap
faults_cleanup() {
    if [ -n "$driver_pid" ]; then
        kill -KILL -- "-$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    while read -r pid; do
        [ -n "$pid" ] && faults_kill_hookd "$pid"
    done <"$pids"
    rm -rf "$tmp"
}

# shellcheck disable=SC2034 # data, line and key are for the sourcing script
faults_bootstrap() {
    data=$tmp/data
    line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name "$1" --log-level warn)
    [[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
    key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")
}

faults_drive() {
    local script=$1 rc=0 i
    # set -m: the driver gets a process group of its own, which the trap can end whole.
    set -m
    (cd "$here/faults" && exec node "$script") >"$tmp/out" 2>&1 &
    driver_pid=$!
    set +m
    for ((i = 0; i < 850; i++)); do
        kill -0 "$driver_pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$driver_pid" 2>/dev/null; then
        echo "FAIL: $script did not finish within 170 s" >>"$tmp/out"
        kill -KILL -- "-$driver_pid" 2>/dev/null || true
    fi
    wait "$driver_pid" || rc=$?
    driver_pid=
    cat "$tmp/out"
    grep -q '^RELIABILITY|' "$tmp/out" || rc=1
    if grep -q '^RELIABILITY|.*|FAIL$' "$tmp/out"; then rc=1; fi
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $script failed (exit $rc); the server's log ends with:" >&2
        tail -n 30 "$tmp/serve.log" >&2 || true
    fi
    exit "$rc"
}
