"""Rasa component around bot.aspect_classifier: trains the aspect classifier with the model and, for each
message, replaces the rules' `aspect` entity with the combined decision (bot.aspect_classifier.combine).

Runs after DIET: whether a message is a policy question at all (so an unmatched message may be given a
learned aspect) is read from the intent. The labelled held-out files are named in bot/config.yml and their
content is part of the training fingerprint.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.aspect_classifier import AspectModel, combine, labelled_examples, rule_labelled_examples
from bot.components.policy_entities import understanding_of

MODEL_FILE = "aspect_model.pkl"
POLICY_INTENTS = ("ask_topic", "ask_followup", "policy_checkup")


def is_policy_intent(intent: Optional[str]) -> bool:
    return bool(intent) and (intent in POLICY_INTENTS or (intent.startswith("ask_") and intent != "ask_topic"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class AspectClassifier(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"labelled_sets": []}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        digest = hashlib.sha256()
        for path in config.get("labelled_sets") or []:
            digest.update(Path(path).read_bytes() if Path(path).exists() else path.encode("utf-8"))
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[AspectModel] = None):
        self._config, self._storage, self._resource, self._model = config, model_storage, resource, model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AspectClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.intent_examples
                 if (m.get(INTENT) or "").startswith("ask_") and m.get(INTENT) != "ask_topic"]
        sets = [Path(p) for p in self._config.get("labelled_sets") or []]
        missing = [str(p) for p in sets if not p.exists()]
        if missing:
            raise FileNotFoundError(f"AspectClassifier.labelled_sets not found (paths are relative to where "
                                    f"`rasa train` runs): {', '.join(missing)}")
        self._model = AspectModel().fit(labelled_examples(sets) + rule_labelled_examples(texts))
        with self._storage.write_to(self._resource) as directory:
            (Path(directory) / MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "AspectClassifier":
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((Path(directory) / MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, model)

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
