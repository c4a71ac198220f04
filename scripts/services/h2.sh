#!/usr/bin/env bash
# Start/stop the Oracle-mode engine used by the `oracle` and `tibero` test targets (tests only).
#
#   scripts/services/h2.sh start    resolve the H2 jar (Maven, cached), compile the launcher, start H2 in
#                                   Oracle mode on an empty database and the adapter in front of it; no-op
#                                   when they already run
#   scripts/services/h2.sh stop     stop both (no-op when not running)
#   scripts/services/h2.sh status   exit 0 when the adapter answers
#   scripts/services/h2.sh port     print the port psqlODBC connects to (the adapter's)
#
# Neither Oracle nor Tibero can be had here. H2 in Oracle mode executes their SQL, served over H2's
# PostgreSQL protocol and reached through psqlODBC, a real ODBC driver:
#
#   psqlODBC ──▶ h2/adapter.mjs (:$H2_ORACLE_PORT) ──▶ h2/OracleModeServer.java (:$H2_PG_PORT) ──▶ H2 database
#
# The launcher opens the database, creates the stand-ins for Oracle's dictionary and functions and serves
# the pg protocol without Nagle delays; the adapter keeps every connection in Oracle mode (each file says
# why). What H2 does and does not share with Oracle: docs/databases-and-tibero.md.
#
# Needs: a Java 17+ JDK (`java`, `javac`) and Maven 3 (`mvn`); Maven Central reachable the first time;
# node (the project's, from scripts/node-env.sh, or any on PATH). State under .test-services/h2/
# (gitignored): lib/ (the jar), classes/, data/ (wiped at every start), h2.pid, adapter.pid, *.out.
#
# Environment: H2_ORACLE_PORT (default 5498), H2_PG_PORT (default 5499), H2_HEAP (default 1g),
# H2_WAIT_SECONDS (default 60). The JVM runs in Asia/Seoul, so that nothing passes only because the
# database's clock happens to be UTC.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/scripts/services/h2"
STATE="$ROOT/.test-services/h2"
LIB="$STATE/lib"
CLASSES="$STATE/classes"
DATA="$STATE/data"
H2_PID_FILE="$STATE/h2.pid"
ADAPTER_PID_FILE="$STATE/adapter.pid"
PORT="${H2_ORACLE_PORT:-5498}"
PG_PORT="${H2_PG_PORT:-5499}"
HEAP="${H2_HEAP:-1g}"
WAIT_SECONDS="${H2_WAIT_SECONDS:-60}"
DATABASE=aimodel
MAIN_CLASS=OracleModeServer

die() { echo "h2.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid from a pid file, when that process is alive and its command line holds the marker (pids get reused).
running_pid() {
  local file="$1" marker="$2" pid
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}
h2_pid() { running_pid "$H2_PID_FILE" "$MAIN_CLASS $DATA "; }
adapter_pid() { running_pid "$ADAPTER_PID_FILE" "$SRC/adapter.mjs $PORT "; }

find_jdk() {
  JAVA=java JAVAC=javac
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then JAVA="$JAVA_HOME/bin/java" JAVAC="$JAVA_HOME/bin/javac"; fi
  command -v "$JAVA" >/dev/null 2>&1 || die "no java on PATH (Debian: apt-get install openjdk-17-jdk-headless)"
  command -v "$JAVAC" >/dev/null 2>&1 || die "no javac on PATH (Debian: apt-get install openjdk-17-jdk-headless)"
}

find_node() {
  NODE="$ROOT/.tools/node/bin/node"
  [[ -x "$NODE" ]] || NODE="$(command -v node)" || die "no node (run scripts/setup.sh first)"
}

# The jar once per version of the pom, and the launcher once per version of its source; each built in a
# fresh folder and swapped in only when complete.
build() {
  local stamp
  stamp="$(sha256sum <"$SRC/pom.xml" | cut -d' ' -f1)"
  if [[ ! -f "$LIB/.pom.sha256" || "$(<"$LIB/.pom.sha256")" != "$stamp" ]]; then
    command -v mvn >/dev/null 2>&1 || die "no mvn on PATH (Debian: apt-get install maven)"
    say "resolving the H2 jar with Maven into ${LIB#"$ROOT"/}"
    rm -rf "$LIB.tmp" && mkdir -p "$LIB.tmp"
    if ! mvn -B -q -Dstyle.color=never -f "$SRC/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$STATE/mvn.log" 2>&1; then
      tail -n 40 "$STATE/mvn.log" >&2
      die "Maven could not resolve the H2 jar (full log: $STATE/mvn.log)"
    fi
    echo "$stamp" >"$LIB.tmp/.pom.sha256"
    rm -rf "$LIB" && mv "$LIB.tmp" "$LIB"
  fi
  stamp="$(cat "$SRC/pom.xml" "$SRC/$MAIN_CLASS.java" | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$CLASSES/.sha256" || "$(<"$CLASSES/.sha256")" != "$stamp" ]]; then
    say "compiling $MAIN_CLASS.java"
    rm -rf "$CLASSES.tmp" && mkdir -p "$CLASSES.tmp"
    "$JAVAC" -encoding UTF-8 -cp "$LIB/*" -d "$CLASSES.tmp" "$SRC/$MAIN_CLASS.java" || die "javac failed"
    echo "$stamp" >"$CLASSES.tmp/.sha256"
    rm -rf "$CLASSES" && mv "$CLASSES.tmp" "$CLASSES"
  fi
}

