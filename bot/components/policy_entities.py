"""Entities from the knowledge base: `measure` (id), `topic` (id), `aspect`, `out_of_scope` (term),
the prefillable fact values (industry, enterprise_size, ...), `stated_fact` (numbers and yes/no facts said
in passing, bot/stated_facts.py) and `self_check` ("我能申请吗").

Matching is deterministic (bot.understanding); nothing is learned, so there is nothing to train.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.stated_facts import stated_facts
from bot.understanding import Understanding, understand


def understanding_of(message: Message) -> Understanding:
    """What bot.understanding finds in the message's text; the aspect classifier later in the pipeline
    reads the same mentions instead of matching the text a second time."""
    return _understand_recent(message.get(TEXT) or "")


@functools.lru_cache(maxsize=16)
def _understand_recent(text: str) -> Understanding:
    return understand(text)  # shared by two components, read-only: nothing mutates an Understanding


def entities_for(text: str, found: Optional[Understanding] = None) -> List[Dict[str, Any]]:
    """The entities this component adds for a normalised message (also used by the action tests)."""
    found = found or understand(text)
    name = PolicyEntityExtractor.__name__
    facts = found.facts()
    entities = [{"entity": m.label, "value": m.value, "start": m.start, "end": m.end, "confidence": 1.0,
                 "extractor": name, **({"fuzzy": True} if m.fuzzy else {})} for m in found.mentions
                if m.label in ("measure", "topic", "out_of_scope") or facts.get(m.label) == m.value]
    # Facts stated in passing ("参保60来号人", "裁了3个"): the check in progress picks among the candidates.
    entities += [{"entity": "stated_fact", "role": fact.role, "value": fact.value, "candidates": list(fact.candidates),
                  "start": fact.start, "end": fact.end, "text": fact.text, "confidence": 1.0, "extractor": name}
                 for fact in stated_facts(text) if fact.candidates]
    also = [("aspect_also", aspect) for aspect in found.more_aspects]
    for entity, value in (("aspect", found.aspect), *also, ("self_check", "true" if found.self_check else None)):
        if value:
            entities.append({"entity": entity, "value": value, "start": 0, "end": len(text), "confidence": 1.0,
                             "extractor": name})
    return entities


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PolicyEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PolicyEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = entities_for(message.get(TEXT) or "", understanding_of(message))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
