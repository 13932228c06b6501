#!/usr/bin/env bash
# hookd's commands on a PostgreSQL store (issue 17): bootstrap, key-create, key-list,
# key-revoke and backup with --database-url (and HOOKD_DATABASE_URL), restore refused with a
# pointer to pg_restore, and the usage errors of the store flags. test_daemon.sh covers the
# same commands on SQLite (with the data directory's own rules: instance lock, restore).
# PostgreSQL only: ctest runs it as integration.test_pg_commands.pg. Run by ctest with
# HOOKD_BUILD, HOOKD_SRC and HOOKD_TEST_DATABASE_URL set.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
: "${HOOKD_TEST_DATABASE_URL:?HOOKD_TEST_DATABASE_URL must name a PostgreSQL database}"
bin=$HOOKD_BUILD/hookd
[ -x "$bin" ] || { echo "FAIL: no executable at $bin" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-pg-commands.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$HOOKD_SRC/tests/integration/lib.sh"
# shellcheck source=tests/pg/store.sh
. "$HOOKD_SRC/tests/pg/store.sh"
trap cleanup EXIT
hookd_store "$tmp/db"
url=${store[1]}

# expect_status NAME CODE CMD...: runs CMD (stdout to $tmp/out, stderr to $tmp/err).
expect_status() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" -eq "$want" ]; then
        pass "$name"
    else
        fail "$name" "exit $rc, wanted $want" "stderr: $(head -c 400 "$tmp/err")"
    fi
}

expect_status "bootstrap --database-url exits 0" 0 "$bin" bootstrap --database-url "$url" \
    --name pg --log-level warn
ws=$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' "$tmp/out")
[ -n "$ws" ] && pass "bootstrap prints the workspace" || fail "bootstrap prints the workspace"

expect_status "key-create with HOOKD_DATABASE_URL exits 0" 0 env HOOKD_DATABASE_URL="$url" \
    "$bin" key-create --workspace "$ws" --permissions customer:read --description reader
key_id=$(sed -n 's/.*"apiKeyId":"\([^"]*\)".*/\1/p' "$tmp/out")
expect_status "key-list exits 0" 0 "$bin" key-list --database-url "$url" --workspace "$ws"
if [ "$(wc -l <"$tmp/out")" -eq 2 ] && grep -q "\"$key_id\"" "$tmp/out" && grep -q reader "$tmp/out"; then
    pass "key-list shows both keys, the new one with its description"
else
    fail "key-list shows both keys, the new one with its description" "$(cat "$tmp/out")"
fi
expect_status "key-revoke exits 0" 0 "$bin" key-revoke --database-url "$url" --id "$key_id"
expect_status "key-revoke of a revoked key exits 1" 1 "$bin" key-revoke --database-url "$url" \
    --id "$key_id"

expect_status "backup --database-url exits 0" 0 "$bin" backup --database-url "$url" \
    --to "$tmp/backup.dump"
# (The list goes to a file first: grep -q leaving early would end pg_restore with SIGPIPE,
# which pipefail counts as a failure.)
pg_restore --list "$tmp/backup.dump" >"$tmp/toc" 2>&1 || true
if grep -q '"schemaVersion":[1-9]' "$tmp/out" && [ -s "$tmp/backup.dump" ] &&
    grep -q "TABLE DATA .* api_keys" "$tmp/toc"; then
    pass "backup writes a pg_dump archive pg_restore reads"
else
    fail "backup writes a pg_dump archive pg_restore reads" "$(cat "$tmp/out" "$tmp/err")"
fi
expect_status "backup to an existing file exits 2" 2 "$bin" backup --database-url "$url" \
    --to "$tmp/backup.dump"
if ps -eo args | grep -F -- "$url" | grep -qv grep; then
    fail "no process shows the URL on its command line"
else
    pass "no process shows the URL on its command line"
fi

expect_status "restore --database-url exits 2, naming pg_restore" 2 "$bin" restore \
    --database-url "$url" --from "$tmp/backup.dump"
grep -q pg_restore "$tmp/err" && pass "restore names pg_restore" ||
    fail "restore names pg_restore" "$(cat "$tmp/err")"
expect_status "--data-dir and --database-url together exit 2" 2 "$bin" key-list \
    --data-dir "$tmp/d" --database-url "$url"
expect_status "a URL that is not postgresql:// exits 2" 2 "$bin" key-list \
    --database-url "mysql://localhost/x"
expect_status "an unreachable database exits 1" 1 "$bin" bootstrap \
    --database-url "postgresql://hookd@/hookd?host=$tmp/nowhere" --log-level off

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