# Waits until the process prints its "listening" line or dies.
wait_for() {
  local what="$1" pid="$2" port="$3" out="$4" started=$SECONDS
  until grep -q "listening on 127.0.0.1:$port" "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$out" >&2
      die "$what exited during start-up (log: $out)"
    fi
    if ((SECONDS - started >= WAIT_SECONDS)); then
      tail -n 40 "$out" >&2
      die "$what not listening on 127.0.0.1:$port within ${WAIT_SECONDS}s (pid $pid; stop it with: $0 stop)"
    fi
    sleep 0.2
  done
}

start() {
  mkdir -p "$STATE"
  local pid
  if pid="$(adapter_pid)" && h2_pid >/dev/null && port_open "$PORT"; then
    say "H2 (Oracle mode) already running on 127.0.0.1:$PORT (adapter pid $pid)"
    return 0
  fi
  stop >/dev/null
  find_jdk
  find_node
  build
  port_open "$PG_PORT" && die "port $PG_PORT on 127.0.0.1 is taken by another process (set H2_PG_PORT)"
  port_open "$PORT" && die "port $PORT on 127.0.0.1 is taken by another process (set H2_ORACLE_PORT)"
  rm -rf "$DATA" && mkdir -p "$DATA"
  say "starting H2 in Oracle mode (heap $HEAP) and its adapter on 127.0.0.1:$PORT"
  # setsid: the servers outlive the calling shell and no terminal signal reaches them.
  setsid "$JAVA" "-Xmx$HEAP" -XX:+ExitOnOutOfMemoryError -Duser.timezone=Asia/Seoul -Dfile.encoding=UTF-8 \
    -cp "$LIB/*:$CLASSES" "$MAIN_CLASS" "$DATA" "$DATABASE" "$PG_PORT" </dev/null >"$STATE/h2.out" 2>&1 &
  echo $! >"$H2_PID_FILE"
  wait_for H2 "$(<"$H2_PID_FILE")" "$PG_PORT" "$STATE/h2.out"
  setsid "$NODE" "$SRC/adapter.mjs" "$PORT" "$PG_PORT" </dev/null >"$STATE/adapter.out" 2>&1 &
  echo $! >"$ADAPTER_PID_FILE"
  wait_for "the H2 adapter" "$(<"$ADAPTER_PID_FILE")" "$PORT" "$STATE/adapter.out"
  say "H2 (Oracle mode) ready on 127.0.0.1:$PORT"
}

stop_one() {
  local name="$1" file="$2" pid="$3" i
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop() {
  local pid stopped=0
  if pid="$(adapter_pid)"; then stop_one "the H2 adapter" "$ADAPTER_PID_FILE" "$pid"; stopped=1; fi
  if pid="$(h2_pid)"; then stop_one H2 "$H2_PID_FILE" "$pid"; stopped=1; fi
  rm -f "$ADAPTER_PID_FILE" "$H2_PID_FILE"
  ((stopped)) || say "H2 (Oracle mode) not running"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if adapter_pid >/dev/null && h2_pid >/dev/null && port_open "$PORT"; then
      say "H2 (Oracle mode) running on 127.0.0.1:$PORT"
    else
      say "H2 (Oracle mode) not running on 127.0.0.1:$PORT"
      exit 1
    fi
    ;;
  port) echo "$PORT" ;;
  *) echo "usage: $0 start|stop|status|port" >&2; exit 2 ;;
esac
