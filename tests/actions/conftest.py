"""Trackers for action tests: a user message as the NLU would have parsed it, plus slots."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.components.policy_entities import entities_for
from bot.text import normalise


def make_tracker(text: str, intent: str = "ask_followup", confidence: float = 0.95,
                 slots: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None,
                 ranking=None, metadata: Optional[Dict[str, Any]] = None, entities=None,
                 earlier: Sequence[str] = ()) -> Tracker:
    """`earlier`: messages the person sent before this one, as user events with their entities."""
    text = normalise(text)
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
              "entities": entities_for(text) if entities is None else entities, "metadata": metadata or {}}
    events = [{"event": "user", "text": normalise(said), "parse_data": {"entities": entities_for(normalise(said))}}
              for said in earlier]
    events.append({"event": "user", "text": text, "parse_data": latest})
    return Tracker("test-user", dict(slots or {}), latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def custom_payloads(dispatcher: CollectingDispatcher):
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def followups(events):
    return [e["name"] for e in events if e.get("event") == "followup"]


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()
