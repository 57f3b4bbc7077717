#!/usr/bin/env bash
# The scaled-out configuration on one machine: one action server, several Rasa replicas sharing
# PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), and nginx in front (deploy/nginx/policybot.conf).
#   scripts/replicas.sh start        # waits until nginx and every replica answer
#   scripts/replicas.sh stop
#   scripts/replicas.sh kill N       # SIGKILL replica N (1, 2 …): a crash, for failure tests
#   scripts/replicas.sh start-replica N
# REPLICA_PORTS ("5006 5007"), NGINX_PORT (5080) and ACTIONS_PORT (5056) choose the ports; logs and
# pid files are in var/replicas/. The replicas share the API token (RASA_API_TOKEN or var/).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
REPLICA_PORTS=${REPLICA_PORTS:-5006 5007}
NGINX_PORT=${NGINX_PORT:-5080}
export ACTIONS_PORT=${ACTIONS_PORT:-5056}
export RASA_TELEMETRY_ENABLED=false
RUN=$PWD/var/replicas
mkdir -p "$RUN/nginx"

port_of() { echo "$REPLICA_PORTS" | tr -s ' ' '\n' | sed -n "${1}p"; }

wait_for() {  # url, seconds, what, pid file
  for _ in $(seq 1 "$2"); do
    if printf 'url = "%s"\n' "$1" | curl -fsS -K - >/dev/null 2>&1; then return 0; fi
    if [ -n "${4:-}" ] && ! kill -0 "$(cat "$4")" 2>/dev/null; then
      echo "$3 stopped while starting:" >&2; tail -n 3 "${4%.pid}.log" >&2; return 1
    fi
    sleep 1
  done
  echo "$3 did not start within $2 s; see $RUN/*.log" >&2
  return 1
}

stop_pid() { [ -f "$1" ] && { kill "${2:--TERM}" "$(cat "$1")" 2>/dev/null || true; rm -f "$1"; }; return 0; }

start_replica() {
  local port; port=$(port_of "$1")
  "$BIN/python" -m bot.server -i 127.0.0.1 -p "$port" -m models >"$RUN/rasa-$1.log" 2>&1 &
  echo $! >"$RUN/rasa-$1.pid"
}

wait_replica() {
  wait_for "http://127.0.0.1:$(port_of "$1")/status?token=$TOKEN" 240 "Rasa replica $1" "$RUN/rasa-$1.pid"
}

stop() {
  [ -f "$RUN/nginx/nginx.pid" ] && { kill "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null || true; }
  for pid_file in "$RUN"/rasa-*.pid "$RUN/actions.pid"; do stop_pid "$pid_file"; done
}

case "${1:-}" in
  start)
    : "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/policybot}"
    : "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379/0}"
    command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install -y nginx)" >&2; exit 1; }
    export DATABASE_URL REDIS_URL
    stop
    TOKEN=$("$BIN/python" -m bot.settings token)
    SANIC_HOST=127.0.0.1 "$BIN/rasa" run actions --actions actions -p "$ACTIONS_PORT" >"$RUN/actions.log" 2>&1 &
    echo $! >"$RUN/actions.pid"
    count=$(echo "$REPLICA_PORTS" | wc -w)
    for n in $(seq 1 "$count"); do start_replica "$n"; done
    servers=$(for port in $REPLICA_PORTS; do printf 'server 127.0.0.1:%s max_fails=1 fail_timeout=5s; ' "$port"; done)
    sed -e "s|@LISTEN@|127.0.0.1:$NGINX_PORT|" -e "s|@SERVERS@|$servers|" -e "s|@VAR@|$RUN/nginx|" \
      deploy/nginx/policybot.conf >"$RUN/nginx/nginx.conf"
    nginx -e "$RUN/nginx/error.log" -c "$RUN/nginx/nginx.conf"
    wait_for "http://127.0.0.1:$ACTIONS_PORT/health" 60 "The action server" "$RUN/actions.pid"
    for n in $(seq 1 "$count"); do wait_replica "$n"; done
    wait_for "http://127.0.0.1:$NGINX_PORT/status?token=$TOKEN" 30 "nginx"
    echo "nginx on http://127.0.0.1:$NGINX_PORT in front of Rasa replicas on ports $REPLICA_PORTS"
    ;;
  kill) stop_pid "$RUN/rasa-$2.pid" -KILL ;;
  start-replica)
    export DATABASE_URL REDIS_URL
    TOKEN=$("$BIN/python" -m bot.settings token)
    start_replica "$2"; wait_replica "$2"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop|kill N|start-replica N" >&2; exit 2 ;;
esac
