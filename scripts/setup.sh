#!/usr/bin/env bash
# Installs what hookd needs to build and test, and only what is missing.
# Debian packages with apt-get (as root, or through sudo), JavaScript test
# tools with npm from the lockfile in tests/compat.
#   scripts/setup.sh          build + test dependencies
#   scripts/setup.sh --build  only what building and running needs
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev
            libjansson-dev libsqlite3-dev libssl-dev)
# chromium (Debian's) drives the dashboard's browser test (tests/ui); fonts-dejavu-core gives
# its pages and screenshots a font. No browser is ever downloaded by npm.
test_pkgs=(libcmocka-dev nodejs clang libclang-rt-14-dev wrk chromium fonts-dejavu-core)

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
