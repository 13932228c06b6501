#!/usr/bin/env bash
# The integration tests under valgrind memcheck (make test-valgrind), in a build dir configured
# with HOOKD_VALGRIND=ON: there $HOOKD_BUILD/hookd and hookctl are wrappers
# (tests/sanitizers/valgrind-wrapper.sh.in) that run the real programs under memcheck, each
# process logging to vg.<pid>.log in BUILD/valgrind-logs.
#
# After ctest, every log is read:
#   - a log with memcheck's closing summary: its error count (leak records apart) and its
#     definitely/indirectly lost records must be 0;
#   - a log without one is a process ended by SIGKILL (the tests' cleanup, or a crash test):
#     memcheck never got to the leak check. It is counted as unchecked, and the errors it
#     logged before the kill (memcheck writes each as it happens) still count.
# Suppressions: tests/valgrind.supp (third-party noise only).
# HOOKD_TEST_TIME_SCALE (default 4 here) widens the timing tolerances of the tests that read it:
# memcheck runs hookd 20-50 times slower.
# Prints: RELIABILITY|sanitizers|valgrind memcheck, integration|processes=N errors=0 leaks=0 unchecked=K|ok
# Usage: tests/sanitizers/valgrind.sh BUILD_DIR [JOBS] [EXCLUDE_REGEX]
set -euo pipefail

build=$(cd "${1:?usage: valgrind.sh BUILD_DIR [JOBS] [EXCLUDE_REGEX]}" && pwd)
jobs=${2:-2}
exclude=${3:-}
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed"; exit 1; }
if [ ! -x "$build/hookd.bin" ] || ! grep -q valgrind "$build/hookd"; then
    echo "FAIL: $build/hookd is not the valgrind wrapper (configure with -DHOOKD_VALGRIND=ON)"
    exit 1
fi

logs=$build/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"
export HOOKD_VALGRIND_LOGS=$logs
export HOOKD_TEST_TIME_SCALE=${HOOKD_TEST_TIME_SCALE:-4}

args=(--output-on-failure -L '^integration$' -j "$jobs")
[ -n "$exclude" ] && args+=(-E "$exclude")
echo "valgrind memcheck: ctest ${args[*]} in $build (logs in $logs)"
start=$SECONDS
ctest_rc=0
(cd "$build" && ctest "${args[@]}") | tee "$build/ctest-valgrind.log" || ctest_rc=$?
elapsed=$((SECONDS - start))
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$build/ctest-valgrind.log" |
    tail -n 1 || true)
total=$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$summary")
total=${total:-0}

# Error kinds memcheck reports (the first line of each error), and fatal signals.
error_re='== (Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|'
error_re+='Syscall param|Source and destination overlap|Argument .* of function|'
error_re+='Jump to the invalid address|Process terminating with default action of signal '
error_re+='(4|6|7|8|11) )'
leak_re='are (definitely|indirectly) lost in loss record'

processes=0 unchecked=0 errors=0 leaks=0
bad=()
for f in "$logs"/vg.*.log; do
    [ -e "$f" ] || continue
    processes=$((processes + 1))
    n_leaks=$(grep -cE "$leak_re" "$f" || true)
    summary_line=$(grep -E '== ERROR SUMMARY: [0-9]+ errors' "$f" | tail -n 1 || true)
    if [ -n "$summary_line" ]; then
        total_errors=$(sed -nE 's/.*ERROR SUMMARY: ([0-9]+) errors.*/\1/p' <<<"$summary_line")
        # The summary counts each definite/indirect leak record as an error too.
        n_errors=$((total_errors - n_leaks))
        [ "$n_errors" -lt 0 ] && n_errors=0
        # A fatal signal is no memcheck error, but it is one here.
        n_errors=$((n_errors + $(grep -cE '== Process terminating with default action of signal (4|6|7|8|11) ' "$f" || true)))
    else
        unchecked=$((unchecked + 1))
        n_errors=$(grep -cE "$error_re" "$f" || true)
    fi
    errors=$((errors + n_errors))
    leaks=$((leaks + n_leaks))
    if [ "$n_errors" -ne 0 ] || [ "$n_leaks" -ne 0 ]; then bad+=("$f"); fi
done

for f in ${bad[@]+"${bad[@]}"}; do
    echo "==== memcheck log with errors or leaks: $f"
    cat "$f"
done

status=ok
if [ "$ctest_rc" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$leaks" -ne 0 ] || [ "$processes" -eq 0 ]; then
    status=FAIL
fi
echo "valgrind memcheck: $total tests, $processes processes ($unchecked ended by SIGKILL," \
    "unchecked), $errors errors, $leaks leak records, ${elapsed} s"
echo "RELIABILITY|sanitizers|valgrind memcheck, integration|tests=$total processes=$processes errors=$errors leaks=$leaks unchecked=$unchecked|$status"
[ "$status" = ok ]
