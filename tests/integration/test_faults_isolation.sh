#!/usr/bin/env bash
# Delivery isolation (issue 14): faults/isolation.mjs runs one `hookd serve` with a healthy
# webhook target, one that answers in 2 s in the same workspace, and 50 that never answer in
# two other workspaces (5 s delivery timeout), commits a burst of events to all of them, and
# checks the healthy target's commit->receive p99 (under 1 s, times HOOKD_TEST_TIME_SCALE),
# that the slow target never has more than 8 requests open and a hanging one never more than
# one. One RELIABILITY line with the figures.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init

data=$tmp/data
workspaces=
for name in isolation-a isolation-b isolation-c; do
    line=$(timeout 15 "$bin" bootstrap --data-dir "$data" --name "$name" --log-level warn)
    [[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
    workspaces+="${workspaces:+,}$line"
done

# Retries of the hanging targets' deliveries come after the run.
export HOOKD_DATA_DIR="$data" HOOKD_WORKSPACES="[$workspaces]" HOOKD_RETRY_SCHEDULE=1m \
    HOOKD_DELIVERY_TIMEOUT=5s HOOKD_LOG_LEVEL=warn
faults_drive isolation.mjs
