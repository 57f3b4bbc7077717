"""Facts people state, learned from labelled conversations: what the cue phrases miss.

bot/stated_facts.py reads facts with cue phrases and patterns (bot/stated_facts.yml). They are precise where
they fire, but each set of conversations written by someone new brings wordings no phrase list holds
("账面上是赤字" for a loss, "厂里总共在册六十来个" for a headcount). Three small linear models over character
n-grams learn the judgement instead of the phrase:

  * topics: which yes/no or named facts a message speaks of (one logistic regression per fact);
  * values: what it says of each (true or false, which named value; one regression per fact, with a mark
    for a negation in the message);
  * numbers: for each number or duration in the message, which fact it is (insured_employees, layoffs_last_year,
    unemployment_insurance_months … or none), read from the few characters on either side of it.

Topics and values are trained on whole messages but read only what the cues left over (what usually comes
with "交了八个月" is not thereby said), with measure names masked; who is asking is never learned (WHO_ASKS).
The form also reads the values as the answer to its question when the plain words (是, 没有) say nothing.

Labels come from data already in the repository, never copied by hand: the turns of the conversation sets
already scored and used for error analysis (tests/conversations/heldout_dialogues*.yml, each turn labelled with
the facts it states; never the newest set, kept for the final score), and the cue phrases themselves (weighted
down: they teach the vocabulary, the conversations teach how people put it).

The cues keep priority (bot/components/fact_classifier.py): a learned fact is added only where no cue read
that fact or that number, and the check in progress still takes only the facts its measure reads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import yaml

from bot.aspect_classifier import masked
from bot.ngram_scoring import NgramScorer
from bot.stated_facts import DURATION, NUMBER, StatedFact, cues, duration_months, number_value
from bot.stated_facts import stated_facts as cue_stated_facts
from bot.text import normalise
from bot.understanding import Understanding, understand
from policies_kb.loader import kb

CUE_WEIGHT = 0.5          # a cue phrase as a training example weighs this much (a labelled turn weighs 1)
MIN_EXAMPLES = 3          # a value needs this many labelled statements before it is learned
STATEMENT_CONFIDENT = 0.25 # a statement is taken when the message speaks of the fact this likely ...
STATEMENT_VALUE = 0.7      # ... and says this value of it this likely
ANSWER_TOPIC = 0.03        # read as the answer to a fact's question when it may speak of the fact at all ...
ANSWER_VALUE = 0.75        # ... and says this value this surely
NUMBER_CONFIDENT = 0.3     # a number's fact is taken when the best fact is at least this likely ...
NUMBER_CANDIDATE = 0.1     # ... with the other facts at least this likely as candidates (the check picks)
LEFT, RIGHT = 10, 6        # characters of context read on either side of a number
NONE = "none"
EXPLAINED = "□"            # stands for each character the cues read
MIN_LEFTOVER = 2           # characters of words the cues did not read, for the models to read anything
_WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z]")
DURATION_UNITS = ("个月", "年")
_DURATION = re.compile(DURATION)
_NUMBER = re.compile(f"{NUMBER}(?![\\d.])")
_DIGIT = re.compile(r"\d")
NEGATION = re.compile(r"[没不未无非别]")


@dataclass(frozen=True)
class Turn:
    text: str                 # normalised
    facts: Dict[str, Any]     # the facts the turn states


@dataclass(frozen=True)
class NumberMention:
    start: int
    end: int
    value: float
    duration: bool            # a length of time (in months) rather than a count or a sum


def labelled_turns(paths: Iterable[Path]) -> List[Turn]:
    """Every user turn of the conversation files, with the facts it is labelled as stating."""
    turns = []
    for path in paths:
        for case in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            for turn in case.get("turns") or []:
                text = normalise(str(turn.get("user") or ""))
                if text:
                    turns.append(Turn(text, dict((turn.get("expect") or {}).get("facts") or {})))
    return turns


def _is_duration_fact(key: str) -> bool:
    return kb().facts[key].unit in DURATION_UNITS


def _raw(value: Any) -> str:
    """A yes/no or enum value as the models' class name ("true", "enterprise")."""
    return str(value).lower()


def _typed(key: str, raw: str) -> Any:
    return raw == "true" if kb().facts[key].type == "bool" else raw


