#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from Debian's postgresql packages.
#
#   tests/pg/pg_ctl.sh start DIR   initdb in DIR/data (unless there already), start the server
#                                  listening only on a Unix socket in DIR (no TCP at all), create
#                                  the database "hookd"; prints the URL the tests use
#   tests/pg/pg_ctl.sh stop DIR    stop it (fast shutdown) and remove DIR
#   tests/pg/pg_ctl.sh url DIR     the URL: postgresql://hookd@/hookd?host=DIR
#   tests/pg/pg_ctl.sh schema URL  a new, empty schema in that database; prints URL with the
#                                  schema as its search_path (one per test: no test sees another's rows)
#
# ctest runs start and stop as the fixture of every test labelled pg (CMakeLists.txt), so
# `make test` (and .ci/run) needs nothing else. DIR is short and under /tmp: a socket path
# must fit in 107 bytes. initdb refuses to run as root: as root the server runs as the
# `postgres` user that Debian's package creates (or `hookd-pg`, created here, when there is
# none), and DIR belongs to it; otherwise it runs as the caller. Authentication is `trust`
# over the socket only, in a directory only that user (and root) can enter. The superuser is
# "hookd". fsync is off: the data is thrown away (hookd's own durability is tested on SQLite
# by test_store_fsync; a crashed server is never restarted here); HOOKD_PG_FSYNC=on keeps
# PostgreSQL's defaults instead, for benchmarks (bench/pg_bench.sh).
set -euo pipefail

cmd=${1:?usage: pg_ctl.sh start|stop|url DIR, or schema URL}
arg=${2:?usage: pg_ctl.sh start|stop|url DIR, or schema URL}

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$d/initdb" ] || { echo "pg_ctl.sh: no PostgreSQL server (apt-get install postgresql-15)" >&2; exit 1; }
    echo "$d"
}

url_of() {
    echo "postgresql://hookd@/hookd?host=$1"
}

# Runs "$@" as the server's user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

pick_owner() {
    owner=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
        owner=postgres
        if ! id "$owner" >/dev/null 2>&1; then
            owner=hookd-pg
            id "$owner" >/dev/null 2>&1 ||
                useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
        fi
    fi
}

case $cmd in
url)
    url_of "$arg"
    ;;
start)
    dir=$arg
    [ ${#dir} -le 80 ] || { echo "pg_ctl.sh: $dir is too long for a socket path" >&2; exit 1; }
    bin=$(bindir)
    pick_owner
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        url_of "$dir"
        exit 0
    fi
    rm -rf "$dir"
    mkdir -m 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U hookd --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # listen_addresses empty: the Unix socket only. Enough connections for two test processes
    # of a few stores each, and a few hookd nodes.
    durability="-c fsync=off -c full_page_writes=off"
    [ "${HOOKD_PG_FSYNC:-off}" = on ] && durability=""
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
        "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 \
         $durability -c shared_buffers=128MB" start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h "$dir" -U hookd hookd
    url_of "$dir"
    ;;
stop)
    dir=$arg
    if [ -d "$dir/data" ]; then
        bin=$(bindir)
        pick_owner
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
schema)
    name="t_$(date +%s%N)_$$_$RANDOM"
    psql "$arg" -qAtX -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $name" >/dev/null
    case $arg in *\?*) sep='&' ;; *) sep='?' ;; esac
    echo "$arg${sep}options=-csearch_path%3D$name"
    ;;
*)
    echo "usage: pg_ctl.sh start|stop|url DIR, or schema URL" >&2
    exit 2
    ;;
esac
