"""Whole conversations in people's own words (conversations_in_own_words.yml) through the REST channel,
each turn judged by the held-out rule (scripts/evaluate_dialogues.judge_turn): the reply is about the
expected measure (or is the expected small talk), the verdict and the amount are the engine's for
everything said so far, and no fact already given is asked again.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scripts.evaluate_dialogues import judge_turn
from tests.e2e.conftest import Chat

CASES = yaml.safe_load((Path(__file__).parent / "conversations_in_own_words.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("dialogue", CASES, ids=[d["id"] for d in CASES])
def test_conversation(servers, dialogue):
    chat, given = Chat(servers, as_of=dialogue.get("as_of")), {}
    for number, turn in enumerate(dialogue["turns"], 1):
        expect = turn.get("expect") or {}
        given.update(expect.get("facts") or {})
        payloads = chat.ask(turn["user"])
        problems = judge_turn(expect, payloads, given)
        assert not problems, f"turn {number} {turn['user']!r}: {problems}; replies: {payloads}"
