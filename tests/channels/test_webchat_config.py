"""Settings of the web widget's socket.io channel and demo page (no servers needed)."""
from __future__ import annotations

import pytest

from channels.webchat.server import content_security_policy, settings
from channels.webchat.socketio_channel import allowed_origins


def test_origins_default_to_the_demo_page():
    assert allowed_origins({}) == ["http://127.0.0.1:8080", "http://localhost:8080"]
    assert allowed_origins({"WEBCHAT_PORT": "5380"}) == ["http://127.0.0.1:5380", "http://localhost:5380"]


def test_configured_origins_replace_the_default():
    configured = {"WEBCHAT_ALLOWED_ORIGINS": " https://www.btjob.example/ , https://m.btjob.example", "WEBCHAT_PORT": "1"}
    assert allowed_origins(configured) == ["https://www.btjob.example", "https://m.btjob.example"]


def test_csp_allows_only_this_server_and_the_rasa_server():
    policy = content_security_policy("https://bot.example.gov.cn")
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "connect-src 'self' https://bot.example.gov.cn wss://bot.example.gov.cn" in policy
    assert "unsafe-inline" not in policy and "*" not in policy


def test_demo_settings():
    assert settings({}) == {"host": "127.0.0.1", "port": "8080", "rasa_url": "http://127.0.0.1:5005", "as_of": ""}
    assert settings({"RASA_PORT": "5305", "WEBCHAT_AS_OF": "2022-09-01"})["rasa_url"] == "http://127.0.0.1:5305"
    with pytest.raises(SystemExit):
        settings({"WEBCHAT_AS_OF": "yesterday"})
