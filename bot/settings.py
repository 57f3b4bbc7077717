"""Deployment settings, all from the environment (README, "Settings"), with the embedded defaults:
SQLite, no Redis, every service on loopback. Shared by the Rasa server entry point (bot/server.py),
scripts/servers.sh, the tests and the scripts that call the Rasa HTTP API.

  RASA_PORT           the Rasa server's port (5005)
  ACTIONS_PORT        the action server's port (5055)
  ACTION_SERVER_URL   where Rasa calls the actions (http://127.0.0.1:$ACTIONS_PORT/webhook)
  DATABASE_URL        the tracker store, an SQLAlchemy URL (sqlite:///var/trackers.db;
                      e.g. postgresql://user:password@host:5432/policybot)
  REDIS_URL           the lock store (and channels' de-duplication), e.g. redis://host:6379/0;
                      empty means locks in the process's memory (one Rasa process only)
  RASA_API_TOKEN      the token the Rasa HTTP API requires (?token=…); when unset, one is generated
                      into var/rasa_api_token on first use and read from there afterwards
  STAFF_PORT          the staff web application's port (8081; channels/staff)
  MESSAGE_CONCURRENCY messages one Rasa process works on at once; the others queue (2; bot/admission.py)
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
TOKEN_FILE = VAR / "rasa_api_token"


def rasa_port() -> int:
    return int(os.environ.get("RASA_PORT") or 5005)


def actions_port() -> int:
    return int(os.environ.get("ACTIONS_PORT") or 5055)


def staff_port() -> int:
    return int(os.environ.get("STAFF_PORT") or 8081)


def rasa_url() -> str:
    return f"http://127.0.0.1:{rasa_port()}"


def action_server_url() -> str:
    return os.environ.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{actions_port()}/webhook"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / 'trackers.db'}"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or ""


def message_concurrency() -> int:
    """At least 1; a value that is not a whole number falls back to the default."""
    try:
        return max(1, int(os.environ.get("MESSAGE_CONCURRENCY") or 2))
    except ValueError:
        return 2


def api_token() -> str:
    """RASA_API_TOKEN, or the one generated for this checkout (never a fixed default)."""
    token = os.environ.get("RASA_API_TOKEN", "").strip()
    if token:
        return token
    if TOKEN_FILE.exists():
        token = TOKEN_FILE.read_text(encoding="utf-8").strip()
        if token:
            return token
    VAR.mkdir(exist_ok=True)
    # Written to a private temporary file, then linked into place: a reader never sees half a token,
    # and when two processes start at once the first link wins and both use its token.
    temporary = VAR / f".rasa_api_token.{os.getpid()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    try:
        os.link(temporary, TOKEN_FILE)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return TOKEN_FILE.read_text(encoding="utf-8").strip()


def main() -> int:
    """`python -m bot.settings token` prints the API token (for curl and shell scripts)."""
    import sys

    if sys.argv[1:] == ["token"]:
        print(api_token())
        return 0
    print("usage: python -m bot.settings token", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
