"""Keeps an answer from being taken for "stop" ("不对，我只交了八个月" is a correction, not 算了).

Inside a check, the intent `stop` ends the form (data/stories/forms.yml). The intent classifier sometimes
gives it to a reply that states a fact and happens to start like a refusal; such a reply gets the next
intent of the ranking instead. Nothing is learned here.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

STOP = "stop"
# What a stop says ("算了", "不问了", "别问了"): kept as a stop whatever else the message holds.
STOP_WORDS = re.compile(r"算了|不问了|取消|退出|不用了|不查了|不测了|不弄了|不填了|不想填|不要了|别问了|停止|结束|先这样")


def states_something(message: Message) -> bool:
    return any(entity.get("entity") == "stated_fact" for entity in message.get(ENTITIES) or [])


def guarded(message: Message) -> None:
    intent = message.get(INTENT) or {}
    if intent.get("name") != STOP or STOP_WORDS.search(message.get(TEXT) or "") or not states_something(message):
        return
    ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != STOP]
    replacement = ranking[0] if ranking else {"name": "inform", "confidence": intent.get("confidence")}
    message.set(INTENT, {"name": replacement["name"], "confidence": replacement.get("confidence")}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class StopGuard(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "StopGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            guarded(message)
        return messages
