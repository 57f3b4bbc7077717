#!/usr/bin/env bash
# Chat with the assistant in the terminal: starts the action server and the Rasa server (REST on
# http://127.0.0.1:5005, SQLite tracker store) in the background, then a terminal chat client.
# Both servers stop when the chat ends. Pass --as-of YYYY-MM-DD to replay another date.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export BIN
trap 'scripts/servers.sh stop' EXIT
echo "正在启动服务并加载模型（约半分钟）…"
scripts/servers.sh start
"$BIN/python" scripts/chat.py "$@"
