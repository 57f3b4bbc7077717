#!/usr/bin/env bash
# Install Debian's chromium (driven by the browser tests through playwright, which downloads no browser)
# and a CJK font (so screenshots show Chinese), when they are missing. Needs root for apt-get.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi -E "wenquanyi|noto sans cjk|noto serif cjk" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "The browser tests need ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (they are skipped without chromium)." >&2
  exit 0
fi
echo "Installing ${missing[*]} for the browser tests…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
