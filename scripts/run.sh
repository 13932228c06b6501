#!/usr/bin/env bash
# Runs hookd for local development (`make run`): on the first start in DATA_DIR it
# creates a workspace with an HMAC secret and shows its API key and secret, then serves on
# LISTEN. Development mode is on unless the caller set HOOKD_ALLOW_PRIVATE_TARGETS: webhook
# targets may be http:// and local (a receiver on this machine, `hookctl listen`).
#   scripts/run.sh BIN DATA_DIR LISTEN
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 BIN DATA_DIR LISTEN" >&2
    exit 2
fi
bin=$1
data_dir=$2
listen=$3
export HOOKD_ALLOW_PRIVATE_TARGETS=${HOOKD_ALLOW_PRIVATE_TARGETS:-1}

# The store keeps everything in DATA_DIR/hookd.db: no file yet means no workspace yet.
if [ ! -e "$data_dir/hookd.db" ]; then
    if ! result=$("$bin" bootstrap --data-dir "$data_dir" --hmac-secret); then
        echo "run: could not create the first workspace in $data_dir (see above)" >&2
        exit 1
    fi
    # The output is one JSON object whose values never need unescaping (ids, base64url keys,
    # hex).
    workspace_id=$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' <<<"$result")
    api_key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$result")
    secret=$(sed -n 's/.*"hmacSecret":"\([^"]*\)".*/\1/p' <<<"$result")
    if [ -z "$workspace_id" ] || [ -z "$api_key" ] || [ -z "$secret" ]; then
        echo "run: unexpected output from '$bin bootstrap': $result" >&2
        exit 1
    fi
    cat <<EOF

  hookd: created a workspace in $data_dir

    workspace id:  $workspace_id
    API key:       $api_key
    HMAC secret:   $secret

  Save this key: it is shown once (hookd stores only its hash).
  Use it as:     Authorization: Bearer $api_key
  Deliveries are signed with the HMAC secret (hookctl hmac show prints it again).

EOF
fi
if [ "$HOOKD_ALLOW_PRIVATE_TARGETS" = 1 ]; then
    echo "  development mode: webhook targets may be http:// and local" \
        "(HOOKD_ALLOW_PRIVATE_TARGETS=0 to refuse them)"
fi

# The dashboard signs in with that key (kept in the browser tab only).
echo "  hookd: dashboard at http://$listen/ui/" >&2
exec "$bin" serve --data-dir "$data_dir" --listen "$listen"