# Who is asking (a unit or a person, and what kind of unit) is left to the cues and the names of unit types:
# a wrong guess changes every question a check asks. People who ask as a unit say "我们" and are mostly
# enterprises, and founders say "开了个公司": a learned guess took "我们能享受稳岗返还吗" for an enterprise's
# question (never asking a 协会 what it is) and a veteran's loan for a company's.
WHO_ASKS = {"applicant", "org_type"}


def _learned(key: str) -> bool:
    return key in kb().facts and kb().facts[key].type in ("bool", "enum") and key not in WHO_ASKS


def statement_facts(facts: Dict[str, Any]) -> Dict[str, str]:
    """The yes/no and named-value facts among a turn's facts (but who asks), with their values as class names."""
    return {key: _raw(value) for key, value in facts.items() if _learned(key)}


def cue_examples() -> List[Tuple[str, str, str]]:
    """(phrase, fact, value) for every literal statement phrase of bot/stated_facts.yml."""
    examples = []
    for key, by_value in (cues().get("statements") or {}).items():
        if _learned(key):
            for value, phrases in by_value.items():
                examples += [(normalise(phrase), key, _raw(value)) for phrase in phrases]
    return examples


def number_mentions(text: str) -> List[NumberMention]:
    """Every duration and number in the text, durations first (两年零两个月 is one duration, not 2 and 2)."""
    found: List[NumberMention] = []
    for match in _DURATION.finditer(text):
        try:
            months = duration_months(match.group(0))
        except ValueError:
            continue
        if months > 12 * 60:       # "2021年" is a year, not a length of time
            continue
        found.append(NumberMention(match.start(), match.end(), months, True))
    for match in _NUMBER.finditer(text):
        if any(m.start < match.end() and match.start() < m.end for m in found):
            continue
        if text[match.end():match.end() + 1] == "年" and len(match.group(0)) == 4:
            continue               # a year
        value = number_value(match.group(0))
        if value is None:
            continue
        found.append(NumberMention(match.start(), match.end(), value, False))
    return sorted(found, key=lambda m: m.start)


def number_context(text: str, mention: NumberMention) -> str:
    """The characters around a number, the number itself replaced by one marker (Ⓓ a duration, Ⓝ otherwise)
    and other digits by 0, so that the model learns the words, not the values."""
    left = _DIGIT.sub("0", text[max(0, mention.start - LEFT):mention.start])
    right = _DIGIT.sub("0", text[mention.end:mention.end + RIGHT])
    return f"{left}{'Ⓓ' if mention.duration else 'Ⓝ'}{right}"


def number_label(mention: NumberMention, facts: Dict[str, Any]) -> str:
    """The labelled numeric fact this number states (its value matches and its kind fits), else none."""
    for key, value in facts.items():
        if key not in kb().facts or kb().facts[key].type not in ("int", "number") or isinstance(value, bool):
            continue
        if _is_duration_fact(key) != mention.duration:
            continue
        expected = float(value) * (12 if kb().facts[key].unit == "年" else 1)
        if abs(expected - mention.value) < 0.01:
            return key
    return NONE


def _vectorizer(ngrams: Tuple[int, int], min_df: int = 2):
    from sklearn.feature_extraction.text import TfidfVectorizer

    # n-grams seen once in thousands of messages teach nothing and would only grow the model
    return TfidfVectorizer(analyzer="char", ngram_range=ngrams, sublinear_tf=True, min_df=min_df, dtype=np.float32)


def cue_spans(text: str, found: Understanding) -> List[Tuple[int, int]]:
    """Where the cue phrases and the names of fact values read a fact in the text."""
    cue_facts = [f for f in cue_stated_facts(text) if f.candidates and f.end > f.start]
    return [whole_phrase(text, f) for f in cue_facts] + [(m.start, m.end) for m in found.mentions
                                                         if m.label in kb().facts]


def whole_phrase(text: str, fact: StatedFact) -> Tuple[int, int]:
    """The span of a cue's whole phrase ("交了八个月"), not only of the number in it ("八个月")."""
    start = text.rfind(fact.text, 0, fact.start + len(fact.text)) if fact.text else -1
    whole = 0 <= start <= fact.start and start + len(fact.text) >= fact.end
    return (start, start + len(fact.text)) if whole else (fact.start, fact.end)


