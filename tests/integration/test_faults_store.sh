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

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init
preload=$build/fault_fs.so
[ -f "$preload" ] || { echo "FAIL: no $preload (cmake --build builds fault_fs)" >&2; exit 1; }

faults_bootstrap faults-store

# An ASan build links its runtime first; a preloaded library would come before it.
asan_options=${ASAN_OPTIONS:-}
if ldd "$bin" | grep -q libasan; then
    asan_options="${asan_options:+$asan_options:}verify_asan_link_order=0"
fi

# Only hookd is faulted: store.mjs starts it with LD_PRELOAD=$HOOKD_PRELOAD.
export HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
    HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms,800ms HOOKD_DELIVERY_TIMEOUT=2s \
    HOOKD_PRELOAD="$preload" HOOKD_FAULT_FS_DIR="$data" \
    HOOKD_FAULT_FS_TRIGGER="$tmp/fault" HOOKD_FAULT_FS_LOG="$tmp/fault.log" \
    ASAN_OPTIONS="$asan_options"
faults_drive store.mjs
