"""Rasa component around bot.aspect_classifier: trains the aspect classifier with the model and, for each
message, replaces the rules' `aspect` entity with the combined decision (bot.aspect_classifier.combine).

Runs after DIET: whether a message is a policy question at all (so an unmatched message may be given a
learned aspect) is read from the intent. The labelled held-out files are named in bot/config.yml and their
content is part of the training fingerprint.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.aspect_classifier import AspectModel, combine, labelled_examples, rule_labelled_examples
from bot.components.labelled_model import LabelledModelComponent
from bot.components.policy_entities import understanding_of

MODEL_FILE = "aspect_model.pkl"
POLICY_INTENTS = ("ask_topic", "ask_followup", "policy_checkup")


def is_policy_intent(intent: Optional[str]) -> bool:
    return bool(intent) and (intent in POLICY_INTENTS or (intent.startswith("ask_") and intent != "ask_topic"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class AspectClassifier(LabelledModelComponent):
    MODEL_FILE = MODEL_FILE

    def fit(self, sets: List[Path], training_data: TrainingData) -> AspectModel:
        texts = [m.get(TEXT) for m in training_data.intent_examples
                 if (m.get(INTENT) or "").startswith("ask_") and m.get(INTENT) != "ask_topic"]
        return AspectModel().fit(labelled_examples(sets) + rule_labelled_examples(texts))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self._model is None or not text:
                continue
            found = understanding_of(message)
            intent = (message.get(INTENT) or {}).get("name")
            aspect, how = combine(found, self._model.probabilities(text, found), is_policy_intent(intent), text)
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != "aspect"]
            if aspect:
                entities.append({"entity": "aspect", "value": aspect, "start": 0, "end": len(text),
                                 "confidence": 1.0, "extractor": type(self).__name__, "decided_by": how})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
