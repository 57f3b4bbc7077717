"""Conversations with the real servers: the trained model (models/policybot.tar.gz, made by
`make train`) behind the REST channel, and the action server. Started once for the session.
The REST webhook is open; the Rasa HTTP API needs the token (`api()`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from bot import settings
from channels.wechat.fake_platform import FakeAPIThread, FakeWeChatAPI

ROOT = Path(__file__).resolve().parents[2]
URL = settings.rasa_url()


def api(path: str, body: Optional[Dict[str, Any]] = None, token: Optional[str] = "") -> Any:
    """GET (or POST `body` to) a Rasa HTTP API route; token "" means the configured one, None none."""
    token = settings.api_token() if token == "" else token
    query = f"{'&' if '?' in path else '?'}token={token}" if token is not None else ""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{URL}{path}{query}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


# The WeChat channel's settings for the Rasa server, its API pointed at a fake the session starts.
WECHAT = {"WECHAT_TOKEN": "e2e-token", "WECHAT_APP_ID": "wxe2e0123456789", "WECHAT_APP_SECRET": "e2e-secret",
          "WECHAT_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}


@pytest.fixture(scope="session")
def wechat_api():
    fake = FakeAPIThread(FakeWeChatAPI(WECHAT["WECHAT_APP_ID"], WECHAT["WECHAT_APP_SECRET"])).start()
    yield fake
    fake.stop()


def restart_servers() -> None:
    """Restart every server with the session's settings: the `servers` fixture puts them in os.environ, so
    a test that stops one server (or all) brings them back as they were."""
    env = {**os.environ, "BIN": str(Path(sys.executable).parent)}
    subprocess.run([str(ROOT / "scripts" / "servers.sh"), "start"], check=True, env=env, cwd=ROOT)


@pytest.fixture(scope="session")
def servers(wechat_api):
    model = ROOT / "models" / "policybot.tar.gz"
    assert model.exists(), "no trained model: run `make train` (or `make test`, which trains first)"
    session = {**WECHAT, "WECHAT_API_BASE": wechat_api.url}
    saved = {key: os.environ.get(key) for key in session}
    os.environ.update(session)
    restart_servers()
    yield URL
    subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], check=False, env=dict(os.environ), cwd=ROOT)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class Chat:
    """One conversation: say() returns the bot's replies; payloads() their `custom` dicts."""

    def __init__(self, url: str, as_of: Optional[str] = None):
        self.url, self.as_of = url, as_of
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"sender": self.sender, "message": text}
        if self.as_of:
            body["metadata"] = {"as_of": self.as_of}
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.loads(response.read())

    def ask(self, text: str) -> List[Dict[str, Any]]:
        """The `custom` payloads of the replies to one message."""
        return [reply["custom"] for reply in self.say(text) if isinstance(reply.get("custom"), dict)]


@pytest.fixture
def chat(servers):
    return Chat(servers)


@pytest.fixture
def chat_2022(servers):
    return Chat(servers, as_of="2022-09-01")
