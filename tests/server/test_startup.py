"""A Rasa server that cannot reach its database or Redis stops at once with one line saying which,
not a stack trace (and without loading the model first)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot import settings


def start(**env):
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "bot.server", "-p", "5199"], env=environment, cwd=settings.ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env, says", [
    ({"DATABASE_URL": "postgresql://policybot:secret@127.0.0.1:1/policybot"},
     "Cannot reach the tracker-store database postgresql://policybot:***@127.0.0.1:1/policybot (DATABASE_URL)"),
    ({"REDIS_URL": "redis://:secret@127.0.0.1:1/0"}, "Cannot reach Redis at redis://:***@127.0.0.1:1/0 (REDIS_URL)"),
    ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
    ({"SANIC_WORKERS": "2", "REDIS_URL": ""}, "SANIC_WORKERS=2 needs REDIS_URL"),
])
def test_unreachable_service_is_one_clear_line(env, says):
    result = start(**env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Rasa server not started: ")
    assert says in lines[0]
    assert "secret" not in result.stderr and "Traceback" not in result.stderr + result.stdout
