#!/usr/bin/env bash
# Start or stop the action server and the Rasa server on localhost, in the background.
#   scripts/servers.sh start   # waits until both answer; logs in var/actions.log and var/rasa.log
#   scripts/servers.sh stop
# RASA_PORT (5005), ACTIONS_PORT (5055), WEBCHAT_PORT (8080, the widget demo page) and STAFF_PORT (8081, the
# staff panel) choose the ports; BIN the virtualenv's bin directory.
# The other settings (DATABASE_URL, REDIS_URL, RASA_API_TOKEN, ACTION_SERVER_URL) are read by
# bot/settings.py; README "Settings" lists them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export RASA_PORT=${RASA_PORT:-5005}
export ACTIONS_PORT=${ACTIONS_PORT:-5055}
export RASA_TELEMETRY_ENABLED=false
mkdir -p var

wait_for() {  # url, seconds, what, pid file
  for _ in $(seq 1 "$2"); do
    # the URL (it may carry the API token) goes to curl on stdin, not on its command line
    if printf 'url = "%s"\n' "$1" | curl -fsS -K - >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$4")" 2>/dev/null; then
      echo "$3 stopped while starting:" >&2
      tail -n 3 "var/$(basename "$4" .pid).log" >&2
      return 1
    fi
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
  wait_for "http://127.0.0.1:$WEBCHAT_PORT/health" 30 "The web chat demo page" var/webchat.pid
  echo "网页聊天演示页（Web chat demo）: http://127.0.0.1:$WEBCHAT_PORT/"
}

# --- staff web application (channels/staff: the agents' assist panel) on STAFF_PORT (8081) ----------
export STAFF_PORT=${STAFF_PORT:-8081}
stop_staff() {
  if [ -f var/staff.pid ]; then kill "$(cat var/staff.pid)" 2>/dev/null || true; rm -f var/staff.pid; fi
}
start_staff() {
  stop_staff
  "$BIN/python" -m channels.staff serve >var/staff.log 2>&1 &
  echo $! >var/staff.pid
  wait_for "http://127.0.0.1:$STAFF_PORT/login" 60 "The staff application" var/staff.pid
  echo "坐席助手（staff panel）: http://127.0.0.1:$STAFF_PORT/  (accounts: $BIN/policybot-staff users add NAME --role agent)"
}
# ---

case "${1:-}" in
  start)
    stop
    SANIC_HOST=127.0.0.1 "$BIN/rasa" run actions --actions actions -p "$ACTIONS_PORT" >var/actions.log 2>&1 &
    echo $! >var/actions.pid
    # bot/server.py = `rasa run --enable-api` with the settings above, an API token and safeguards
    "$BIN/python" -m bot.server -i 127.0.0.1 -p "$RASA_PORT" -m models >var/rasa.log 2>&1 &
    echo $! >var/rasa.pid
    wait_for "http://127.0.0.1:$ACTIONS_PORT/health" 60 "The action server" var/actions.pid
    wait_for "http://127.0.0.1:$RASA_PORT/status?token=$("$BIN/python" -m bot.settings token)" 240 \
      "The Rasa server" var/rasa.pid
    echo "Rasa server on http://127.0.0.1:$RASA_PORT, action server on http://127.0.0.1:$ACTIONS_PORT"
    start_webchat
    start_staff
    ;;
  stop) stop; stop_webchat; stop_staff ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
