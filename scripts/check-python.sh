#!/usr/bin/env bash
# Rasa 3.6 runs on Python 3.10 only; say so plainly instead of letting pip fall back to an ancient Rasa.
set -u
python_bin="${1:-python3.10}"
if ! command -v "$python_bin" >/dev/null 2>&1 || ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  cat >&2 <<MSG
需要 Python 3.10：Rasa Open Source 3.6.21 不支持 Python 3.11 及以上版本。
This project needs Python 3.10 (Rasa 3.6.21 does not install on 3.11+), and '$python_bin' is not a working Python 3.10.
  - with pyenv:  pyenv install 3.10.13   (the repository's .python-version selects it)
  - on Debian/Ubuntu: install python3.10 and python3.10-venv, or set PYTHON=/path/to/python3.10
MSG
  exit 1
fi
