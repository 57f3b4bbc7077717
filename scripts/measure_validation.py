"""How long Rasa takes to validate one action-server response: `jsonschema.validate` as Rasa calls it,
against the validator built once (bot/validation.py), on responses our action server really sends.
Usage: python scripts/measure_validation.py [--repeat 200]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from jsonschema import validate
from rasa.core.actions.action import RemoteAction
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.respond import ActionRespond
from bot import validation
from bot.components.policy_entities import entities_for
from bot.text import normalise

MESSAGES = {"Q&A answer": ("失业金怎么领", "ask_followup"), "clarifying question": ("缓缴怎么办", "ask_topic"),
            "start of an eligibility check": ("我们公司能享受稳岗返还吗", "ask_followup")}


def response_for(text: str, intent: str) -> dict:
    """The action server's response to `action_respond` for this message (what rasa-sdk returns)."""
    text = normalise(text)
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "intent_ranking": [{"name": intent, "confidence": 0.9}], "entities": entities_for(text), "metadata": {}}
    tracker = Tracker("measure", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionRespond().run(dispatcher, tracker, {}))
    return {"events": events, "responses": dispatcher.messages}


def timed(function, repeat: int) -> list:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    spec = RemoteAction.action_response_format_spec()
    action = RemoteAction("action_respond", None)
    print(f"{'response':32} {'bytes':>6} {'jsonschema.validate p50/p95 ms':>32} {'cached validator p50/p95 ms':>29}")
    for label, (text, intent) in MESSAGES.items():
        response = response_for(text, intent)
        size = len(str(response).encode())
        before = timed(lambda: validate(response, spec), args.repeat)
        validation.install()
        after = timed(lambda: action._validate_action_result(response), args.repeat)
        validation.uninstall()

        def p(values, q):
            return statistics.quantiles(values, n=100)[q - 1]
        print(f"{label:32} {size:>6} {p(before, 50):>21.2f} / {p(before, 95):<8.2f} {p(after, 50):>18.3f} / {p(after, 95):<8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
