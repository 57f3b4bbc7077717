"""Settings come from the environment; the API token is never a fixed default."""
from __future__ import annotations

import stat

import pytest

from bot import settings


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "VAR", tmp_path)
    monkeypatch.setattr(settings, "TOKEN_FILE", tmp_path / "rasa_api_token")
    for name in ("RASA_API_TOKEN", "DATABASE_URL", "REDIS_URL", "ACTION_SERVER_URL", "ACTIONS_PORT", "RASA_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_token_from_the_environment_wins(var, monkeypatch):
    monkeypatch.setenv("RASA_API_TOKEN", "from-env")
    assert settings.api_token() == "from-env"
    assert not (var / "rasa_api_token").exists()


def test_token_generated_once_private_and_random(var, monkeypatch):
    token = settings.api_token()
    assert len(token) >= 40 and settings.api_token() == token
    mode = stat.S_IMODE((var / "rasa_api_token").stat().st_mode)
    assert mode == 0o600
    (var / "rasa_api_token").unlink()
    assert settings.api_token() != token


def test_embedded_defaults(var, monkeypatch):
    assert settings.database_url() == f"sqlite:///{var / 'trackers.db'}"
    assert settings.redis_url() == ""
    assert settings.action_server_url() == "http://127.0.0.1:5055/webhook"
    monkeypatch.setenv("ACTIONS_PORT", "5155")
    assert settings.action_server_url() == "http://127.0.0.1:5155/webhook"
    monkeypatch.setenv("ACTION_SERVER_URL", "http://actions:5055/webhook")
    assert settings.action_server_url() == "http://actions:5055/webhook"
