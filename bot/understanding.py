"""What a (normalised) Chinese message names: measures, topics, the aspect asked, out-of-scope
subjects, and fact values — found with spaCy phrase matchers built from policies_kb and
bot/vocabulary.yml and bot/referrals.yml, plus a pinyin pass that catches homophone typos of measure names (事业金 → 失业金).

Pure Python apart from spaCy; the Rasa component (bot/components/policy_entities.py), the actions'
tests and the evaluation scripts all call `understand()`.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import spacy
import yaml
from pypinyin import lazy_pinyin
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from bot.questions import WHERE_TO_APPLY
from bot.referrals import out_of_scope_terms
from policies_kb.loader import kb
from policies_kb.schema import ASPECTS

VOCABULARY_PATH = Path(__file__).parent / "vocabulary.yml"
MIN_PINYIN_SYLLABLES = 3
CLAUSE_BREAK = re.compile(r"[，,、。.？?！!；;\s]+")
# A fact value said negated is not the person's ("如果我们不是超市，是做印刷的呢", "之后就没再上班").
NEGATED_BEFORE = re.compile(r"(?:不是|并非|并不是|不属于|不算|不再|没再|没有|没)$")
NOT_FACTS = ("measure", "topic", "out_of_scope")


@dataclass(frozen=True)
class Mention:
    label: str  # measure | topic | out_of_scope | a fact key
    value: str  # measure id, topic id, term, or fact code
    start: int
    end: int
    text: str
    fuzzy: bool = False


@dataclass
class Understanding:
    mentions: List[Mention] = field(default_factory=list)
    self_check: bool = False
    aspect: Optional[str] = None  # the one aspect asked (see bot/vocabulary.yml for how it is chosen)
    aspect_evidence: Optional[str] = None  # strong | phrase | pattern: how sure the rules are of `aspect`
    more_aspects: List[str] = field(default_factory=list)  # "怎么领？要带什么材料？": the other questions' aspects

    def values(self, label: str) -> List[str]:
        seen: List[str] = []
        for mention in self.mentions:
            if mention.label == label and mention.value not in seen:
                seen.append(mention.value)
        return seen

    @property
    def measures(self) -> List[str]:
        return self.values("measure")

    @property
    def topics(self) -> List[str]:
        return self.values("topic")

    @property
    def out_of_scope_terms(self) -> List[str]:
        return self.values("out_of_scope")

    def facts(self) -> Dict[str, str]:
        """Fact values named outside any measure or topic name ("我失业了" but not "失业金")."""
        subjects = [m for m in self.mentions if m.label in ("measure", "topic", "out_of_scope")]
        found: Dict[str, str] = {}
        for mention in self.mentions:
            if mention.label in ("measure", "topic", "out_of_scope"):
                continue
            if not any(s.start < mention.end and mention.start < s.end for s in subjects):
                found.setdefault(mention.label, mention.value)
        return found


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict:
    return yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))


def measure_phrases() -> Dict[str, str]:
    """Every name and alias of a measure -> its id (used for matching and for the jieba dictionary)."""
    return {name: measure.id for measure in kb().measures for name in [measure.name, *measure.aliases]}


def topic_phrases() -> Dict[str, str]:
    return {term: topic.id for topic in kb().topics.values() for term in topic.terms}


def fact_phrases() -> Dict[str, Dict[str, str]]:
    """For each prefillable fact, its value names (labels and synonyms, 2+ characters) -> code."""
    skip = set(vocabulary()["prefill_skip_codes"])
    result: Dict[str, Dict[str, str]] = {}
    for key in vocabulary()["prefill_facts"]:
        result[key] = {name: value.code for value in kb().fact_values(key) if value.code not in skip
                       for name in [value.label, *value.synonyms] if len(name) >= 2}
    return result


class _Matchers:
    """spaCy phrase matchers over single characters, one group per kind of mention."""

    def __init__(self):
        self.nlp = spacy.blank("zh")  # the default 'char' segmenter: phrases match at any character offset
        vocab = vocabulary()
        self.groups: Dict[str, Tuple[PhraseMatcher, Dict[str, Tuple[str, str]]]] = {}
        # Measures and out-of-scope subjects compete: the longest name wins. Topics are matched on their own
        # (工伤险费 and 费率下调 may overlap) and dropped where a measure's name covers them.
        self._add_group("subject", [("measure", measure_phrases()),
                                    ("out_of_scope", {term: term for term in out_of_scope_terms()})])
        self._add_group("topic", [("topic", topic_phrases())])
        self.aspect_order = list(vocab["aspects"])
        assert sorted(self.aspect_order) == sorted(ASPECTS), "bot/vocabulary.yml must rank every aspect"
        for strength in ("strong", "phrases"):
            self._add_group(f"aspect_{strength}", [(f"aspect_{strength}", {
                phrase: aspect for aspect, spec in vocab["aspects"].items() for phrase in spec.get(strength, [])})])
        self.aspect_patterns = [(aspect, re.compile(pattern)) for aspect, spec in vocab["aspects"].items()
                                for pattern in spec.get("patterns", [])]
        self.strong_patterns = [(aspect, re.compile(pattern)) for aspect, spec in vocab["aspects"].items()
                                for pattern in spec.get("strong_patterns", [])]
        for key, phrases in fact_phrases().items():
            self._add_group(key, [(key, phrases)])
        self.self_check = re.compile(vocab["self_check"])
        self.pinyin_measures = [(_sounds(name), measure_id) for name, measure_id in measure_phrases().items()
                                if len(name) >= MIN_PINYIN_SYLLABLES and re.fullmatch(r"[\u4e00-\u9fff]+", name)]

    def _add_group(self, group: str, labelled: List[Tuple[str, Dict[str, str]]]) -> None:
        matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        lookup: Dict[str, Tuple[str, str]] = {}
        for label, phrases in labelled:
            for phrase, value in phrases.items():
                key = f"{label}|{value}"
                lookup[key] = (label, value)
                matcher.add(key, [self.nlp.make_doc(phrase)])
        self.groups[group] = (matcher, lookup)

    def mentions(self, text: str) -> List[Mention]:
        doc = self.nlp.make_doc(text)
        found: List[Mention] = []
        for group, (matcher, lookup) in self.groups.items():
            matches = matcher(doc)
            keyed = {(start, end): self.nlp.vocab.strings[match_id] for match_id, start, end in matches}
            spans = [doc[start:end] for _, start, end in matches]
            kept = spans if group == "topic" else filter_spans(spans)
            for span in kept:
                label, value = lookup[keyed[(span.start, span.end)]]
                found.append(Mention(label, value, span.start_char, span.end_char, span.text))
        subjects = [m for m in found if m.label in ("measure", "out_of_scope")]
        return [m for m in found if m.label != "topic" or not any(
            s.start <= m.start and m.end <= s.end for s in subjects)]

    def aspect(self, mentions: List[Mention], text: str) -> Tuple[Optional[str], Optional[str]]:
        """(aspect, evidence): strong phrases anywhere; else the last clause with an aspect phrase; else the
        patterns."""
        strong = {m.value for m in mentions if m.label == "aspect_strong"}
        strong |= {aspect for aspect, pattern in self.strong_patterns if pattern.search(text)}
        if strong:
            return self._first_ranked(strong), "strong"
        phrases = [m for m in mentions if m.label == "aspect_phrases"]
        if phrases:
            clause_of = [len(CLAUSE_BREAK.findall(text[:m.start])) for m in phrases]
            asking = {index for index, gap in enumerate(CLAUSE_BREAK.findall(text)) if "？" in gap or "?" in gap}
            chosen = max((c for c in clause_of if c in asking), default=max(clause_of))
            return self._first_ranked({m.value for m, c in zip(phrases, clause_of) if c == chosen}), "phrase"
        matched = next((aspect for aspect, pattern in self.aspect_patterns if pattern.search(text)), None)
        return matched, "pattern" if matched else None

    def _first_ranked(self, aspects) -> str:
        return next(aspect for aspect in self.aspect_order if aspect in aspects)

    def fuzzy_measures(self, text: str) -> List[Mention]:
        """Measure names written with the wrong characters but the right sound (稳钢返还, 事业金)."""
        syllables = _sounds(text)
        found = []
        for name_syllables, measure_id in self.pinyin_measures:
            size = len(name_syllables)
            for start in range(len(syllables) - size + 1):
                if syllables[start:start + size] == name_syllables:
                    found.append(Mention("measure", measure_id, start, start + size, text[start:start + size], True))
        return found


# Sounds an input method confuses (失业经 for 失业金, 稳刚 for 稳岗): front and back nasals, flat and retroflex.
FUZZY_SOUNDS = ((re.compile(r"(?<=[iea])ng$"), "n"), (re.compile(r"^([zcs])h"), r"\1"))


def _sound(syllable: str) -> str:
    for pattern, replacement in FUZZY_SOUNDS:
        syllable = pattern.sub(replacement, syllable)
    return syllable


def _sounds(text: str) -> List[str]:
    """One syllable per character (the character itself when it is not Chinese), as it sounds."""
    return [_sound(lazy_pinyin(char)[0]) if "\u4e00" <= char <= "\u9fff" else char for char in text]


@functools.lru_cache(maxsize=1)
def _matchers() -> _Matchers:
    return _Matchers()



def understand(text: str) -> Understanding:
    """Mentions in a normalised message (see bot.text.normalise), in reading order."""
    matchers = _matchers()
    found = matchers.mentions(text)
    aspect, evidence = matchers.aspect(found, text)
    mentions = [m for m in found if not m.label.startswith("aspect_")
                and (m.label in NOT_FACTS or not NEGATED_BEFORE.search(text[max(0, m.start - 3):m.start]))]
    if not any(m.label == "measure" for m in mentions):
        taken = [(m.start, m.end) for m in mentions if m.label in ("topic", "out_of_scope")]
        mentions += [m for m in matchers.fuzzy_measures(text)
                     if not any(start < m.end and m.start < end for start, end in taken)]
    mentions.sort(key=lambda m: (m.start, -m.end))
    return Understanding(mentions=mentions, self_check=bool(matchers.self_check.search(text)), aspect=aspect,
                         aspect_evidence=evidence, more_aspects=_more_aspects(matchers, text, aspect))


# "网上能办不，还是得跑窗口", "How do I apply, 网上能申请吗": online or in person, and how; the process answer
# names every channel, the online entry gives the links.
HOW_OR_COUNTER = re.compile(r"窗口|柜台|跑一趟|跑腿|线下|现场|(?:怎么|咋|如何)(?:申请|办|弄|领)|能(?:申请|申领|申报)|how (?:do|can|to)|apply",
                            re.IGNORECASE)


def _more_aspects(matchers: _Matchers, text: str, main: Optional[str]) -> List[str]:
    """Aspects of the other questions in a message that asks several ("失业金怎么领？要带什么材料？多久到账？"),
    and the other half of "where to apply" (the office beside the process, or the process beside the office)."""
    questions = [part for part in re.split(r"[？?]", text) if part.strip()]
    if main in ("process", "office") and WHERE_TO_APPLY.search(text):
        return ["office" if main == "process" else "process"]
    if main == "online_entry" and (WHERE_TO_APPLY.search(text) or HOW_OR_COUNTER.search(text)):
        return ["process"]
    if main is None or len(questions) < 2:
        return []
    more: List[str] = []
    for question in questions:
        asked, _ = matchers.aspect(matchers.mentions(question), question)
        if asked and asked != main and asked not in more:
            more.append(asked)
    return more
