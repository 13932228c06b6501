#!/usr/bin/env bash
# The whole ctest suite (unit, integration, compat: every test) in a build dir configured with
# HOOKD_SANITIZE=ON (make test-asan, the second half of make test). The scripts run the
# binaries of $HOOKD_BUILD, so hookd, hookctl and the tools they start are instrumented too.
#
# Every sanitizer report goes to a file, san.<pid>, in BUILD/sanitizer-logs: a daemon's
# stderr is a scratch file its test deletes, so that is the only place a report from a
# background process survives. After ctest this fails when any report file exists, and
# prints them all, even if every test passed.
#   - ASan stops at the first error (halt_on_error, abort_on_error); LeakSanitizer runs at
#     every exit, so a process stopped with SIGTERM must exit with nothing leaked. (SIGKILL
#     ends a process without any report: nothing to check there.)
#   - UBSan stops at the first error too (-fno-sanitize-recover=undefined, abort_on_error).
#     With gcc, libubsan ignores its own log_path when libasan is loaded (its report path
#     setter resolves to libasan's), so its message goes to stderr; the abort() after it is
#     caught by ASan (handle_abort=1), whose report - the __ubsan_handle_* frames included -
#     lands in the log dir.
# Prints: RELIABILITY|sanitizers|ASan+UBSan, whole suite|tests=N failed=F reports=R|ok
# Usage: tests/sanitizers/asan.sh BUILD_DIR [JOBS] [CTEST_ARGS...]
set -euo pipefail

build=$(cd "${1:?usage: asan.sh BUILD_DIR [JOBS] [CTEST_ARGS...]}" && pwd)
jobs=${2:-2}
shift $(($# < 2 ? $# : 2))

# A build without the sanitizers would pass with no report at all: refuse it.
if ! nm "$build/hookd" 2>/dev/null | grep __asan_init >/dev/null; then
    echo "FAIL: $build/hookd is not built with AddressSanitizer (configure with -DHOOKD_SANITIZE=ON)"
    exit 1
fi

logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:handle_abort=1:log_path=$logs/san"
# verify_asan_link_order=0: some tests put a library before libasan with LD_PRELOAD (stdbuf's
# libstdbuf.so in test_verify_receiver.sh, fault_fs.so in test_faults_store.sh); neither
# defines malloc or free, so ASan's allocator still comes before libc's.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$logs/san"
# Timing tolerances of the tests that read it (test_delivery.sh: the per-attempt timeout):
# the Debug+ASan hookd is several times slower, and ctest runs two tests at once.
export HOOKD_TEST_TIME_SCALE=${HOOKD_TEST_TIME_SCALE:-2}

echo "ASan+UBSan: ctest in $build (reports to $logs)"
start=$SECONDS
ctest_rc=0
(cd "$build" && ctest --output-on-failure -j "$jobs" "$@") | tee "$build/ctest-asan.log" ||
    ctest_rc=$?
elapsed=$((SECONDS - start))

# "100% tests passed, 0 tests failed out of 34"
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$build/ctest-asan.log" |
    tail -n 1 || true)
total=$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$summary")
failed_tests=$(sed -nE 's/.*passed, ([0-9]+) tests? failed.*/\1/p' <<<"$summary")
total=${total:-0}
failed_tests=${failed_tests:-?}

reports=0
for f in "$logs"/san.*; do
    [ -e "$f" ] || continue
    reports=$((reports + 1))
    echo "==== sanitizer report $f"
    cat "$f"
done

status=ok
if [ "$ctest_rc" -ne 0 ] || [ "$reports" -ne 0 ] || [ "$total" -eq 0 ]; then
    status=FAIL
fi
echo "ASan+UBSan: $total tests ($failed_tests failed), $reports sanitizer reports, ${elapsed} s"
echo "RELIABILITY|sanitizers|ASan+UBSan, whole suite|tests=$total failed=$failed_tests reports=$reports|$status"
[ "$status" = ok ]
