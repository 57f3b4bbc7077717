"""Keyword search over the knowledge base: every aspect's statements of every measure, plus its
names, aliases and keywords, split into words by jieba with the knowledge base's own phrases added
(so 稳岗返还 or 一次性留工培训补助 stay whole words). Ranked by TF-IDF; a hit in a measure's name or
alias counts more than one in the text.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Tuple

import jieba

from policies_kb.answers import statements_for
from policies_kb.loader import kb
from policies_kb.schema import ASPECT_LABELS, ASPECTS

jieba.setLogLevel(logging.INFO)  # no "Building prefix dict" debug lines in the server log
NAME_WEIGHT = 3.0
SNIPPET = 80
MAX_QUERY = 200
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z0-9.%]+|[\u4e00-\u9fff]")
_STOP = set("的了和与及或是在对为等由可请按以于其各该所年月日并将把被从向个元人")


@dataclass(frozen=True)
class Document:
    measure: str
    aspect: str
    text: str
    names: str


def _words(text: str) -> List[str]:
    tokens = []
    for token in jieba.cut_for_search(text):
        token = token.strip().lower()
        if token and _WORD.fullmatch(token) and token not in _STOP:
            tokens.append(token)
    return tokens


class Index:
    def __init__(self) -> None:
        knowledge = kb()
        phrases = {term for topic in knowledge.topics.values() for term in topic.terms}
        for measure in knowledge.measures:
            phrases |= {measure.name, *measure.aliases, *measure.keywords}
        for phrase in phrases:
            if len(phrase) >= 2 and " " not in phrase:
                jieba.add_word(phrase, freq=2000)  # the same frequency the bot's tokenizer gives them
        self.documents: List[Document] = []
        for measure in knowledge.measures:
            names = " ".join([measure.name, *measure.aliases, *measure.keywords])
            for aspect in ASPECTS:
                text = "\n".join(s.text for s in statements_for(measure, aspect))
                self.documents.append(Document(measure.id, aspect, text, names))
        self.text_terms = [Counter(_words(d.text)) for d in self.documents]
        self.name_terms = [set(_words(d.names)) for d in self.documents]
        frequency: Counter = Counter()
        for text_terms, name_terms in zip(self.text_terms, self.name_terms):
            frequency.update(set(text_terms) | name_terms)
        total = len(self.documents)
        self.idf: Dict[str, float] = {term: math.log(1 + total / count) for term, count in frequency.items()}

    def search(self, query: str, limit: int = 10) -> List[Dict]:
        terms = list(dict.fromkeys(_words(query[:MAX_QUERY])))
        scored: List[Tuple[float, int]] = []
        for i, document in enumerate(self.documents):
            score = 0.0
            for term in terms:
                idf = self.idf.get(term, 0.0)
                score += idf * (math.log(1 + self.text_terms[i][term]) + (NAME_WEIGHT if term in self.name_terms[i] else 0))
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda item: (-item[0], item[1]))
        results = []
        for score, i in scored[:limit]:
            document = self.documents[i]
            measure = kb().measure(document.measure)
            results.append({"measure": measure.id, "number": measure.number, "name": measure.name,
                            "aspect": document.aspect, "aspect_label": ASPECT_LABELS[document.aspect],
                            "snippet": _snippet(document.text, terms), "score": round(score, 3)})
        return results


def _snippet(text: str, terms: List[str]) -> str:
    """The text around the first term found (one line, at most SNIPPET characters)."""
    flat = text.replace("\n", " ")
    positions = [flat.lower().find(term) for term in terms if flat.lower().find(term) >= 0]
    start = max(0, min(positions) - 20) if positions else 0
    snippet = flat[start:start + SNIPPET]
    return ("…" if start else "") + snippet + ("…" if start + SNIPPET < len(flat) else "")


@functools.lru_cache(maxsize=1)
def index() -> Index:
    return Index()


def search(query: str, limit: int = 10) -> List[Dict]:
    return index().search(query, limit)
