#!/usr/bin/env bash
# Installs what hookd needs to build and test, and only what is missing.
# Debian packages with apt-get (as root, or through sudo), JavaScript test
# tools with npm from the lockfile in tests/compat.
#   scripts/setup.sh          build + test dependencies
#   scripts/setup.sh --build  only what building and running needs
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql-client-15: pg_dump, for `hookd backup --database-url`.
build_pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev
            libjansson-dev libsqlite3-dev libpq-dev postgresql-client-15 libssl-dev)
# postgresql-15: the server the tests start in a temporary directory (tests/pg/pg_ctl.sh).
# chromium (Debian's) drives the dashboard's browser test (tests/ui); fonts-dejavu-core gives
# its pages and screenshots a font. No browser is ever downloaded by npm. groff-base and
# man-db render the man pages for their tests (tests/docs).
test_pkgs=(libcmocka-dev nodejs clang libclang-rt-14-dev wrk postgresql-15 chromium
           fonts-dejavu-core groff-base man-db)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--build" ] || want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Node.js may come from another packaging than Debian's; a working node+npm is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs}")
elif [ "${1:-}" != "--build" ]; then
    missing+=(npm)
fi
read -r -a missing <<<"${missing[*]:-}"

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # The tests run a server of their own: Debian's package need not make (and start) its
    # default cluster on port 5432. Only before the server is first installed, only when the
    # administrator has said nothing about it (postgresql-common's createcluster.d).
    if [[ " ${missing[*]} " == *" postgresql-15 "* ]] &&
        [ ! -e /etc/postgresql-common/createcluster.d/hookd-tests.conf ] &&
        ! dpkg-query -W postgresql-common >/dev/null 2>&1; then
        $SUDO mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" |
            $SUDO tee /etc/postgresql-common/createcluster.d/hookd-tests.conf >/dev/null
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--build" ]; then
    if [ ! -d tests/compat/node_modules ] ||
       [ tests/compat/package-lock.json -nt tests/compat/node_modules/.package-lock.json ]; then
        echo "setup: installing JavaScript test tools (npm ci)" >&2
        (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
