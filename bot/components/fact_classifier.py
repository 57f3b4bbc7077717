"""Rasa component around bot.fact_classifier: trains the learned fact reader with the model and, for each
message, adds `stated_fact` entities for the facts the cue phrases did not read, and `learned_answer`
entities (role: the fact) saying what the message says of the facts it may speak of, which the form reads
as the answer to its question when the plain words do not say.

Runs after PolicyEntityExtractor, whose facts win: a learned fact is added only for a fact no cue or named
value gave, and a learned number only where no cue read a number. The labelled conversation files are named
in bot/config.yml and their content is part of the training fingerprint.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.labelled_model import LabelledModelComponent
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
class StatedFactClassifier(LabelledModelComponent):
    MODEL_FILE = MODEL_FILE
    # The cue phrases train it too, and a change to how it learns is a new model.
    FINGERPRINT_SOURCES = ("stated_facts.yml", "fact_classifier.py")

    def fit(self, sets: List[Path], training_data: TrainingData) -> FactModel:
        return FactModel().fit(labelled_turns(sets))

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
