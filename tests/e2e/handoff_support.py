"""What the hand-off tests against the running servers share: an agent account made with the account
command in the servers' database, and a staff-panel client (cookies, CSRF header) over plain HTTP."""
from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Dict, Optional

from bot import settings
from tests.e2e.conftest import ROOT

STAFF = f"http://127.0.0.1:{settings.staff_port()}"
PASSWORD = "handoff-agent-password"


def new_agent(role: str = "agent") -> str:
    """A fresh account (the servers' database outlives test runs, so each run makes its own)."""
    name = f"handoff-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, "-m", "channels.staff", "users", "add", name, "--role", role],
                   input=PASSWORD + "\n", text=True, env=dict(os.environ), cwd=ROOT, check=True, capture_output=True)
    return name


class StaffClient:
    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(f"{STAFF}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf})
        try:
            with self.opener.open(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}")

    def login(self, name: str) -> "StaffClient":
        self.csrf = self.call("GET", "/api/login")["csrf"]
        self.csrf = self.call("POST", "/api/login", {"name": name, "password": PASSWORD})["csrf"]
        return self


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
