#!/usr/bin/env bash
# Start or stop the action server and the Rasa server on localhost, in the background.
#   scripts/servers.sh start   # waits until both answer; logs in var/actions.log and var/rasa.log
#   scripts/servers.sh stop
# RASA_PORT (5005), ACTIONS_PORT (5055) and WEBCHAT_PORT (8080, the widget demo page) choose the ports;
# BIN the virtualenv's bin directory; ENDPOINTS another endpoints file (e.g. one whose action_endpoint uses ACTIONS_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
ENDPOINTS=${ENDPOINTS:-bot/endpoints.yml}
export RASA_TELEMETRY_ENABLED=false
mkdir -p var

wait_for() {  # url, seconds, what
  for _ in $(seq 1 "$2"); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$3 did not start within $2 s; see var/*.log" >&2
  return 1
}

stop() {
  for name in rasa actions; do
    if [ -f "var/$name.pid" ]; then
      kill "$(cat "var/$name.pid")" 2>/dev/null || true
      rm -f "var/$name.pid"
    fi
  done
}

# --- web chat demo page (channels/webchat/server.py) on WEBCHAT_PORT (8080) -------------------------------
# Exported: the Rasa server's socket.io channel accepts the demo page's origin by default.
export WEBCHAT_PORT=${WEBCHAT_PORT:-8080}
stop_webchat() {
  if [ -f var/webchat.pid ]; then kill "$(cat var/webchat.pid)" 2>/dev/null || true; rm -f var/webchat.pid; fi
}
start_webchat() {
  stop_webchat
  RASA_PORT="$RASA_PORT" "$BIN/python" -m channels.webchat.server >var/webchat.log 2>&1 &
  echo $! >var/webchat.pid
  wait_for "http://127.0.0.1:$WEBCHAT_PORT/health" 30 "The web chat demo page"
  echo "网页聊天演示页（Web chat demo）: http://127.0.0.1:$WEBCHAT_PORT/"
}
# ---

case "${1:-}" in
  start)
    stop
    SANIC_HOST=127.0.0.1 "$BIN/rasa" run actions --actions actions -p "$ACTIONS_PORT" >var/actions.log 2>&1 &
    echo $! >var/actions.pid
    "$BIN/rasa" run --enable-api -i 127.0.0.1 -p "$RASA_PORT" -m models \
      --endpoints "$ENDPOINTS" --credentials bot/credentials.yml >var/rasa.log 2>&1 &
    echo $! >var/rasa.pid
    wait_for "http://127.0.0.1:$ACTIONS_PORT/health" 60 "The action server"
    wait_for "http://127.0.0.1:$RASA_PORT/status" 240 "The Rasa server"
    echo "Rasa server on http://127.0.0.1:$RASA_PORT, action server on http://127.0.0.1:$ACTIONS_PORT"
    start_webchat
    ;;
  stop) stop; stop_webchat ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
