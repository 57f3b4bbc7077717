"""At most MESSAGE_CONCURRENCY messages in progress in one Rasa process; the others wait their turn,
first come first served.

A turn is mostly CPU (NLU, policies, the tracker) with a few waits (the action server, the database).
Without a limit, every message that arrives starts at once and they all share the one event loop:
each one's steps queue behind everyone else's, so with 10 people typing the average reply was 137 ms
but one in twenty took 335 ms, and with 50 people 1.7 s. Letting two messages run (one computes
while the other waits for the action server or the database) and queueing the rest keeps throughput
the same and makes waits even: measured on this 2-core machine, p95 335 → 195 ms at 10 concurrent
people and 1,659 → 840 ms at 50 (README, "Measured"). Every channel goes through Agent.handle_message,
so the limit covers REST, socket.io and WeChat alike; per-conversation ordering is still Rasa's lock.

`install()` is called by the Rasa server entry point (bot/server.py).
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from rasa.core.agent import Agent

from bot import settings

_rasa_handle_message = Agent.handle_message
_gates: Dict[int, asyncio.Semaphore] = {}  # one per event loop (a server has one; tests may make more)


def gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    semaphore = _gates.get(id(loop))
    if semaphore is None:
        semaphore = _gates[id(loop)] = asyncio.Semaphore(settings.message_concurrency())
    return semaphore


async def handle_message(self: Agent, message: Any) -> Optional[Any]:
    """Drop-in for Agent.handle_message that waits for a free place first."""
    async with gate():
        return await _rasa_handle_message(self, message)


def install() -> None:
    _gates.clear()
    Agent.handle_message = handle_message


def uninstall() -> None:
    Agent.handle_message = _rasa_handle_message
    _gates.clear()


__all__ = ["gate", "handle_message", "install", "uninstall"]
