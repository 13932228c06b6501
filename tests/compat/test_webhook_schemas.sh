#!/usr/bin/env bash
# Every webhook body hookd renders, for every event type and version, must pass
# Plain's JSON Schemas and the example-shape checks of validate_bodies.mjs.
# Run by ctest with HOOKD_BUILD (build dir) and HOOKD_SRC (source dir) set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
compat="$HOOKD_SRC/tests/compat"
validator="$compat/validate_bodies.mjs"

if [ ! -d "$compat/node_modules/ajv" ]; then
    echo "FAIL: tests/compat has no node_modules: run scripts/setup.sh (make setup) first" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$HOOKD_BUILD/render_samples" >"$tmp/bodies"

# Self-checks first: the validator must be able to fail, or its pass means nothing.
# 1. A customer without fullName (required by the schema).
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
const body = JSON.parse(lines[0]);
delete body.payload.customer.fullName;
console.log(JSON.stringify(body));
' "$tmp/bodies" >"$tmp/no_full_name"
if node "$validator" "$tmp/no_full_name" >"$tmp/neg1.out" 2>&1; then
    echo "FAIL: validator accepted a customer without fullName" >&2
    cat "$tmp/neg1.out" >&2
    exit 1
fi
if ! grep -q "required property 'fullName'" "$tmp/neg1.out"; then
    echo "FAIL: validator rejected the body without fullName, but not for fullName" >&2
    cat "$tmp/neg1.out" >&2
    exit 1
fi
# 2. Right fields, wrong order (no schema can see this; the validator must).
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
const { type, ...rest } = JSON.parse(lines[0]);
console.log(JSON.stringify({ type, ...rest }));
' "$tmp/bodies" >"$tmp/reordered"
if node "$validator" "$tmp/reordered" >"$tmp/neg2.out" 2>&1; then
    echo "FAIL: validator accepted a body whose keys are out of order" >&2
    exit 1
fi
echo "self-checks: a body without fullName and a reordered body were rejected"

# The real check, as a pipe, so render_samples failing fails the test too.
if ! "$HOOKD_BUILD/render_samples" | node "$validator"; then
    echo "FAIL: rendered webhook bodies do not match Plain's schemas/examples" >&2
    exit 1
fi
