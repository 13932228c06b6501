# shellcheck shell=bash
# lib.sh - what the shell integration tests share; sourced, not run.
# The sourcing script sets $tmp (its scratch directory) and appends the pid of
# every process it starts to started_pids; the EXIT trap kills them all and
# removes $tmp. pass/fail count results for the closing "N passed, N failed".

started_pids=()
passed=0
failed=0

cleanup() {
    # ${arr[@]+...}: an empty array is "unbound" to set -u in older bash.
    for pid in ${started_pids[@]+"${started_pids[@]}"}; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # shellcheck disable=SC2154 # $tmp is set by the sourcing script
    rm -rf "$tmp"
}

pass() {
    passed=$((passed + 1))
    echo "ok   - $1"
}

# fail NAME [DETAIL...]
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    for detail in "$@"; do echo "       $detail"; done
}
