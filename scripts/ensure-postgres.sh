# Finds or starts a PostgreSQL server for the test suite. Source it after scripts/lib.sh:
#
#   ensure_postgres   sets and exports LAWCAM_TEST_PG_URL, or returns 1 with a message
#   stop_postgres     stops and deletes the throw-away cluster, if ensure_postgres started one
#
# Order: LAWCAM_TEST_PG_URL when already set is used as it is. Otherwise a server answering on
# 127.0.0.1:$LAWCAM_TEST_PG_PORT (default 5432) is used when user `postgres` can log in to it.
# Otherwise a throw-away cluster (trust auth, no fsync) is made in a temporary directory and
# started on that port (or a free one, if the port is taken), as the `postgres` OS user when we
# are root; Debian's `postgresql` package is installed first when no server binaries are found.
# Setting LAWCAM_TEST_PG_PORT to an unused port (e.g. 5544) exercises the throw-away path.

LAWCAM_PG_TMP=""
LAWCAM_PG_BIN=""
LAWCAM_PG_PY="${LAWCAM_PG_PY:-python3}"  # test.sh points this at .venv/bin/python (has psycopg)

# _pg_answers PORT: something PostgreSQL-like accepts connections on 127.0.0.1:PORT.
_pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p "$1" -t 3
    else
        "$LAWCAM_PG_PY" - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
except OSError:
    sys.exit(1)
EOF
    fi
}

# _pg_login URL: a real login (psycopg) works; this is what the tests will do.
_pg_login() {
    "$LAWCAM_PG_PY" - "$1" <<'EOF' 2>/dev/null
import sys
import psycopg
psycopg.connect(sys.argv[1], connect_timeout=5).close()
EOF
}

# _pg_port_free PORT: the server could listen there. SO_REUSEADDR as the server sets it, so that
# a port left in TIME_WAIT by an earlier run counts as free.
_pg_port_free() {
    "$LAWCAM_PG_PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

_pg_free_port() {
    "$LAWCAM_PG_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Sets LAWCAM_PG_BIN to a directory holding initdb and pg_ctl.
_pg_find_bin() {
    local dir
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        LAWCAM_PG_BIN="$(dirname "$(command -v initdb)")"
        return 0
    fi
    # Debian keeps the server programs out of PATH, one directory per major version.
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            LAWCAM_PG_BIN="$dir"
            return 0
        fi
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null)"
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            LAWCAM_PG_BIN="$dir"
            return 0
        fi
    fi
    return 1
}

# Runs a PostgreSQL server program: as the `postgres` OS user when we are root (the server
# refuses to run as root), as ourselves otherwise; from inside the temporary directory so the
# other user can always read its working directory.
_pg_run() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$LAWCAM_PG_TMP" && runuser -u postgres -- "$@")
    else
        (cd "$LAWCAM_PG_TMP" && "$@")
    fi
}

_pg_start_own() {
    local port="$1"
    if ! _pg_find_bin; then
        say "no PostgreSQL server programs found: installing Debian's postgresql package"
        apt_install postgresql || return 1
        _pg_find_bin || { say "PostgreSQL installed, but initdb/pg_ctl not found"; return 1; }
    fi
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        say "running as root but there is no 'postgres' OS user to run the server as"
        return 1
    fi
    if ! _pg_port_free "$port"; then
        port="$(_pg_free_port)"
    fi
    LAWCAM_PG_TMP="$(mktemp -d /tmp/lawcam-pg.XXXXXX)"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown postgres: "$LAWCAM_PG_TMP"
    fi
    chmod 700 "$LAWCAM_PG_TMP"
    say "starting a throw-away PostgreSQL ($("$LAWCAM_PG_BIN/pg_ctl" --version)) in $LAWCAM_PG_TMP on 127.0.0.1:$port"
    local data="$LAWCAM_PG_TMP/data"
    if ! _pg_run "$LAWCAM_PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$LAWCAM_PG_TMP/initdb.log" 2>&1; then
        # Older servers or systems without the C.UTF-8 locale.
        _pg_run rm -rf "$data"
        if ! _pg_run "$LAWCAM_PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 \
                --no-locale --no-sync >"$LAWCAM_PG_TMP/initdb.log" 2>&1; then
            cat "$LAWCAM_PG_TMP/initdb.log" >&2
            say "initdb failed"
            return 1
        fi
    fi
    local opts="-k $LAWCAM_PG_TMP -p $port -c listen_addresses=127.0.0.1"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    if ! _pg_run "$LAWCAM_PG_BIN/pg_ctl" -D "$data" -l "$LAWCAM_PG_TMP/server.log" -w -t 60 \
            -o "$opts" start >/dev/null; then
        cat "$LAWCAM_PG_TMP/server.log" >&2 2>/dev/null || true
        say "pg_ctl start failed"
        return 1
    fi
    export LAWCAM_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

ensure_postgres() {
    if [[ -n "${LAWCAM_TEST_PG_URL:-}" ]]; then
        say "PostgreSQL: using LAWCAM_TEST_PG_URL=$LAWCAM_TEST_PG_URL as given"
        export LAWCAM_TEST_PG_URL
        return 0
    fi
    local port="${LAWCAM_TEST_PG_PORT:-5432}"
    local url="postgresql://postgres@127.0.0.1:$port/postgres"
    if _pg_answers "$port"; then
        if _pg_login "$url"; then
            say "PostgreSQL: using the server on 127.0.0.1:$port"
            export LAWCAM_TEST_PG_URL="$url"
            return 0
        fi
        say "a server answers on 127.0.0.1:$port but user postgres cannot log in: starting our own"
    else
        say "PostgreSQL: nothing answers on 127.0.0.1:$port"
    fi
    _pg_start_own "$port" || return 1
    if ! _pg_login "$LAWCAM_TEST_PG_URL"; then
        say "the throw-away PostgreSQL started but refuses logins"
        return 1
    fi
    say "PostgreSQL: using the throw-away server, $LAWCAM_TEST_PG_URL"
}

stop_postgres() {
    if [[ -n "$LAWCAM_PG_TMP" && -d "$LAWCAM_PG_TMP" ]]; then
        if [[ -f "$LAWCAM_PG_TMP/data/postmaster.pid" ]]; then
            _pg_run "$LAWCAM_PG_BIN/pg_ctl" -D "$LAWCAM_PG_TMP/data" -m immediate -w -t 30 stop \
                >/dev/null 2>&1 || say "could not stop the throw-away PostgreSQL in $LAWCAM_PG_TMP"
        fi
        rm -rf "$LAWCAM_PG_TMP"
        say "stopped and removed the throw-away PostgreSQL"
        LAWCAM_PG_TMP=""
    fi
}
