#!/usr/bin/env bash
# Start/stop the PostgreSQL server used by the integration tests.
#
#   scripts/services/postgres.sh start   start the Debian cluster <ver>/main
#                                        (creating it if needed), then create
#                                        role + database aimodel_test; prints
#                                        the port
#   scripts/services/postgres.sh stop    stop it (no-op when not running)
#   scripts/services/postgres.sh port    print the cluster's port
#
# Uses Debian's postgresql-common tools (pg_lsclusters, pg_createcluster,
# pg_ctlcluster), so it works without systemd (containers, CI). Needs root.
# Install the packages first with: scripts/setup-system.sh --test
set -euo pipefail

MIN_VERSION=15
CLUSTER=main
DB_NAME=aimodel_test
DB_USER=aimodel_test
DB_PASSWORD=aimodel_test_pw
WAIT_SECONDS=30

die() { echo "postgres.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

# Highest PostgreSQL major version whose server binary is installed.
pg_version() {
  local bin v best=""
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x "$bin" ]] || continue
    v="${bin#/usr/lib/postgresql/}"
    v="${v%%/*}"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [[ -z "$best" ]] || ((v > best)); then best="$v"; fi
  done
  [[ -n "$best" ]] || die "no PostgreSQL server installed; run: scripts/setup-system.sh --test"
  ((best >= MIN_VERSION)) || die "PostgreSQL $best found, need >= $MIN_VERSION"
  echo "$best"
}

# One field of `pg_lsclusters` for <version> main (empty if no such cluster):
# 3=port 4=status 7=log file.
cluster_field() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" -v f="$1" \
    '$1 == v && $2 == c { print $f }'
}

is_running() { [[ "$(cluster_field 4)" == online* ]]; }

log_tail() {
  local log
  log="$(cluster_field 7)"
  if [[ -n "$log" && -r "$log" ]]; then
    echo "--- last lines of $log ---" >&2
    tail -n 30 "$log" >&2
  fi
}

# psql as the postgres superuser over the unix socket (peer auth). `cd /`
# because postgres may not be allowed into the caller's working directory.
psql_admin() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@")
}

# Password login over TCP, exactly as the ODBC tests connect.
tcp_login_ok() {
  PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -At -h 127.0.0.1 -p "$PORT" \
    -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>&1
}

start() {
  ((EUID == 0)) || die "must run as root (pg_ctlcluster, runuser); try: sudo $0 start"

  if [[ -z "$(cluster_field 2)" ]]; then
    # UTF-8 + C.UTF-8: same encoding and (code point) sort order on every machine.
    say "creating PostgreSQL $VERSION cluster '$CLUSTER'"
    pg_createcluster --encoding UTF8 --locale C.UTF-8 "$VERSION" "$CLUSTER" >/dev/null
  fi
  PORT="$(cluster_field 3)"

  if is_running; then
    say "PostgreSQL $VERSION/$CLUSTER already running on port $PORT"
  else
    say "starting PostgreSQL $VERSION/$CLUSTER on port $PORT"
    # Socket directory lives on tmpfs (/run) and is gone after a reboot.
    install -d -o postgres -g postgres -m 2775 /run/postgresql
    if ! pg_ctlcluster "$VERSION" "$CLUSTER" start; then
      log_tail
      die "pg_ctlcluster $VERSION $CLUSTER start failed"
    fi
  fi

  say "waiting for PostgreSQL to accept connections (up to ${WAIT_SECONDS}s)"
  local i
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1 && break
    sleep 1
  done
  if ! pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1; then
    log_tail
    die "PostgreSQL did not become ready on 127.0.0.1:$PORT within ${WAIT_SECONDS}s"
  fi

  # Role: create if missing, then always (re)set attributes and password so a
  # half-configured role from an earlier run is repaired.
  say "ensuring role $DB_USER and database $DB_NAME"
  psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER;
  END IF;
END
\$\$;
ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING ''UTF8'''
       ' LC_COLLATE ''C.UTF-8'' LC_CTYPE ''C.UTF-8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')
\gexec
ALTER DATABASE $DB_NAME OWNER TO $DB_USER;
SQL
  local enc
  enc="$(psql_admin -At -c "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '$DB_NAME'")"
  [[ "$enc" == UTF8 ]] || die "database $DB_NAME has encoding $enc, need UTF8 (drop it and rerun)"

  # Debian's default pg_hba.conf allows scram-sha-256 for host 127.0.0.1; if a
  # customised one rejects us, put an explicit rule for our role/db first.
  if ! tcp_login_ok; then
    local hba
    hba="$(psql_admin -At -c 'SHOW hba_file')"
    say "password login over 127.0.0.1 refused; adding a scram-sha-256 rule to $hba"
    sed -i "1i host $DB_NAME $DB_USER 127.0.0.1/32 scram-sha-256" "$hba"
    psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 1
    tcp_login_ok || die "cannot log in as $DB_USER on 127.0.0.1:$PORT with a password; check $hba"
  fi

  say "PostgreSQL ready: 127.0.0.1:$PORT database=$DB_NAME user=$DB_USER"
  echo "$PORT"
}

stop() {
  if [[ -z "$(cluster_field 2)" ]] || ! is_running; then
    say "PostgreSQL $VERSION/$CLUSTER not running"
    return 0
  fi
  ((EUID == 0)) || die "must run as root; try: sudo $0 stop"
  say "stopping PostgreSQL $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" stop
}

case "${1:-}" in
  start) VERSION="$(pg_version)"; start ;;
  stop) VERSION="$(pg_version)"; stop ;;
  status) VERSION="$(pg_version)"; [[ -n "$(cluster_field 2)" ]] && is_running ;;
  port)
    VERSION="$(pg_version)"
    port="$(cluster_field 3)"
    [[ -n "$port" ]] || die "no cluster $VERSION/$CLUSTER; run: $0 start"
    echo "$port"
    ;;
  *) echo "usage: $0 start|stop|status|port" >&2; exit 2 ;;
esac
