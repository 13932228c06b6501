#!/usr/bin/env bash
# The operator dashboard in a real browser (issue 18): ui.test.mjs drives Debian's chromium
# (playwright-core from tests/compat, never a downloaded browser) against a real `hookd serve`
# on loopback that delivers to a real receiver (tests/integration/receiver.mjs). See
# tests/ui/README.md for what it checks.
#   HOOKD_UI_SCREENSHOTS=DIR  also write the dashboard's screenshots (desktop and phone) there
#                             (docs/ is where the README points)
#   HOOKD_CHROMIUM=PATH       the browser (default /usr/bin/chromium, which setup.sh installs)
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
bin=$HOOKD_BUILD/hookd
here=$HOOKD_SRC/tests/ui
compat=$HOOKD_SRC/tests/compat
chromium=${HOOKD_CHROMIUM:-/usr/bin/chromium}
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
# Nothing is skipped: a missing tool fails the test, saying how to get it.
if [ ! -x "$chromium" ]; then
    echo "FAIL: no browser at $chromium: scripts/setup.sh installs Debian's chromium (make setup)" >&2
    exit 1
fi
if [ ! -d "$compat/node_modules/playwright-core" ]; then
    echo "FAIL: tests/compat has no playwright-core: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi
for tool in node curl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

scale=${HOOKD_TEST_TIME_SCALE:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-ui-test.XXXXXX")
server_pid=
runner_pid= # node --test, in a process group of its own (its browser included)

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    if [ -n "$runner_pid" ]; then
        kill -KILL -- "-$runner_pid" 2>/dev/null || true
        wait "$runner_pid" 2>/dev/null || true
    fi
    if [ -n "$server_pid" ]; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

line=$(timeout 15 "$bin" bootstrap --data-dir "$tmp/data" --name "Dashboard test" --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }

# hookd serve on a random loopback port (another when that one is taken). Retries come quickly,
# so a delivery that fails once is seen to succeed within the test.
port=
for ((attempt = 0; attempt < 8; attempt++)); do
    try=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
    HOOKD_ALLOW_PRIVATE_TARGETS=1 HOOKD_RETRY_SCHEDULE=300ms,600ms,1200ms \
        HOOKD_DELIVERY_TIMEOUT=$((5 * scale))s \
        "$bin" serve --data-dir "$tmp/data" --listen "127.0.0.1:$try" 2>>"$tmp/hookd.log" &
    server_pid=$!
    for ((i = 0; i < 200; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$try/healthz")" = 200 ]; then
            port=$try
            break
        fi
        sleep 0.05
    done
    [ -n "$port" ] && break
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    grep -q "Address already in use" "$tmp/hookd.log" || break
done
if [ -z "$port" ]; then
    echo "FAIL: hookd serve did not start:" >&2
    tail -n 20 "$tmp/hookd.log" >&2
    exit 1
fi

shots=${HOOKD_UI_SCREENSHOTS:-}
[ -z "$shots" ] || shots=$(mkdir -p "$shots" && cd "$shots" && pwd)

# set -m: the runner gets a process group of its own, which the trap can end whole.
set -m
(
    cd "$here"
    export HOOKD_UI_ORIGIN="http://127.0.0.1:$port" HOOKD_UI_WORKSPACE="$line" \
        HOOKD_CHROMIUM="$chromium" HOOKD_UI_SCREENSHOTS="$shots" HOOKD_UI_TMP="$tmp"
    exec node --test --test-reporter=spec --test-timeout=$((90000 * scale)) ui.test.mjs
) &
runner_pid=$!
set +m
rc=0
for ((i = 0; i < 600 * scale; i++)); do # at most 120 s, times the scale
    kill -0 "$runner_pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$runner_pid" 2>/dev/null; then
    echo "FAIL: the dashboard test did not finish within $((120 * scale)) s" >&2
    kill -KILL -- "-$runner_pid" 2>/dev/null || true
fi
wait "$runner_pid" || rc=$?
runner_pid=

# A graceful stop: it must exit 0, and under ASan it must have freed everything.
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: hookd serve exited during the test" >&2
    rc=1
else
    kill -TERM "$server_pid"
    server_rc=0
    wait "$server_pid" || server_rc=$?
    server_pid=
    if [ "$server_rc" -ne 0 ]; then
        echo "FAIL: hookd serve exited $server_rc after SIGTERM" >&2
        rc=1
    fi
fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: the dashboard test failed (exit $rc); hookd's log ends with:" >&2
    tail -n 30 "$tmp/hookd.log" >&2
fi
exit "$rc"
