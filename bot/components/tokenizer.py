"""Jieba with the knowledge base's vocabulary: measure names and aliases, topic terms, industry and
other fact-value names, so 稳岗返还 or 一次性留工培训补助 stay whole tokens.

The word list is generated from policies_kb at training time, stored inside the model, and reloaded
from the model when it is served, so a model behaves the same wherever it is loaded. Its hash is part
of the training fingerprint: changing the knowledge base retrains the tokenizer (Rasa's own
JiebaTokenizer would silently reuse a cached, stale dictionary).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding import fact_phrases, measure_phrases, topic_phrases
from policies_kb.loader import kb

DICTIONARY_FILE = "policy_userdict.txt"
WORD_FREQUENCY = 2000  # high enough that jieba keeps these words whole


def dictionary_words() -> List[str]:
    """Every phrase the knowledge base gives a meaning to, longest first, without duplicates."""
    words = set(measure_phrases()) | set(topic_phrases())
    for phrases in fact_phrases().values():
        words |= set(phrases)
    for measure in kb().measures:
        words |= set(measure.keywords)
    return sorted((w for w in words if len(w) >= 2 and " " not in w), key=lambda w: (-len(w), w))


def dictionary_text() -> str:
    return "".join(f"{word} {WORD_FREQUENCY}\n" for word in dictionary_words())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class KnowledgeBaseJiebaTokenizer(JiebaTokenizer):
    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return hashlib.sha256(dictionary_text().encode("utf-8")).hexdigest()

    @staticmethod
    def _add_words(text: str) -> None:
        import jieba

        for line in text.splitlines():
            word, _, frequency = line.rpartition(" ")
            if word:
                jieba.add_word(word, int(frequency))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "KnowledgeBaseJiebaTokenizer":
        cls._add_words(dictionary_text())
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / DICTIONARY_FILE).write_text(dictionary_text(), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "KnowledgeBaseJiebaTokenizer":
        with model_storage.read_from(resource) as directory:
            cls._add_words((Path(directory) / DICTIONARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource)
