"""The staff application driven in-process (aiohttp's test server) on a fresh SQLite database, with
one account of each role, and no Rasa server (tests/e2e/test_staff.py runs it with the real one)."""
from __future__ import annotations

import socket

from typing import Any, Dict, Optional

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from channels.staff import db
from channels.staff.app import create_app
from channels.staff.security import add_user

PASSWORDS = {"agent": "agent-password-1", "reviewer": "reviewer-password-1", "admin": "admin-password-1"}


@pytest.fixture
def engine(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'staff.db'}")
    for role, password in PASSWORDS.items():
        add_user(engine, role, password, role)
    return engine


class Staff:
    """A browser-like client: cookies kept, the CSRF token sent on state-changing requests."""

    def __init__(self, client: TestClient):
        self.client, self.csrf = client, ""

    async def login(self, name: str, password: Optional[str] = None):
        token = (await (await self.client.get("/api/login")).json())["csrf"]
        response = await self.client.post("/api/login", json={"name": name, "password": password or PASSWORDS[name]},
                                          headers={"X-CSRF-Token": token})
        if response.status == 200:
            self.csrf = (await response.json())["csrf"]
        return response

    async def post(self, path: str, body: Any = None, csrf: Optional[str] = None, **kwargs):
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf, **kwargs.pop("headers", {})}
        return await self.client.post(path, json=body, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs):
        return await self.client.get(path, **kwargs)

    async def json(self, method: str, path: str, body: Optional[Dict[str, Any]] = None, status: int = 200):
        response = await (self.post(path, body) if method == "POST" else self.get(path))
        data = await response.json()
        assert response.status == status, data
        return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest_asyncio.fixture
async def staff(engine, monkeypatch):
    # No Rasa server here (tests/e2e/test_staff.py uses the real one): /api/assist must say so.
    monkeypatch.setenv("RASA_PORT", str(free_port()))
    client = TestClient(TestServer(create_app(engine=engine)))
    await client.start_server()
    yield Staff(client)
    await client.close()


@pytest_asyncio.fixture
async def agent(staff):
    assert (await staff.login("agent")).status == 200
    return staff
