#!/usr/bin/env bash
# Chat with the assistant in the terminal: starts the action server, then `rasa shell` (which also
# serves the REST channel on http://127.0.0.1:5005). The action server stops when the shell ends.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export RASA_TELEMETRY_ENABLED=false
mkdir -p var
SANIC_HOST=127.0.0.1 "$BIN/rasa" run actions --actions actions -p 5055 >var/actions.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:5055/health >/dev/null 2>&1 && break; sleep 1; done
echo "正在加载模型（约1分钟）… 输入 /stop 退出。"
"$BIN/rasa" shell -m models --endpoints bot/endpoints.yml --credentials bot/credentials.yml
