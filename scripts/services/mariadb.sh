#!/usr/bin/env bash
# Start/stop the MariaDB server used by the integration tests, without systemd
# (containers, CI).
#
#   scripts/services/mariadb.sh start   start mariadbd on 127.0.0.1:3306 (if not
#                                       running), then create database + user
#                                       aimodel_test
#   scripts/services/mariadb.sh stop    shut it down (no-op when not running)
#
# Admin work uses root over the unix socket (unix_socket auth, the Debian
# default), so this needs root. Install first with: scripts/setup-system.sh --test
set -euo pipefail

PORT=3306
DB_NAME=aimodel_test
DB_USER=aimodel_test
DB_PASSWORD=aimodel_test_pw
WAIT_SECONDS=30
MARIADBD=/usr/sbin/mariadbd
RUN_DIR=/run/mysqld
# start-stop-daemon's own record of the pid it launched (root-owned, so it
# must not be mariadbd's pid-file, which mariadbd rewrites as user mysql).
LAUNCH_PID_FILE="$RUN_DIR/mariadbd.launch.pid"
LOG_DIR=/var/log/mysql
LOG_FILE="$LOG_DIR/error.log"

die() { echo "mariadb.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

# Debian's my.cnf sets the socket path; mariadb-admin/mariadb read it too.
is_running() { mariadb-admin --connect-timeout=2 --silent ping >/dev/null 2>&1; }

log_tail() {
  if [[ -r "$LOG_FILE" ]]; then
    echo "--- last lines of $LOG_FILE ---" >&2
    tail -n 20 "$LOG_FILE" >&2
  fi
}

# datadir from the server's option files (Debian: /var/lib/mysql).
datadir() {
  local d
  d="$(my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--datadir=//p' | tail -n 1)"
  echo "${d:-/var/lib/mysql}"
}

start() {
  [[ -x "$MARIADBD" ]] || die "$MARIADBD not found; run: scripts/setup-system.sh --test"
  ((EUID == 0)) || die "must run as root; try: sudo $0 start"

  if is_running; then
    say "MariaDB already running"
  else
    # /run is a tmpfs: the socket/pid directory disappears on reboot, and
    # without systemd nobody else recreates it.
    install -d -o mysql -g mysql -m 755 "$RUN_DIR"
    install -d -o mysql -g adm -m 2750 "$LOG_DIR"
    touch "$LOG_FILE" && chown mysql:adm "$LOG_FILE"

    local data
    data="$(datadir)"
    if [[ ! -d "$data/mysql" ]]; then
      say "initialising MariaDB data directory $data"
      install -d -o mysql -g mysql -m 700 "$data"
      if ! mariadb-install-db --user=mysql --datadir="$data" --skip-test-db \
        --auth-root-authentication-method=socket >>"$LOG_FILE" 2>&1; then
        log_tail
        die "mariadb-install-db failed"
      fi
    fi

    say "starting MariaDB on 127.0.0.1:$PORT (log: $LOG_FILE)"
    # Started as root, mariadbd drops to the mysql user itself (--user).
    # --background detaches it from this shell so CI steps can go on;
    # stdout/stderr go nowhere, hence the explicit --log-error.
    # --skip-name-resolve: no reverse DNS on connect (fast, no network).
    # Not answering ping = not running: a pid file left by a crash would make
    # mariadbd refuse to start if it is not writable by mysql.
    # --tmpdir=/tmp: mariadbd would otherwise take the caller's TMPDIR, which user mysql may not be
    # allowed to write (a bench's private TMPDIR made InnoDB abort: "Can't create/write to file").
    rm -f "$RUN_DIR/mysqld.pid" "$LAUNCH_PID_FILE"
    start-stop-daemon --start --quiet --background \
      --pidfile "$LAUNCH_PID_FILE" --make-pidfile --exec "$MARIADBD" -- \
      --user=mysql --bind-address=127.0.0.1 --port="$PORT" \
      --log-error="$LOG_FILE" --skip-name-resolve --tmpdir=/tmp

    say "waiting for MariaDB to answer (up to ${WAIT_SECONDS}s)"
    local i pid
    pid="$(cat "$LAUNCH_PID_FILE" 2>/dev/null || true)"
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
      is_running && break
      if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
        log_tail
        die "mariadbd exited during startup"
      fi
      sleep 0.5
    done
    if ! is_running; then
      log_tail
      die "MariaDB did not answer mariadb-admin ping within ${WAIT_SECONDS}s"
    fi
  fi

  # utf8mb4_bin: full Unicode, and case-/accent-sensitive comparisons like
  # PostgreSQL's C.UTF-8 database, so the same tests behave the same on both.
  # CREATE ... IF NOT EXISTS + ALTER USER: safe to rerun, and repairs a
  # user whose password was changed.
  say "ensuring database $DB_NAME and user $DB_USER"
  local host sql="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
  for host in 127.0.0.1 localhost; do
    sql+="
CREATE USER IF NOT EXISTS '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'$host';"
  done
  mariadb --protocol=socket -u root -e "$sql" ||
    die "could not create database/user as root over the unix socket"

  # Prove the TCP + password path the ODBC tests use.
  MYSQL_PWD="$DB_PASSWORD" mariadb --protocol=tcp -h 127.0.0.1 -P "$PORT" \
    -u "$DB_USER" -e 'SELECT 1' "$DB_NAME" >/dev/null ||
    die "cannot log in as $DB_USER on 127.0.0.1:$PORT"

  say "MariaDB ready: 127.0.0.1:$PORT database=$DB_NAME user=$DB_USER"
}

stop() {
  if ! is_running; then
    say "MariaDB not running"
    return 0
  fi
  ((EUID == 0)) || die "must run as root; try: sudo $0 stop"
  say "stopping MariaDB"
  mariadb-admin shutdown
  local i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if ! is_running; then
      rm -f "$LAUNCH_PID_FILE"
      return 0
    fi
    sleep 0.5
  done
  die "MariaDB still answering ${WAIT_SECONDS}s after shutdown"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) is_running ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
