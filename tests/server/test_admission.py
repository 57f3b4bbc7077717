"""bot/admission.py: at most MESSAGE_CONCURRENCY messages in progress, the others served in arrival order."""
from __future__ import annotations

import asyncio

import pytest

from bot import admission, settings


@pytest.mark.parametrize("value, expected", [(None, 2), ("1", 1), ("4", 4), ("0", 1), ("-3", 1), ("two", 2), ("", 2)])
def test_the_setting(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("MESSAGE_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("MESSAGE_CONCURRENCY", value)
    assert settings.message_concurrency() == expected


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_at_most_the_limit_run_and_the_rest_wait_in_order(monkeypatch, limit):
    monkeypatch.setenv("MESSAGE_CONCURRENCY", str(limit))
    running, most, started = [0], [0], []

    async def rasa_handle_message(agent, message):
        started.append(message)
        running[0] += 1
        most[0] = max(most[0], running[0])
        await asyncio.sleep(0.01)  # the action server, the database
        running[0] -= 1
        return [{"text": f"reply to {message}"}]

    monkeypatch.setattr(admission, "_rasa_handle_message", rasa_handle_message)
    admission.install()
    try:
        async def arrive(number):
            await asyncio.sleep(number * 0.001)  # one after another
            return await admission.handle_message(None, number)

        async def main():
            return await asyncio.gather(*(arrive(n) for n in range(12)))

        replies = asyncio.run(main())
    finally:
        admission.uninstall()
    assert replies == [[{"text": f"reply to {n}"}] for n in range(12)]
    assert most[0] == limit
    assert started == list(range(12))


def test_a_failing_message_frees_its_place(monkeypatch):
    monkeypatch.setenv("MESSAGE_CONCURRENCY", "1")

    async def rasa_handle_message(agent, message):
        if message == "bad":
            raise RuntimeError("boom")
        return message

    monkeypatch.setattr(admission, "_rasa_handle_message", rasa_handle_message)
    admission.install()
    try:
        async def main():
            with pytest.raises(RuntimeError):
                await admission.handle_message(None, "bad")
            return await asyncio.wait_for(admission.handle_message(None, "good"), 1)

        assert asyncio.run(main()) == "good"
    finally:
        admission.uninstall()
