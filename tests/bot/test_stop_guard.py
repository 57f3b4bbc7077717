"""A reply that states a fact is not taken for "stop" (bot/components/stop_guard.py)."""
from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.components.stop_guard import guarded

STATED = {"entity": "stated_fact", "role": "contribution_duration", "value": 8,
          "candidates": ["unemployment_insurance_months"]}
RANKING = [{"name": "stop", "confidence": 0.6}, {"name": "inform", "confidence": 0.3}]


def message(text, entities):
    return Message(data={"text": text, "intent": dict(RANKING[0]), "intent_ranking": list(RANKING),
                         "entities": entities})


def test_a_correction_stating_a_fact_is_not_a_stop():
    correction = message("不对，我只交了八个月", [STATED])
    guarded(correction)
    assert correction.get(INTENT)["name"] == "inform"
    assert [item["name"] for item in correction.get(INTENT_RANKING_KEY)] == ["inform"]


def test_a_stop_stays_a_stop():
    for text, entities in (("算了", []), ("算了，交了八个月也没用", [STATED]), ("不对", [])):
        stop = message(text, entities)
        guarded(stop)
        assert stop.get(INTENT)["name"] == "stop"