def leftover(text: str, spans: Sequence[Tuple[int, int]], found: Understanding) -> str:
    """What the models read in a message: the text with what the cues read blanked out (the same length, so the
    names' places hold) and the measure and topic names masked. What usually comes with what the cues read is
    not thereby said ("交了八个月" says nothing of why the job ended), nor does the measure asked about say
    anything of the case."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = EXPLAINED * (end - start)
    return masked("".join(chars), found)


class TopicModel:
    """Which facts a message speaks of: one logistic regression per fact over character 1-3-grams."""

    def fit(self, examples: Sequence[Tuple[str, List[str], float]]) -> "TopicModel":
        from sklearn.linear_model import LogisticRegression

        counts: Dict[str, int] = {}
        for _, labels, weight in examples:
            for label in labels:
                counts[label] = counts.get(label, 0) + (1 if weight >= 1 else 0)
        self.labels = sorted(label for label, count in counts.items() if count >= MIN_EXAMPLES)
        self.vectorizer = _vectorizer((1, 3))
        matrix = self.vectorizer.fit_transform([text for text, _, _ in examples])
        weights = np.array([weight for _, _, weight in examples])
        coefficients, intercepts = [], []
        for label in self.labels:
            target = np.array([label in labels for _, labels, _ in examples])
            regression = LogisticRegression(C=20, max_iter=1000, solver="liblinear")
            regression.fit(matrix, target, sample_weight=weights)
            coefficients.append(regression.coef_[0])
            intercepts.append(regression.intercept_[0])
        self.coefficients = np.array(coefficients, dtype=np.float32)
        self.intercepts = np.array(intercepts, dtype=np.float32)
        return self

    def probabilities(self, text: str) -> Dict[str, float]:
        if not len(self.labels):
            return {}
        if self._scorer is None:
            self._scorer = NgramScorer(self.vectorizer, self.coefficients, self.intercepts, self.labels, independent=True)
        return self._scorer.probabilities(text)

    def sklearn_probabilities(self, text: str) -> Dict[str, float]:
        """The same through scikit-learn's matrices (the reference for the direct computation)."""
        scores = self.vectorizer.transform([text]) @ self.coefficients.T + self.intercepts
        return dict(zip(self.labels, (1 / (1 + np.exp(-np.asarray(scores, dtype=float)[0]))).tolist()))

    _scorer: Optional[NgramScorer] = None  # built on first use, after unpickling; never pickled

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_scorer"}


def with_polarity(text: str) -> str:
    """The text led by a mark of whether it holds a negation: a fact said with 不/没 is often the other value
    ("没亏" against "亏了"), and for a fact named in the negative ("存款不足") the same: "够" against "不够"."""
    return ("Ⓧ" if NEGATION.search(text) else "Ⓞ") + text


class ValueModel:
    """What a message says of one fact it speaks of (true or false; which enum value): a logistic regression
    over character 1-3-grams of the messages labelled with that fact. With one value ever seen, that value,
    unless the message is negated."""

    def fit(self, examples: Sequence[Tuple[str, str, float]]) -> "ValueModel":
        from sklearn.linear_model import LogisticRegression

        self.values = sorted({value for _, value, _ in examples})
        self.vectorizer = self.regression = None
        if len(self.values) > 1:
            self.vectorizer = _vectorizer((1, 3), min_df=1)
            matrix = self.vectorizer.fit_transform([with_polarity(text) for text, _, _ in examples])
            self.regression = LogisticRegression(C=10, max_iter=2000).fit(
                matrix, [value for _, value, _ in examples], sample_weight=[weight for _, _, weight in examples])
        return self

    def probabilities(self, text: str) -> Dict[str, float]:
        if self.regression is None:
            return {} if NEGATION.search(text) else {self.values[0]: 1.0}
        if self._scorer is None:
            regression = self.regression
            if len(regression.classes_) == 2:   # one sigmoid for the second class
                self._scorer = NgramScorer(self.vectorizer, regression.coef_, regression.intercept_,
                                           regression.classes_[1:], independent=True)
            else:
                self._scorer = NgramScorer(self.vectorizer, regression.coef_, regression.intercept_, regression.classes_)
        scores = self._scorer.probabilities(with_polarity(text))
        if len(scores) == 1:
            second = self.values[1]
            return {self.values[0]: 1 - scores[second], second: scores[second]}
        return scores

    _scorer: Optional[NgramScorer] = None

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_scorer"}


