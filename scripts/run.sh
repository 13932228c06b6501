#!/usr/bin/env bash
# Runs hookd for local use (`make run`): on the first start in DATA_DIR it
# creates a workspace and shows its API key, then serves on LISTEN.
#   scripts/run.sh BIN DATA_DIR LISTEN
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 BIN DATA_DIR LISTEN" >&2
    exit 2
fi
bin=$1
data_dir=$2
listen=$3

# The store keeps everything in DATA_DIR/hookd.db: no file yet means no workspace yet.
if [ ! -e "$data_dir/hookd.db" ]; then
    if ! result=$("$bin" bootstrap --data-dir "$data_dir"); then
        echo "run: could not create the first workspace in $data_dir (see above)" >&2
        exit 1
    fi
    # The output is one JSON object whose values never need unescaping (ids, base64url keys).
    workspace_id=$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' <<<"$result")
    api_key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' <<<"$result")
    if [ -z "$workspace_id" ] || [ -z "$api_key" ]; then
        echo "run: unexpected output from '$bin bootstrap': $result" >&2
        exit 1
    fi
    cat <<EOF

  hookd: created a workspace in $data_dir

    workspace id:  $workspace_id
    API key:       $api_key

  Save this key: it is shown once (hookd stores only its hash).
  Use it as:     Authorization: Bearer $api_key

EOF
fi

# The dashboard signs in with that key (kept in the browser tab only).
echo "  hookd: dashboard at http://$listen/ui/" >&2
exec "$bin" serve --data-dir "$data_dir" --listen "$listen"
