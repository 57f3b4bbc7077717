"""The running servers' safeguards: the HTTP API needs the token while the channels stay open; with
the action server down the person gets an apology with the 12333 hotline (once per message, a form
keeps its question) and service resumes by itself; a restarted Rasa server keeps every conversation.
These tests stop and restart servers, so they run after the conversation tests (file order)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import settings

from tests.e2e.conftest import ROOT, Chat, api, restart_servers

UNAVAILABLE = {"unavailable": True}


def status_code(path: str, token) -> int:
    try:
        api(path, token=token)
        return 200
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("path", ["/status", "/conversations/x/tracker", "/conversations/x/story", "/domain"])
def test_http_api_requires_the_token(servers, path):
    assert status_code(path, None) == 401
    assert status_code(path, "wrong-token") == 401


def test_http_api_answers_with_the_token(servers):
    assert api("/status")["model_file"] == "policybot.tar.gz"
    parsed = api("/model/parse", {"text": "失业金怎么领"})
    assert parsed["intent"]["name"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        api("/model/parse", {"text": "失业金怎么领"}, token=None)
    assert refused.value.code == 401


def test_token_is_not_a_fixed_default():
    token = settings.api_token()
    assert token and token not in (Path(ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8")
                                   + Path(ROOT / "scripts" / "servers.sh").read_text(encoding="utf-8"))


def _action_server_pid() -> int:
    return int((ROOT / "var" / "actions.pid").read_text())


def _stop_action_server() -> None:
    pid = _action_server_pid()
    os.kill(pid, 15)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _start_action_server() -> None:
    """The same command as scripts/servers.sh; its pid file stays valid for `servers.sh stop`."""
    port = str(settings.actions_port())
    with open(ROOT / "var" / "actions.log", "a") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "rasa"), "run", "actions", "--actions",
                                    "actions", "-p", port], cwd=ROOT, stdout=log, stderr=log,
                                   env={**os.environ, "SANIC_HOST": "127.0.0.1"})
    (ROOT / "var" / "actions.pid").write_text(str(process.pid))
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the action server did not come back")


@pytest.fixture
def restores_action_server(servers):
    """The test stops the action server; it runs again afterwards whatever happened."""
    try:
        yield
    finally:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{settings.actions_port()}/health", timeout=2)
        except OSError:
            _start_action_server()


def _apologised(replies) -> bool:
    texts = [reply.get("text") or "" for reply in replies]
    payloads = [reply["custom"] for reply in replies if isinstance(reply.get("custom"), dict)]
    return len(texts) == 2 and "12333" in "".join(texts) and payloads == [UNAVAILABLE]


def test_action_server_down_gets_an_apology_then_recovers(chat, restores_action_server):
    first = chat.ask("失业金怎么领")
    assert first[0]["measure"] == "unemployment_benefit"
    _stop_action_server()
    replies = chat.say("那要什么材料？")
    assert _apologised(replies), replies
    assert _apologised(chat.say("失业金怎么领"))
    _start_action_server()
    again = chat.ask("那要什么材料？")
    assert again[0]["measure"] == "unemployment_benefit" and again[0]["aspect"] == "materials"


def test_a_form_keeps_its_question_while_the_action_server_is_down(chat, restores_action_server):
    chat.ask("帮我做个政策体检")
    asked = [p["asking"]["fact"] for p in chat.ask("个人") if "asking" in p]
    assert asked == ["employment_status"]
    _stop_action_server()
    assert _apologised(chat.say("失业了"))
    _start_action_server()
    after = [p["asking"]["fact"] for p in chat.ask("失业了") if "asking" in p]
    assert after and after != ["employment_status"], "the answer is taken and the check goes on"
    tracker = api(f"/conversations/{chat.sender}/tracker")
    assert tracker["active_loop"]["name"] == "checkup_form"
    assert tracker["slots"]["facts"]["employment_status"] == "unemployed"


def test_a_restarted_rasa_server_keeps_every_conversation(servers):
    person = Chat(servers)
    person.ask("帮我做个政策体检")
    person.ask("个人")
    before = api(f"/conversations/{person.sender}/tracker")
    restart_servers()
    after = api(f"/conversations/{person.sender}/tracker")
    assert after["events"] == before["events"]
    asked = [p["asking"]["fact"] for p in person.ask("失业了") if "asking" in p]
    assert asked and asked != ["employment_status"]
    assert api(f"/conversations/{person.sender}/tracker")["slots"]["facts"]["employment_status"] == "unemployed"


def test_rest_refuses_an_over_long_message_politely(chat):
    replies = chat.say("失业金" * 700)
    assert [r.get("custom") for r in replies if r.get("custom")] == [{"too_long": True}]
    assert "太长" in replies[0]["text"]
    assert chat.ask("失业金怎么领")[0]["measure"] == "unemployment_benefit"


def test_rest_limits_each_sender_politely(servers):
    from bot import limits

    allowed, _ = limits.rate()
    hasty, calm = Chat(servers), Chat(servers)
    payloads = [hasty.ask("你好") for _ in range(allowed + 1)]
    assert all({"rate_limited": True} not in p for p in payloads[:allowed])
    assert payloads[-1] == [{"rate_limited": True}]
    assert {"rate_limited": True} not in calm.ask("你好")