class NumberModel:
    """Multinomial logistic regression over character 1-4-grams of a number's context: which fact it is."""

    def fit(self, examples: Sequence[Tuple[str, str]]) -> "NumberModel":
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = _vectorizer((1, 4))
        matrix = self.vectorizer.fit_transform([context for context, _ in examples])
        self.regression = LogisticRegression(C=10, max_iter=3000).fit(matrix, [label for _, label in examples])
        return self

    def probabilities(self, context: str) -> Dict[str, float]:
        if self._scorer is None:
            regression = self.regression
            self._scorer = NgramScorer(self.vectorizer, regression.coef_, regression.intercept_, regression.classes_)
        return self._scorer.probabilities(context)

    def sklearn_probabilities(self, context: str) -> Dict[str, float]:
        scores = self.regression.predict_proba(self.vectorizer.transform([context]))[0]
        return dict(zip(self.regression.classes_.tolist(), scores.tolist()))

    _scorer: Optional[NgramScorer] = None

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_scorer"}


class FactModel:
    """The three models, trained together from labelled turns and the cue phrases."""

    def fit(self, turns: Sequence[Turn]) -> "FactModel":
        # Trained on whole messages (every labelled way of saying a fact teaches), read on what the cues left over.
        statements = [(masked(turn.text), statement_facts(turn.facts), 1.0) for turn in turns]
        statements += [(masked(phrase), {key: value}, CUE_WEIGHT) for phrase, key, value in cue_examples()]
        self.topics = TopicModel().fit([(text, list(facts), weight) for text, facts, weight in statements])
        self.values = {key: ValueModel().fit([(text, facts[key], weight) for text, facts, weight in statements
                                              if key in facts])
                       for key in self.topics.labels}
        numbers = [(number_context(turn.text, mention), number_label(mention, turn.facts))
                   for turn in turns for mention in number_mentions(turn.text)]
        self.numbers = NumberModel().fit(numbers)
        return self

    def statements(self, text: str, topic_floor: float, value_floor: float, found: Optional[Understanding] = None,
                   spans: Optional[Sequence[Tuple[int, int]]] = None) -> Dict[str, Tuple[Any, float]]:
        """{fact: (value, probability)} for the facts the text speaks of at least topic_floor likely, whose
        value it says at least value_floor likely, read from what the cues left over. `found`: the text's
        understanding and `spans`: what the cues read, when already known."""
        found = found or understand(text)
        text = leftover(text, cue_spans(text, found) if spans is None else spans, found)
        if len(_WORDS.findall(text)) < MIN_LEFTOVER:
            return {}  # the cues read it all ("交了八个月"): nothing is left to say anything else
        result = {}
        for key, topic in self.topics.probabilities(text).items():
            if topic < topic_floor:
                continue
            values = self.values[key].probabilities(text)
            if values:
                value, probability = max(values.items(), key=lambda item: item[1])
                if probability >= value_floor:
                    result[key] = (_typed(key, value), topic * probability)
        return result

    def answers(self, text: str, found: Optional[Understanding] = None,
                spans: Optional[Sequence[Tuple[int, int]]] = None) -> Dict[str, Any]:
        """What the text says of each fact it may speak of, for reading it as the answer to that fact's
        question ("工资都开不出来" answers "存款是否不足以支付最低工资" with yes)."""
        return {key: value for key, (value, _) in self.statements(text, ANSWER_TOPIC, ANSWER_VALUE, found, spans).items()}

    def stated_facts(self, text: str, found: Optional[Understanding] = None,
                     spans: Optional[Sequence[Tuple[int, int]]] = None) -> List[StatedFact]:
        """Every fact the model reads in the (normalised) text: statements over the whole text, numbers at
        their place, each number with the facts it may be, most likely first."""
        # A statement is read from the whole message and has no place in it: an empty span (a measure named in
        # the message is not thereby inside a statement of the person's situation).
        found_facts = [StatedFact("learned", (key,), value, 0, 0, "")
                       for key, (value, _) in self.statements(text, STATEMENT_CONFIDENT, STATEMENT_VALUE, found,
                                                               spans).items()]
        for mention in number_mentions(text):
            probabilities = self.numbers.probabilities(number_context(text, mention))
            ranked = sorted(((p, key) for key, p in probabilities.items()
                             if key != NONE and _is_duration_fact(key) == mention.duration), reverse=True)
            if not ranked or ranked[0][0] < NUMBER_CONFIDENT:
                continue
            value = mention.value / 12 if kb().facts[ranked[0][1]].unit == "年" else mention.value
            value = int(value) if value == int(value) else value
            candidates = tuple(key for p, key in ranked if p >= NUMBER_CANDIDATE)
            found_facts.append(StatedFact("learned_number", candidates, value, mention.start, mention.end,
                                          text[mention.start:mention.end]))
        return found_facts
