#!/usr/bin/env bash
# Three `hookd serve` nodes on one PostgreSQL database, two SIGKILLed at random under a mixed
# mutation load (issue 17): faults/cluster.mjs checks that every event of an acknowledged
# mutation reached each subscribed target, that hookd holds no undelivered delivery, and that
# every duplicate repeats an attempt that was in flight at a kill (the survivor took it over
# once the dead node's lease ran out). Prints one RELIABILITY line.
# PostgreSQL only: ctest runs it as integration.test_cluster.pg, with HOOKD_TEST_DATABASE_URL
# naming the throwaway server of tests/pg/pg_ctl.sh. Run by ctest with HOOKD_BUILD and
# HOOKD_SRC set.
set -euo pipefail

: "${HOOKD_TEST_DATABASE_URL:?HOOKD_TEST_DATABASE_URL must name a PostgreSQL database}"
# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init
# shellcheck source=tests/pg/store.sh
. "$HOOKD_SRC/tests/pg/store.sh"

hookd_store "$tmp/db"
line=$(timeout 30 "$bin" bootstrap "${store[@]}" --name cluster --log-level warn)
[[ $line == '{"workspaceId":'* ]] || { echo "FAIL: bootstrap printed '$line'" >&2; exit 1; }
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$line")

# A 2 s attempt timeout (the receiver answers within 10 ms; a timeout under load would be a
# retry, not what this test is about) and the shortest lease it allows, 12 s: a dead node's
# deliveries in flight go again from the survivor 12 s after their claim.
scale=${HOOKD_TEST_TIME_SCALE:-1}
export HOOKD_DATABASE_URL="${store[1]}" HOOKD_API_KEY="$key" \
    HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms HOOKD_DELIVERY_TIMEOUT=$((2 * scale))s \
    HOOKD_DELIVERY_LEASE=$((2 * scale + 10))s HOOKD_CLUSTER_DRAIN_MS=$((60000 * scale))
unset HOOKD_DATA_DIR
faults_drive cluster.mjs
