#!/usr/bin/env bash
# A flood of idle clients (issue 6): faults/flood.mjs runs `hookd serve` with 640 file
# descriptors, keeps one keep-alive connection, then opens 700 idle TCP clients. hookd must
# turn the clients past its connection limit away at accept, so that the upsert sent on the
# kept connection meanwhile is answered and its event delivered at once (the dispatcher
# needs a descriptor to connect), and serve new clients once the flood is gone. Prints one
# RELIABILITY line. Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

# shellcheck source=tests/integration/faults/lib.sh
. "$(dirname "$0")/faults/lib.sh"
faults_init

faults_bootstrap faults-flood

# hookd alone gets the small descriptor limit (the driver opens the flood's sockets).
fds=640
clients=700
cat >"$tmp/hookd" <<WRAP
#!/bin/sh
ulimit -n $fds || exit 1
exec "$bin" "\$@"
WRAP
chmod +x "$tmp/hookd"

export HOOKD_BIN="$tmp/hookd" HOOKD_DATA_DIR="$data" HOOKD_API_KEY="$key" \
    HOOKD_FLOOD_CLIENTS="$clients" HOOKD_FLOOD_FDS="$fds"
faults_drive flood.mjs
