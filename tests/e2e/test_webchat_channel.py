"""The socket.io channel of the running Rasa server (channels/webchat/socketio_channel.py): browsers from
origins other than the configured ones are refused."""
from __future__ import annotations

import os
import urllib.error
import urllib.request

RASA = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
DEMO_ORIGIN = f"http://127.0.0.1:{os.environ.get('WEBCHAT_PORT', '8080')}"
HANDSHAKE = f"{RASA}/socket.io/?EIO=4&transport=polling"


def _handshake(origin):
    request = urllib.request.Request(HANDSHAKE, headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Access-Control-Allow-Origin"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Access-Control-Allow-Origin"), error.read()


def test_the_demo_page_origin_may_connect(servers):
    status, allow, body = _handshake(DEMO_ORIGIN)
    assert status == 200 and allow == DEMO_ORIGIN and b'"sid"' in body


def test_other_origins_are_refused(servers):
    for origin in ("http://evil.example", "http://127.0.0.1:9999", "null"):
        status, allow, _ = _handshake(origin)
        assert status == 400 and allow is None, origin
