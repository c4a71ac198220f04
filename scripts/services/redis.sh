#!/usr/bin/env bash
# Start/stop the Redis server used by the replica tests (events and rate limits shared across servers).
#
#   scripts/services/redis.sh start    start redis-server in the background on 127.0.0.1:$PORT (no-op when running)
#   scripts/services/redis.sh stop     shut it down (no-op when not running)
#   scripts/services/redis.sh status   exit 0 when it answers PING
#   scripts/services/redis.sh url      print redis://127.0.0.1:$PORT
#
# Nothing is persisted (no RDB, no AOF): the tests need a message bus and counters, not durable data.
# State lives under .test-services/redis/ (gitignored). Install first with: scripts/setup-system.sh --test
# Environment: REDIS_PORT (default 6379), REDIS_WAIT_SECONDS (default 20).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.test-services/redis"
PORT="${REDIS_PORT:-6379}"
WAIT_SECONDS="${REDIS_WAIT_SECONDS:-20}"
PID_FILE="$STATE/redis.pid"
LOG_FILE="$STATE/redis.log"
URL="redis://127.0.0.1:$PORT"

die() { echo "redis.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

is_running() { [[ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null || true)" == "PONG" ]]; }

start() {
  command -v redis-server >/dev/null || die "redis-server not found; run: scripts/setup-system.sh --test"
  if is_running; then
    say "Redis already running at $URL"
    return 0
  fi
  mkdir -p "$STATE"
  say "starting Redis at $URL (log: $LOG_FILE)"
  redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --pidfile "$PID_FILE" --logfile "$LOG_FILE" \
    --dir "$STATE" --save '' --appendonly no
  for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
    is_running && return 0
    sleep 0.25
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "Redis did not answer PING within ${WAIT_SECONDS}s"
}

stop() {
  if ! is_running; then
    say "Redis not running"
    return 0
  fi
  say "stopping Redis at $URL"
  redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  for ((i = 0; i < 40; i++)); do
    is_running || break
    sleep 0.25
  done
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then say "Redis running at $URL"; else say "Redis not running at $URL"; exit 1; fi
    ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
