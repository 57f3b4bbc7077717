"""Per-sender rate limit and message-size limit: counted per sender, shared through Redis, politely
refused."""
from __future__ import annotations

import uuid

import pytest

from bot import limits
from tests.services.conftest import reachable_redis


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(limits, "_counter", limits.SenderCounter(""))
    monkeypatch.setenv("SENDER_RATE_LIMIT", "3/60")
    monkeypatch.delenv("MAX_MESSAGE_CHARS", raising=False)


def test_too_long_is_refused_with_the_limit_named(fresh):
    assert limits.refusal("a", "长" * 2000) is None
    reply, payload = limits.refusal("a", "长" * 2001)
    assert "2000" in reply and payload == {"too_long": True}


def test_rate_is_per_sender(fresh):
    assert [limits.refusal("a", "你好") for _ in range(3)] == [None] * 3
    reply, payload = limits.refusal("a", "你好")
    assert reply == limits.TOO_FAST and payload == {"rate_limited": True}
    assert limits.refusal("b", "你好") is None


def test_switched_off(fresh, monkeypatch):
    monkeypatch.setenv("SENDER_RATE_LIMIT", "0")
    assert all(limits.refusal("a", "你好") is None for _ in range(50))


def test_replicas_count_together_in_redis(monkeypatch):
    url = reachable_redis()
    monkeypatch.setenv("SENDER_RATE_LIMIT", "4/60")
    first, second = limits.SenderCounter(url), limits.SenderCounter(url)
    sender = f"rate-{uuid.uuid4().hex[:12]}"
    counts = [counter.add(sender, 60) for counter in (first, second, first, second, first)]
    assert counts == [1, 2, 3, 4, 5]


def test_redis_trouble_falls_back_to_counting_here():
    counter = limits.SenderCounter("redis://127.0.0.1:1/0")
    assert [counter.add("a", 60) for _ in range(3)] == [1, 2, 3]
