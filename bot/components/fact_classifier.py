"""Rasa component around bot.fact_classifier: trains the learned fact reader with the model and, for each
message, adds `stated_fact` entities for the facts the cue phrases did not read, and `learned_answer`
entities (role: the fact) saying what the message says of the facts it may speak of, which the form reads
as the answer to its question when the plain words do not say.

Runs after PolicyEntityExtractor, whose facts win: a learned fact is added only for a fact no cue or named
value gave, and a learned number only where no cue read a number. The labelled conversation files are named
in bot/config.yml and their content is part of the training fingerprint.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.policy_entities import understanding_of
from bot.fact_classifier import FactModel, whole_phrase, labelled_turns
from bot.stated_facts import StatedFact
from bot.understanding import Understanding
from policies_kb.loader import kb

MODEL_FILE = "fact_model.pkl"


def read_spans(text: str, entities: List[Dict[str, Any]]) -> List[Tuple[int, int]]:
    """Where the entities found so far read a fact: a cue's whole phrase, a fact value's name."""
    spans = []
    for e in entities:
        if e.get("entity") == "stated_fact" and e.get("end", 0) > e.get("start", 0):
            spans.append(whole_phrase(text, StatedFact(e.get("role") or "", tuple(e.get("candidates") or ()), e.get("value"),
                                                 e["start"], e["end"], e.get("text") or "")))
        elif e.get("entity") in kb().facts and e.get("end", 0) > e.get("start", 0):
            spans.append((e["start"], e["end"]))
    return spans


def learned_entities(model: FactModel, text: str, entities: List[Dict[str, Any]],
                     found: Optional[Understanding] = None,
                     spans: Optional[List[Tuple[int, int]]] = None) -> List[Dict[str, Any]]:
    """`stated_fact` entities for what the model reads and the entities found so far do not say."""
    stated = [e for e in entities if e.get("entity") == "stated_fact"]
    covered = {key for e in stated for key in e.get("candidates") or []}
    covered |= {e["entity"] for e in entities if e.get("entity") in kb().facts}
    numbers_read = [(e["start"], e["end"]) for e in stated]
    added = []
    for fact in model.stated_facts(text, found, read_spans(text, entities) if spans is None else spans):
        if fact.role == "learned_number" and any(fact.start < end and start < fact.end for start, end in numbers_read):
            continue
        candidates = [key for key in fact.candidates if key not in covered]
        if candidates:
            added.append({"entity": "stated_fact", "role": fact.role, "value": fact.value, "candidates": candidates,
                          "start": fact.start, "end": fact.end, "confidence": 1.0,
                          "extractor": StatedFactClassifier.__name__})
    return added


def answer_entities(model: FactModel, text: str, found: Optional[Understanding] = None,
                    spans: Optional[List[Tuple[int, int]]] = None) -> List[Dict[str, Any]]:
    """`learned_answer` entities: what the text says of each fact it may speak of, for the form to read as the
    answer to the fact it asked when the plain words (是, 没有) do not say ("工资都开不出来")."""
    return [{"entity": "learned_answer", "role": key, "value": value, "start": 0, "end": len(text), "confidence": 1.0,
             "extractor": StatedFactClassifier.__name__} for key, value in model.answers(text, found, spans).items()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class StatedFactClassifier(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"labelled_sets": []}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        digest = hashlib.sha256()
        for path in config.get("labelled_sets") or []:
            digest.update(Path(path).read_bytes() if Path(path).exists() else path.encode("utf-8"))
        # The cue phrases train it too, and a change to how it learns is a new model.
        for source in ("stated_facts.yml", "fact_classifier.py"):
            digest.update((Path(__file__).parents[1] / source).read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[FactModel] = None):
        self._config, self._storage, self._resource, self._model = config, model_storage, resource, model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "StatedFactClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        sets = [Path(p) for p in self._config.get("labelled_sets") or []]
        missing = [str(p) for p in sets if not p.exists()]
        if missing:
            raise FileNotFoundError(f"StatedFactClassifier.labelled_sets not found (paths are relative to where "
                                    f"`rasa train` runs): {', '.join(missing)}")
        self._model = FactModel().fit(labelled_turns(sets))
        with self._storage.write_to(self._resource) as directory:
            (Path(directory) / MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "StatedFactClassifier":
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((Path(directory) / MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self._model is None or not text:
                continue
            entities = message.get(ENTITIES, [])
            found, spans = understanding_of(message), read_spans(text, entities)
            added = learned_entities(self._model, text, entities, found, spans) + \
                answer_entities(self._model, text, found, spans)
            message.set(ENTITIES, entities + added, add_to_output=True)
        return messages
