#!/usr/bin/env bash
# Repeated SIGKILL at random moments under a mixed mutation load (issue 6; SPEC §3, §5):
# faults/kill.mjs runs `hookd serve` with two webhook targets while 6 clients create,
# update, group and delete customers through GraphQL; 8 times, after a random 0.2-2 s, it
# SIGKILLs hookd and restarts it on the same data dir; then it lets the deliveries drain
# and checks that every event of an acknowledged mutation reached each subscribed target,
# that hookd holds no undelivered delivery, and that every duplicate straddles a kill.
# Mutations whose answer was lost in a kill are counted apart (uncertain), never as lost.
# Prints one RELIABILITY line. Run by ctest with HOOKD_BUILD and HOOKD_SRC set.
set -euo pipefail

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init

faults_bootstrap faults-kill

# The per-attempt timeout is 5 s (as in test_crash.sh): the receiver answers within 10 ms,
# and a timeout under load would be a retry, not what this test is about.
export HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
    HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms HOOKD_DELIVERY_TIMEOUT=5s
faults_drive kill.mjs
