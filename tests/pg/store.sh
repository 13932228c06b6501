# shellcheck shell=bash
# store.sh - sourced by the script tests that run against both stores (ctest runs them again
# as *.pg with HOOKD_TEST_DATABASE_URL set, see CMakeLists.txt).
#
# hookd_store NAME: sets the array `store` to the flags of the store called NAME (a path in the
#   test's scratch dir): `--data-dir NAME`, or, with HOOKD_TEST_DATABASE_URL, `--database-url
#   URL` of a PostgreSQL schema of its own, made on first use and remembered in NAME.url.
# hookd_store_kind: "sqlite" or "postgresql", for messages.

hookd_store() {
    if [ -z "${HOOKD_TEST_DATABASE_URL:-}" ]; then
        store=(--data-dir "$1")
        return
    fi
    if [ ! -s "$1.url" ]; then
        bash "${HOOKD_SRC:?}/tests/pg/pg_ctl.sh" schema "$HOOKD_TEST_DATABASE_URL" >"$1.url"
    fi
    store=(--database-url "$(cat "$1.url")")
}

hookd_store_kind() {
    if [ -n "${HOOKD_TEST_DATABASE_URL:-}" ]; then echo postgresql; else echo sqlite; fi
}
