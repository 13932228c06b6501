# shellcheck shell=bash
# lib.sh - what the benchmark scripts share: a fresh durable hookd on a kernel-picked
# loopback port, and stopping it. Sourced, not run.
#
#   hookd_start BUILD DIR NAME: bootstraps a store in DIR/data and starts `BUILD/hookd serve`
#       on 127.0.0.1:0, its log in DIR/hookd.log; sets server_pid, port and key (the API key),
#       or prints why to stderr and returns 1. Extra environment comes from the caller.
#   stop_pid PID TENTHS: SIGTERM, up to TENTHS tenths of a second to exit, then SIGKILL.
#   hookd_cleanup: for `trap hookd_cleanup EXIT`: stops $server_pid (if set), removes $tmp.
#   wait_for_line FILE PID SED: prints the first match of SED in FILE, waiting up to 10 s
#       while PID lives (empty if none).

wait_for_line() {
    local out=""
    for _ in $(seq 100); do
        out=$(sed -n "$3" "$1")
        [ -n "$out" ] && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    printf '%s' "$out"
}

stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq "$2"); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# shellcheck disable=SC2317,SC2154 # run by the EXIT trap; $tmp is the caller's
hookd_cleanup() {
    [ -z "${server_pid:-}" ] || stop_pid "$server_pid" 150 # hookd drains for up to 10 s
    rm -rf "$tmp"
}

hookd_start() {
    local build=$1 dir=$2 name=$3
    if ! "$build/hookd" bootstrap --data-dir "$dir/data" >"$dir/bootstrap.json" \
        2>"$dir/bootstrap.log"; then
        cat "$dir/bootstrap.log" >&2
        return 1
    fi
    key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$dir/bootstrap.json")
    [ -n "$key" ] || { echo "$name: no API key from bootstrap" >&2; return 1; }
    : >"$dir/hookd.log" # before the background start, so the reads below never miss it
    "$build/hookd" serve --data-dir "$dir/data" --listen 127.0.0.1:0 >"$dir/hookd.log" 2>&1 &
    server_pid=$!
    port=$(wait_for_line "$dir/hookd.log" "$server_pid" \
        's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
    [ -n "$port" ] || { echo "$name: hookd did not start:" >&2; cat "$dir/hookd.log" >&2; return 1; }
}
